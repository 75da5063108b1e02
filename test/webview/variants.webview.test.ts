// The panel's variant features in headless Chromium with the recorded payload (its head maps carry
// the head's Q, K, V): a variant change re-renders the open head at once with the panel's WASM
// kernels (pixels checked against the TypeScript reference), compare mode (A, B and B − A maps),
// variant parameters, the drift metric, and the view state restored after a reload.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { divergingRamp, parseColor, ramp, rampIndex, type Rgb } from '../../webview/color';
import { headWeights } from '../../webview/headKernels';
import { referenceBackend } from '../../runtime/kernels/variants';
import { wasmBackend } from '../../runtime/kernels/wasm/backend';
import { loadWasmKernels } from '../../runtime/kernels/wasm/node';
import { decodePayload, type PanelPayload } from '../../scripts/e2e/payload';
import { openPanel, send, startPanel, THEMES, type PanelServer, type ThemeName } from './harness';

const payloadText = readFileSync(join(import.meta.dirname, 'gqa-decoder-contrib.payload.json'), 'utf8');
const payload: PanelPayload = decodePayload(payloadText);
const { inspection } = payload;
const map = payload.headMaps.find((m) => m.layer === 1 && m.head === 2)!;
const input = map.input!;
const [tq, tk] = map.weights.shape;

let browser: Browser;
let server: PanelServer;
before(async () => { ({ browser, server } = await startPanel()); });
after(async () => { await browser?.close(); await server?.close(); });

type Posted = { kind: string; event?: string; method?: string; body?: unknown; params?: unknown };
const posted = (page: Page): Promise<Posted[]> => page.evaluate(() => (window as unknown as { __posted: Posted[] }).__posted);
const rgb = (css: string): Rgb => { const c = parseColor(css); assert.ok(c, css); return c; };
const near = (a: Rgb, b: Rgb, what: string): void => assert.ok(a.every((x, i) => Math.abs(x - b[i]) <= 1), `${what}: ${a} vs ${b}`);

async function pixel(page: Page, canvas: string, q: number, k: number): Promise<Rgb> {
  return page.$eval(canvas, (c, [q, k, tk]) => {
    const cv = c as HTMLCanvasElement;
    const cell = cv.width / tk;
    const d = cv.getContext('2d')!.getImageData(Math.floor((k + 0.5) * cell), Math.floor((q + 0.5) * cell), 1, 1).data;
    return [d[0], d[1], d[2]] as Rgb;
  }, [q, k, tk]);
}

/** The reference (TypeScript) map of the recorded head under `variant`. */
async function reference(variant: string): Promise<Float32Array> {
  return headWeights(referenceBackend, input, map.head, variant);
}

async function openHead(page: Page): Promise<void> {
  await send(page, { kind: 'event', event: 'show', body: { inspection } });
  await page.click('.model-grid .cell[data-layer="1"][data-head="2"]');
  await page.waitForSelector('.head-view canvas[data-source="runtime"]');
}

async function pick(page: Page, id: string, value: string): Promise<void> {
  await page.click(`#${id}`);
  await page.click(`#${id} vscode-option[value="${value}"]`);
}

test('the panel\'s head recompute (WASM kernels) reproduces the runtime\'s map and the TypeScript reference', async () => {
  const wasm = wasmBackend(await loadWasmKernels());
  const own = await headWeights(wasm, input, map.head, input.variant);
  let worst = 0;
  for (let i = 0; i < own.length; i++) worst = Math.max(worst, Math.abs(own[i] - map.weights.data[i]));
  // Same C kernel and same input as the runtime's js-backend map: float32 rounding only.
  assert.ok(worst < 1e-6, `max |wasm − runtime| ${worst}`);
  const sig = await headWeights(wasm, input, map.head, 'sigmoid:b=0');
  const ref = await reference('sigmoid:b=0');
  for (let i = 0; i < sig.length; i++) assert.ok(Math.abs(sig[i] - ref[i]) < 1e-5, `sigmoid:b=0 weight ${i}`);
  await assert.rejects(headWeights(wasm, input, map.head, 'sigmoid:q=1'), /variant sigmoid has no parameter "q"; its parameters: b/);
});

