// Level of detail of large head maps in the built panel (headless Chromium): a 2,048-token head
// arrives max-pooled at level 1 (as the runtime sends maps over 1,024 a side), is painted from that
// level at once; zooming in past it posts a headTiles request for exactly the level-0 tiles in view,
// a pan while it is in flight cancels it, and the fetched tiles are drawn at full resolution; the
// hover readout says "max of its 2×2 block" until the exact weight is there. The map is synthetic
// (a formula both sides evaluate), so every pixel has a known colour.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { HeadMap, PanelInspection } from '../../extension/protocol/panel';
import { maxPool, TILE } from '../../runtime/protocol/lod';
import { encodePayload } from '../../scripts/e2e/payload';
import { parseColor, ramp, rampIndex, type Rgb } from '../../webview/color';
import { openPanel, send, startPanel, THEMES, type PanelServer } from './harness';

const N = 2048;
/** The synthetic causal map (also evaluated in the page, which answers the tile requests). */
const f = (q: number, k: number): number => (k <= q ? ((q * 7 + k * 13) % 101) / 100 : 0);

const full = new Float32Array(N * N);
for (let q = 0; q < N; q++) for (let k = 0; k <= q; k++) full[q * N + k] = f(q, k);
const pooled = maxPool(full, N, N, 1);
const inspection: PanelInspection = {
  model: { name: 'synthetic.onnx', layers: 1, heads: 1 },
  tokens: Array.from({ length: N }, (_, i) => ({ id: i, text: `t${i}` })),
  variant: 'model', variantParams: '', backend: 'native',
  variants: [{ id: 'model', description: 'each core keeps its own normalizer', params: [] }],
  epsilon: 0.3,
  alpha: { shape: [1, 1, N], data: new Float32Array(N) },
  sinkScore: { shape: [N], data: new Float32Array(N) },
  wallMs: 1, outputs: null, drift: null,
  kernelStats: { layers: [{ layer: 0, variant: 'softmax', rows: N, invalidRows: 0, invalidAt: [] }], totals: { invalidRows: 0, invalidAt: [], recomputedRows: null, nrResidual: null, approxError: null } },
};
const headMap: HeadMap = { layer: 0, head: 0, weights: { shape: [N / 2, N / 2], data: pooled }, lod: { level: 1, tq: N, tk: N, inspection: 7 } };
const payloadText = encodePayload({ source: 'synthetic', inspection, headMaps: [headMap], otherVariant: 'softmax' });

let browser: Browser;
let server: PanelServer;
before(async () => { ({ browser, server } = await startPanel()); });
after(async () => { await browser?.close(); await server?.close(); });

type Posted = { kind: string; method?: string; messageId?: number; inReplyTo?: number; params?: { level: number; tiles: [number, number][]; inspection: number } };
const posted = (page: Page): Promise<Posted[]> => page.evaluate(() => (window as unknown as { __posted: Posted[] }).__posted);

/** Installs the page's tile server: tiles of level L pooled from f, as the runtime pools them. */
async function serveTiles(page: Page, delayMs: number): Promise<void> {
  await page.evaluate(([n, tile, delay]) => {
    const fn = (q: number, k: number): number => (k <= q ? ((q * 7 + k * 13) % 101) / 100 : 0);
    const w = window as unknown as { __tileDelay: number; __headTiles: (p: { layer: number; head: number; level: number; tiles: [number, number][] }) => unknown };
    w.__tileDelay = delay;
    w.__headTiles = ({ layer, head, level, tiles }) => ({
      layer, head, level,
      tiles: tiles.map(([i, j]) => {
        const b = 2 ** level;
        const rows = Math.min(tile, Math.ceil(n / b) - i * tile);
        const cols = Math.min(tile, Math.ceil(n / b) - j * tile);
        const data = new Float32Array(rows * cols);
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < cols; c++) {
            let m = 0;
            for (let q = (i * tile + r) * b; q < Math.min(n, (i * tile + r + 1) * b); q++) for (let k = (j * tile + c) * b; k < Math.min(n, (j * tile + c + 1) * b); k++) m = Math.max(m, fn(q, k));
            data[r * cols + c] = m;
          }
        }
        return { i, j, weights: { shape: [rows, cols], data } };
      }),
    });
  }, [N, TILE, delayMs] as const);
}

async function view(page: Page): Promise<{ x0: number; y0: number; scale: number; level: number; tiles?: string }> {
  return page.$eval('.head-view canvas', (c) => {
    const [x0, y0, scale] = (c as HTMLCanvasElement).dataset.view!.split(' ').map(Number);
    return { x0, y0, scale, level: Number((c as HTMLCanvasElement).dataset.level), tiles: (c as HTMLCanvasElement).dataset.tiles };
  });
}

const pixel = (page: Page, x: number, y: number): Promise<Rgb> => page.$eval('.head-view canvas', (c, [px, py]) => {
  const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(px, py, 1, 1).data;
  return [d[0], d[1], d[2]] as Rgb;
}, [x, y]);

/** The level-0 tiles the view shows (as the head view computes them). */
function tilesInView(v: { x0: number; y0: number; scale: number }, size: number): string[] {
  const first = (a: number): number => Math.floor(Math.max(0, Math.floor(a)) / TILE);
  const last = (a: number): number => Math.floor(Math.min(N - 1, Math.floor(a + size / v.scale)) / TILE);
  const out: string[] = [];
  for (let i = first(v.y0); i <= last(v.y0); i++) for (let j = first(v.x0); j <= last(v.x0); j++) out.push(`${i},${j}`);
  return out.sort();
}

