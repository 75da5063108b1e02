// Export from the built panel in headless Chromium, fed the payload recorded from a real engine
// run: the export buttons and the extension's exportView request post SVG and PNG files whose
// content is checked here (the PNG decoded back: its size and pixels; the SVG: its cells and colours).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { parseColor, ramp, type Rgb } from '../../webview/color';
import { decodePayload, type PanelPayload } from '../../scripts/e2e/payload';
import { gridFigure, hex, rampColor } from '../../webview/export/figure';
import { inspectionHtml } from '../../extension/export/htmlReport';
import { mkdirSync, writeFileSync } from 'node:fs';
import { openPanel as openPanelIn, send, startPanel, THEMES, type PanelServer } from './harness';

const root = join(import.meta.dirname, '..', '..');
const payloadText = readFileSync(join(import.meta.dirname, 'gqa-decoder-contrib.payload.json'), 'utf8');
const payload: PanelPayload = decodePayload(payloadText);
const theme = THEMES.dark;
const bg = parseColor(theme['--vscode-editor-background'])!;
const lut = ramp(bg, parseColor(theme['--vscode-charts-orange'])!);
const { inspection } = payload;
const { layers, heads } = inspection.model;
const n = inspection.tokens.length;

let browser: Browser;
let server: PanelServer;

before(async () => { ({ browser, server } = await startPanel()); });
after(async () => { await browser?.close(); await server?.close(); });

interface Exported { view: string; format: string; data?: string; name?: string; problem?: string }

const openPanel = (): Promise<{ page: Page; errors: string[] }> => openPanelIn(browser, server, 'dark', { width: 900, height: 1100 }, payloadText);

/** Waits for the panel's next `export` event and returns its body. */
async function nextExport(page: Page, before: number): Promise<Exported> {
  await page.waitForFunction((k) => (window as unknown as { __posted: { event?: string }[] }).__posted.filter((m) => m.event === 'export').length > k, before);
  const all = await page.evaluate(() => (window as unknown as { __posted: { event?: string; body?: unknown }[] }).__posted.filter((m) => m.event === 'export').map((m) => m.body));
  return all[all.length - 1] as Exported;
}

async function exportCount(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as { __posted: { event?: string }[] }).__posted.filter((m) => m.event === 'export').length);
}

/** Decodes a base64 PNG in the page (as a browser opening the file would): its size and the RGB at each point. */
async function decodePng(page: Page, base64: string, points: [number, number][]): Promise<{ width: number; height: number; pixels: Rgb[] }> {
  return page.evaluate(async ([b64, pts]) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bmp = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const c = document.createElement('canvas');
    c.width = bmp.width;
    c.height = bmp.height;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(bmp, 0, 0);
    const pixels = pts.map(([x, y]) => { const d = ctx.getImageData(x, y, 1, 1).data; return [d[0], d[1], d[2]] as [number, number, number]; });
    return { width: bmp.width, height: bmp.height, pixels };
  }, [base64, points] as const);
}