for (const theme of ['dark', 'light'] as ThemeName[]) {
  describe(`variants in the panel, ${theme} theme`, () => {
    const bg = rgb(THEMES[theme]['--vscode-editor-background']);
    const lut = ramp(bg, rgb(THEMES[theme]['--vscode-charts-orange']));
    const heat = (w: number): Rgb => { const i = rampIndex(Math.sqrt(w)) * 3; return [lut[i], lut[i + 1], lut[i + 2]]; };
    const open = (): Promise<{ page: Page; warnings: string[]; errors: string[] }> => openPanel(browser, server, theme, { width: 900, height: 1400 }, payloadText);

    test('a variant change re-renders the open head at once in the panel, then the runtime\'s map replaces it', async () => {
      const { page, errors } = await open();
      await openHead(page);
      await pick(page, 'variant', 'sigmoid');
      await page.waitForSelector('.head-view canvas[data-source="panel"][data-variant="sigmoid"]');
      assert.deepEqual((await posted(page)).filter((m) => m.event === 'setVariant').map((m) => m.body), [{ variant: 'sigmoid', params: '' }]);
      assert.match(await page.textContent('.head-view h3') ?? '', /· sigmoid · computed in the panel \(WASM\) while the model re-runs/);
      const sig = await reference('sigmoid');
      for (const [q, k] of [[0, 0], [5, 0], [5, 3], [13, 13], [tq - 1, 0], [9, 4]]) {
        near(await pixel(page, '.head-view canvas', q, k), heat(sig[q * tk + k]), `sigmoid pixel (${q}, ${k})`);
      }
      // softmax gives query 0 weight 1 on key 0; sigmoid with b = −ln 14 gives much less: the map really changed.
      assert.ok(sig[0] < 0.5);
      // The runtime's progress shows above the head, which stays on screen.
      await send(page, { kind: 'event', event: 'loading', body: { message: 'Running sigmoid…' } });
      assert.equal(await page.textContent('.banner.state-loading p'), 'Running sigmoid…');
      assert.equal(await page.$$eval('.head-view canvas', (e) => e.length), 1);
      // The re-run's inspection arrives: the head is fetched again from the runtime (here the recorded map).
      await send(page, { kind: 'event', event: 'show', body: { inspection } });
      await page.waitForSelector('.head-view canvas[data-source="runtime"]');
      assert.equal(await page.$('.banner'), null);
      near(await pixel(page, '.head-view canvas', 5, 3), heat(map.weights.data[5 * tk + 3]), 'runtime pixel (5, 3)');
      assert.deepEqual(errors, []);
      await page.close();
    });

    test('variant parameters: the field sends them, recomputes the head with them, and refuses a bad one', async () => {
      const { page, errors } = await open();
      await openHead(page);
      await pick(page, 'variant', 'sigmoid');
      await page.waitForSelector('.head-view canvas[data-source="panel"][data-variant="sigmoid"]');
      assert.equal(await page.$eval('#variant-params', (f) => (f as HTMLElement & { placeholder: string }).placeholder), 'b=auto');
      await page.click('#variant-params');
      await page.keyboard.type('b=0');
      await page.keyboard.press('Enter');
      await page.waitForSelector('.head-view canvas[data-source="panel"][data-variant="sigmoid:b=0"]');
      const b0 = await reference('sigmoid:b=0');
      for (const [q, k] of [[0, 0], [5, 3], [9, 4]]) near(await pixel(page, '.head-view canvas', q, k), heat(b0[q * tk + k]), `sigmoid:b=0 pixel (${q}, ${k})`);
      await page.click('#variant-params');
      await page.keyboard.press('Control+a');
      await page.keyboard.type('q=1');
      await page.keyboard.press('Enter');
      await page.waitForSelector('.state-error');
      assert.equal(await page.textContent('.state-error p'), 'variant sigmoid has no parameter "q"; its parameters: b');
      await page.keyboard.press('Tab'); // the blur commits the same text: still nothing sent
      assert.deepEqual((await posted(page)).filter((m) => m.event === 'setVariant').map((m) => m.body), [{ variant: 'sigmoid', params: '' }, { variant: 'sigmoid', params: 'b=0' }]);
      assert.deepEqual(errors, []);
      await page.close();
    });

    test('compare mode: variant A, variant B and the B − A difference map, pixels and readout', async () => {
      const { page, errors } = await open();
      await openHead(page);
      await pick(page, 'compare-variant', 'sigmoid-norm');
      await page.waitForSelector('.compare-map[data-map="diff"] canvas');
      const a = map.weights.data;
      const b = await reference('sigmoid-norm');
      const d = b.map((x, i) => x - a[i]);
      const max = d.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      assert.ok(max > 0.01, `the variants differ on this head (max |B − A| ${max})`);
      const div = divergingRamp(bg, rgb(THEMES[theme]['--vscode-charts-blue']), rgb(THEMES[theme]['--vscode-charts-orange']));
      const diverging = (x: number): Rgb => { const i = Math.max(1, Math.min(255, 128 + Math.round((x / max) * 127))) * 3; return [div[i], div[i + 1], div[i + 2]]; };
      let neg = 0;
      let pos = 0;
      for (let q = 0; q < tq; q += 2) {
        for (let k = 0; k <= q; k += 3) {
          near(await pixel(page, '.compare-map[data-map="a"] canvas', q, k), heat(a[q * tk + k]), `A (${q}, ${k})`);
          near(await pixel(page, '.compare-map[data-map="b"] canvas', q, k), heat(b[q * tk + k]), `B (${q}, ${k})`);
          near(await pixel(page, '.compare-map[data-map="diff"] canvas', q, k), diverging(d[q * tk + k]), `B − A (${q}, ${k})`);
          if (d[q * tk + k] < -max / 4) neg++;
          if (d[q * tk + k] > max / 4) pos++;
        }
      }
      assert.ok(neg + pos > 0, 'some cells show a clear difference');
      // A masked cell (above the diagonal) has no difference: the background.
      near(await pixel(page, '.compare-map[data-map="diff"] canvas', 2, 9), diverging(0), 'masked cell');
      const canvas = await page.$('.compare-map[data-map="diff"] canvas');
      await canvas!.scrollIntoViewIfNeeded();
      const box = (await canvas!.boundingBox())!;
      const size = await canvas!.evaluate((c) => (c as HTMLCanvasElement).width);
      await page.mouse.move(box.x + ((3 + 0.5) * size / tk) * (box.width / size), box.y + ((5 + 0.5) * size / tk) * (box.height / size));
      const i = 5 * tk + 3;
      const sign = d[i] >= 0 ? '+' : '−';
      assert.equal(await page.textContent('.compare-map[data-map="diff"] .readout'),
        `query #5 “${inspection.tokens[5].text}” → key #3 “${inspection.tokens[3].text}”: softmax ${a[i].toFixed(4)} · sigmoid-norm ${b[i].toFixed(4)} · B − A ${sign}${Math.abs(d[i]).toFixed(4)}`);
      // Off again: the single map.
      await pick(page, 'compare-variant', 'off');
      await page.waitForFunction(() => !document.querySelector('.compare-map'));
      assert.deepEqual(errors, []);
      await page.close();
    });

    test('the drift metric colours the strip and is announced to the overlay', async () => {
      const { page, errors } = await open();
      const values = Float32Array.from(inspection.tokens, (_t, i) => (i === 0 ? 0.02 : 0.002 * (i % 5)));
      await send(page, { kind: 'event', event: 'show', body: { inspection: { ...inspection, drift: { label: 'ivit vs fp32', values: { shape: [values.length], data: values } } } } });
      await page.waitForSelector('#metric');
      await pick(page, 'metric', 'drift');
      await page.waitForFunction(() => (window as unknown as { __posted: Posted[] }).__posted.some((m) => m.event === 'setMetric' && (m.body as { metric: string }).metric === 'drift'));
      const bgs = await page.$$eval('.token-strip .token', (els) => els.map((e) => getComputedStyle(e).backgroundColor));
      bgs.forEach((c, i) => near(rgb(c), (() => { const j = rampIndex(values[i] / 0.02) * 3; return [lut[j], lut[j + 1], lut[j + 2]] as Rgb; })(), `token ${i} by drift`));
      // Without a drift run the metric is not offered.
      await send(page, { kind: 'event', event: 'show', body: { inspection } });
      await page.waitForSelector('#metric');
      assert.deepEqual(await page.$$eval('#metric vscode-option', (o) => o.map((x) => x.getAttribute('value'))), ['sink']);
      assert.deepEqual(errors, []);
      await page.close();
    });
  });
}