describe('head map level of detail, dark theme', () => {
  const bg = parseColor(THEMES.dark['--vscode-editor-background'])!;
  const lut = ramp(bg, parseColor(THEMES.dark['--vscode-charts-orange'])!);
  const expected = (v: number): Rgb => { const i = rampIndex(Math.sqrt(v)) * 3; return [lut[i], lut[i + 1], lut[i + 2]]; };
  const pooledAt = (q: number, k: number): number => pooled[(q >> 1) * (N / 2) + (k >> 1)];

  test('paints the pooled level, fetches the level-0 tiles in view on zoom (superseded on pan), draws them exactly', async () => {
    const { page, errors } = await openPanel(browser, server, 'dark', { width: 900, height: 1100 }, payloadText);
    await serveTiles(page, 400);
    await send(page, { kind: 'event', event: 'show', body: { inspection } });
    await page.click('.model-grid .cell[data-layer="0"][data-head="0"]');
    await page.waitForSelector('.head-view canvas[data-view]');
    const size = await page.$eval('.head-view canvas', (c) => (c as HTMLCanvasElement).width);
    // At fit: level 1, the pooled map as sent, no tile asked for.
    let v = await view(page);
    assert.equal(v.level, 1);
    const cellOf = (x: number, y: number): [number, number] => [Math.floor(v.y0 + y / v.scale), Math.floor(v.x0 + x / v.scale)];
    for (const [x, y] of [[5, 700], [300, 301], [100, 600], [700, 710], [650, 20]]) {
      const [q, k] = cellOf(x, y);
      assert.deepEqual(await pixel(page, x, y), expected(pooledAt(q, k)), `fit pixel (${x}, ${y}) = cell (${q}, ${k})`);
    }
    assert.ok(!(await posted(page)).some((m) => m.method === 'headTiles'), 'no tiles at the pooled level');
    // The readout at the pooled level says the weight is a block max.
    await page.$eval('.head-view canvas', (c) => c.scrollIntoView());
    const box = (await (await page.$('.head-view canvas'))!.boundingBox())!;
    await page.mouse.move(box.x + 300.5 * (box.width / size), box.y + 301.5 * (box.height / size));
    assert.match((await page.textContent('.head-view .readout'))!, /: max of its 2×2 block 0\.\d{4} \(zoom in for the exact weight\)$/);

    // Zoom in twice about the centre: level 0, one headTiles request for the tiles in view.
    await page.focus('.head-view canvas');
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    v = await view(page);
    assert.equal(v.level, 0);
    assert.equal(v.tiles, 'pending');
    await page.waitForFunction(() => (window as unknown as { __posted: Posted[] }).__posted.some((m) => m.method === 'headTiles'));
    const first = (await posted(page)).filter((m) => m.method === 'headTiles');
    assert.equal(first.length, 1);
    assert.equal(first[0].params!.level, 0);
    assert.equal(first[0].params!.inspection, 7, 'the request names the inspection the map came from');
    assert.deepEqual(first[0].params!.tiles.map((t) => t.join(',')).sort(), tilesInView(v, size));
    // Until the tiles arrive the pooled level is drawn.
    {
      const [q, k] = cellOf(400, 380);
      assert.deepEqual(await pixel(page, 400, 380), expected(pooledAt(q, k)));
    }
    // Pan right while it is in flight: that request is cancelled and one for the new view follows.
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
    v = await view(page);
    await page.waitForFunction(() => (window as unknown as { __posted: Posted[] }).__posted.filter((m) => m.method === 'headTiles').length === 2);
    const all = await posted(page);
    assert.ok(all.some((m) => m.kind === 'cancel' && m.inReplyTo === first[0].messageId), 'the superseded tile request is cancelled');
    const second = all.filter((m) => m.method === 'headTiles')[1];
    assert.deepEqual(second.params!.tiles.map((t) => t.join(',')).sort(), tilesInView(v, size));
    await page.waitForSelector('.head-view canvas[data-tiles="complete"]');
    // Full resolution: every sampled pixel has the exact weight of its cell.
    v = await view(page);
    for (const [x, y] of [[0, 0], [10, 500], [383, 384], [700, 100], [767, 767], [250, 600]]) {
      const [q, k] = cellOf(x, y);
      assert.deepEqual(await pixel(page, x, y), expected(f(q, k)), `zoomed pixel (${x}, ${y}) = cell (${q}, ${k})`);
    }
    // ...and the readout the exact weight.
    // ...and the readout the exact weight (of the cell the pointer lands on, below the diagonal).
    await page.mouse.move(box.x + 100.5 * (box.width / size), box.y + 700.5 * (box.height / size));
    const text = (await page.textContent('.head-view .readout'))!;
    const [, q, k] = /^query #(\d+) “t\d+” → key #(\d+) /.exec(text)!.map(Number);
    assert.ok(k <= q && Math.abs(q - cellOf(100, 700)[0]) <= 1 && Math.abs(k - cellOf(100, 700)[1]) <= 1, text);
    assert.equal(text, `query #${q} “t${q}” → key #${k} “t${k}”: ${Math.fround(f(q, k)).toFixed(4)}`);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