test('grid and token strip: SVG buttons export the cells in the theme colours; PNG decodes to the same figure', async () => {
  const { page, errors } = await openPanel();
  await send(page, { kind: 'event', event: 'show', body: { inspection } });
  await page.waitForSelector('.model-grid .cell');

  let k = await exportCount(page);
  await page.click('.export-buttons[data-view="grid"] [data-format="svg"]');
  const svg = await nextExport(page, k);
  assert.equal(svg.format, 'svg');
  assert.equal(svg.name, 'model.grid.svg');
  const fills = [...(svg.data ?? '').matchAll(/<rect class="cell"[^>]* fill="(#[0-9a-f]{6})">/g)].map((m) => m[1]);
  assert.equal(fills.length, layers * heads);
  for (let lh = 0; lh < layers * heads; lh++) assert.equal(fills[lh], hex(rampColor(lut, inspection.alpha.data[lh * n])), `cell ${lh}`);

  const fig = gridFigure({ layers, heads, alpha: inspection.alpha.data, tokens: n }, { lut, background: bg, foreground: [0, 0, 0] });
  k = await exportCount(page);
  await page.click('.export-buttons[data-view="grid"] [data-format="png"]');
  const png = await nextExport(page, k);
  assert.equal(png.name, 'model.grid.png');
  const centres = fig.cells.map((c) => [Math.floor(c.x + c.w / 2), Math.floor(c.y + c.h / 2)] as [number, number]);
  const decoded = await decodePng(page, png.data!, [[1, 1], ...centres]);
  assert.equal(decoded.width, fig.width);
  assert.equal(decoded.height, fig.height);
  assert.deepEqual(decoded.pixels[0], bg, 'background of the theme');
  fig.cells.forEach((c, i) => assert.deepEqual(decoded.pixels[i + 1], c.fill, c.title));

  k = await exportCount(page);
  await page.click('.export-buttons[data-view="strip"] [data-format="svg"]');
  const strip = await nextExport(page, k);
  const tokenFills = [...(strip.data ?? '').matchAll(/<rect class="cell"[^>]* fill="(#[0-9a-f]{6})"><title>#(\d+) id (\d+) /g)];
  assert.equal(tokenFills.length, n);
  tokenFills.forEach((m, i) => {
    assert.equal(m[1], hex(rampColor(lut, inspection.sinkScore.data[i])));
    assert.equal(Number(m[3]), inspection.tokens[i].id);
  });
  assert.deepEqual(errors, []);
  await page.close();
});

test('head map: PNG is the canvas pixel for pixel; SVG from the map numbers; exportView from the extension; no head open says so', async () => {
  const { page, errors } = await openPanel();
  await send(page, { kind: 'event', event: 'show', body: { inspection } });
  await page.waitForSelector('.model-grid .cell');

  // Asked by the extension (Export… quick pick) before a head is open: a problem, not a file.
  let k = await exportCount(page);
  await send(page, { kind: 'event', event: 'exportView', body: { view: 'head', format: 'png' } });
  const none = await nextExport(page, k);
  assert.match(none.problem ?? '', /No head is open: click a cell/);

  const map = payload.headMaps.find((m) => m.layer === 1 && m.head === 2)!;
  await page.click('.model-grid .cell[data-layer="1"][data-head="2"]');
  await page.waitForSelector('.head-view canvas');
  const size = await page.$eval('.head-view canvas', (c) => (c as HTMLCanvasElement).width);
  const points: [number, number][] = [[2, 2], [size - 3, 2], [Math.floor(size / 2), Math.floor(size / 2)], [size - 3, size - 3]];
  const onCanvas = await page.$eval('.head-view canvas', (c, pts) => pts.map(([x, y]) => { const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(x, y, 1, 1).data; return [d[0], d[1], d[2]]; }), points);

  k = await exportCount(page);
  await send(page, { kind: 'event', event: 'exportView', body: { view: 'head', format: 'png' } });
  const png = await nextExport(page, k);
  assert.equal(png.name, 'model.L1h2.png');
  const decoded = await decodePng(page, png.data!, points);
  assert.equal(decoded.width, size);
  assert.equal(decoded.height, size);
  assert.deepEqual(decoded.pixels, onCanvas);
  const [tq, tk] = map.weights.shape;
  const w00 = map.weights.data[0];
  assert.deepEqual(decoded.pixels[0], rampColor(lut, Math.sqrt(w00)), 'top-left cell: √weight of query 0 → key 0');
  if (tq === tk) assert.deepEqual(decoded.pixels[1], rampColor(lut, Math.sqrt(map.weights.data[tk - 1])), 'top-right cell: masked key of query 0');

  k = await exportCount(page);
  await page.click('.head-view .export-buttons [data-format="svg"]');
  const svg = await nextExport(page, k);
  const cells = [...(svg.data ?? '').matchAll(/<rect class="cell"[^>]* fill="(#[0-9a-f]{6})"><title>query (\d+) → key (\d+): ([\d.]+)<\/title>/g)];
  assert.equal(cells.length, Array.from(map.weights.data).filter((w) => w > 0).length);
  for (const m of cells) {
    const w = map.weights.data[Number(m[2]) * tk + Number(m[3])];
    assert.equal(m[1], hex(rampColor(lut, Math.sqrt(w))));
    assert.equal(m[4], w.toFixed(4));
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('the HTML report opens from disk in Chromium: its stylesheet applies under its own CSP, nothing is blocked or fetched', async () => {
  const result = {
    tokens: inspection.tokens.map((t) => ({ ...t, start: null, end: null })), layers, heads, alpha: inspection.alpha, sinkScore: inspection.sinkScore,
    variants: ['softmax'], outputs: inspection.outputs, kernelStats: inspection.kernelStats, totalMs: 1, kernelMs: 1, ortMs: 1,
  };
  const dir = join(root, 'test/.tmp/export-webview');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'report.html');
  writeFileSync(file, inspectionHtml(result, { model: 'model.onnx', variant: 'softmax', backend: 'js', epsilon: 0.3 }));
  const page = await browser.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text()); });
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`file://${file}`);
  assert.equal(await page.$eval('table', (t) => getComputedStyle(t).borderCollapse), 'collapse', 'the inline stylesheet applied (its hash matches the CSP)');
  assert.equal(await page.$$eval('svg rect.cell', (e) => e.length), n + layers * heads);
  assert.equal(await page.$$eval('#tokens tbody tr', (e) => e.length), n);
  assert.deepEqual(problems, []);
  assert.deepEqual(requests, [`file://${file}`], 'only the report itself is loaded');
  await page.close();
});