test('after a reload the panel shows the empty state, then reopens the saved head on the next inspection', async () => {
  const first = await openPanel(browser, server, 'dark', { width: 900, height: 1100 }, payloadText);
  await openHead(first.page);
  const saved = await first.page.evaluate(() => (window as unknown as { __state: unknown }).__state);
  assert.deepEqual(saved, { selected: { layer: 1, head: 2 }, metric: 'sink', tab: 'inspect' });
  await first.page.close();
  // A new page with that state, as VS Code restores a panel's webview after a window reload.
  const page = await browser.newPage({ viewport: { width: 900, height: 1100 } });
  const { hostScript } = await import('./harness');
  await page.addInitScript(hostScript('dark', saved));
  await page.goto(`${server.origin}/panel.html`);
  await page.waitForSelector('.state-empty');
  assert.match(await page.textContent('.state-empty p') ?? '', /No inspection yet/);
  await page.evaluate((text) => {
    const revive = (_k: string, v: unknown): unknown => {
      const o = v as { f32?: string } | null;
      return o && typeof o === 'object' && typeof o.f32 === 'string' ? new Float32Array(Uint8Array.from(atob(o.f32), (c) => c.charCodeAt(0)).buffer) : v;
    };
    (window as unknown as { __headMaps: unknown }).__headMaps = JSON.parse(text, revive).headMaps;
  }, payloadText);
  await send(page, { kind: 'event', event: 'show', body: { inspection } });
  await page.waitForSelector('.head-view canvas[data-source="runtime"]');
  assert.match(await page.textContent('.head-view h3') ?? '', /^Layer 1 · head 2/);
  await page.close();
});
