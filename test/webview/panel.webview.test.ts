// The built panel in headless Chromium, fed the payload recorded from a real engine run of a
// fixture model (scripts/e2e/record-panel-payload.ts): grid colours, head-map pixels, hover
// readout, keyboard, message validation, CSP, and the variant-change message, in light and dark.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { parseColor, ramp, rampIndex, type Rgb } from '../../webview/color';
import { decodePayload, type PanelPayload } from '../../scripts/e2e/payload';
import { openPanel as openPanelIn, send, startPanel, THEMES, type PanelServer, type ThemeName } from './harness';

const payloadText = readFileSync(join(import.meta.dirname, 'gqa-decoder-contrib.payload.json'), 'utf8');
const payload: PanelPayload = decodePayload(payloadText);

let browser: Browser;
let server: PanelServer;

before(async () => { ({ browser, server } = await startPanel()); });
after(async () => { await browser?.close(); await server?.close(); });

async function posted(page: Page): Promise<{ kind: string; event?: string; method?: string; body?: unknown; params?: unknown }[]> {
  return page.evaluate(() => (window as unknown as { __posted: [] }).__posted);
}

function rgb(css: string): Rgb {
  const c = parseColor(css);
  assert.ok(c, `not a colour: ${css}`);
  return c;
}

const openPanel = (theme: ThemeName): Promise<{ page: Page; warnings: string[]; errors: string[] }> =>
  openPanelIn(browser, server, theme, { width: 900, height: 1100 }, payloadText);

for (const theme of ['dark', 'light'] as ThemeName[]) {
  describe(`panel, ${theme} theme`, () => {
    const bg = rgb(THEMES[theme]['--vscode-editor-background']);
    const accent = rgb(THEMES[theme]['--vscode-charts-orange']);
    const lut = ramp(bg, accent);
    const expected = (v: number): Rgb => { const i = rampIndex(v) * 3; return [lut[i], lut[i + 1], lut[i + 2]]; };
    const { inspection } = payload;
    const { layers, heads } = inspection.model;
    const n = inspection.tokens.length;

    test('empty state, then the grid and token strip coloured from the recorded inspection', async () => {
      const { page, errors } = await openPanel(theme);
      assert.match(await page.textContent('.state-empty') ?? '', /No inspection yet/);
      await send(page, { kind: 'event', event: 'show', body: { inspection } });
      await page.waitForSelector('.model-grid .cell');
      const cells = await page.$$eval('.model-grid .cell', (els) => els.map((e) => ({ l: Number((e as HTMLElement).dataset.layer), h: Number((e as HTMLElement).dataset.head), bg: getComputedStyle(e).backgroundColor, label: e.getAttribute('aria-label') })));
      assert.equal(cells.length, layers * heads);
      for (const c of cells) {
        const a1 = inspection.alpha.data[(c.l * heads + c.h) * n];
        assert.deepEqual(rgb(c.bg), expected(a1), `cell L${c.l} h${c.h} (α₁ ${a1})`);
        assert.equal(c.label, `layer ${c.l} head ${c.h}: α₁ = ${a1.toFixed(4)}`);
      }
      const tokens = await page.$$eval('.token-strip .token', (els) => els.map((e) => ({ text: e.textContent, bg: getComputedStyle(e).backgroundColor })));
      assert.deepEqual(tokens.map((t) => t.text), inspection.tokens.map((t) => t.text));
      tokens.forEach((t, i) => assert.deepEqual(rgb(t.bg), expected(inspection.sinkScore.data[i]), `token ${i}`));
      assert.match(await page.textContent('.summary') ?? '', new RegExp(`model\\.onnx · ${layers} layers × ${heads} heads · ${n} tokens · softmax on js`));
      // Outputs of the causal LM: next-token top-k and a drawn per-token loss line.
      const out = inspection.outputs!;
      const topk = await page.$$eval('.topk li', (els) => els.map((e) => e.textContent));
      assert.equal(topk.length, out.topK.length);
      assert.equal(topk[0], `“${out.topK[0].text}” (id ${out.topK[0].id}) ${(100 * out.topK[0].prob).toFixed(1)} %`);
      const lineColoured = await page.$eval('.loss-chart', (c, rgb) => {
        const cv = c as HTMLCanvasElement;
        const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
        let hits = 0;
        for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - rgb[0]) < 8 && Math.abs(d[i + 1] - rgb[1]) < 8 && Math.abs(d[i + 2] - rgb[2]) < 8 && d[i + 3] > 200) hits++;
        return hits;
      }, accent);
      assert.ok(lineColoured > 50, `the loss line is drawn in the theme accent (${lineColoured} pixels)`);
      assert.deepEqual(errors, []);
      await page.close();
    });

    test('clicking a cell requests that head and draws its map: pixels, hover readout, zoom', async () => {
      const { page, errors } = await openPanel(theme);
      await send(page, { kind: 'event', event: 'show', body: { inspection } });
      const map = payload.headMaps.find((m) => m.layer === 1 && m.head === 2)!;
      await page.click('.model-grid .cell[data-layer="1"][data-head="2"]');
      await page.waitForSelector('.head-view canvas');
      assert.ok((await posted(page)).some((m) => m.kind === 'request' && m.method === 'headMap' && JSON.stringify(m.params) === '{"layer":1,"head":2}'));
      const [tq, tk] = map.weights.shape;
      const size = await page.$eval('.head-view canvas', (c) => (c as HTMLCanvasElement).width);
      const cell = size / tk;
      const pixelAt = (q: number, k: number): Promise<Rgb> => page.$eval('.head-view canvas', (c, [x, y]) => {
        const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(x, y, 1, 1).data;
        return [d[0], d[1], d[2]] as Rgb;
      }, [Math.floor((k + 0.5) * cell), Math.floor((q + 0.5) * cell)]);
      // Query 0 sees only key 0 (weight 1: the full accent); above the diagonal is masked (background).
      assert.deepEqual(await pixelAt(0, 0), accent);
      assert.deepEqual(await pixelAt(2, 9), bg);
      for (const [q, k] of [[5, 0], [5, 3], [13, 13], [tq - 1, 0], [9, 4]]) {
        assert.deepEqual(await pixelAt(q, k), expected(Math.sqrt(map.weights.data[q * tk + k])), `pixel of (${q}, ${k})`);
      }
      await page.$eval('.head-view canvas', (c) => c.scrollIntoView());
      const box = (await page.$('.head-view canvas'))!.boundingBox();
      const b = (await box)!;
      await page.mouse.move(b.x + (3 + 0.5) * cell * (b.width / size), b.y + (5 + 0.5) * cell * (b.height / size));
      const w = map.weights.data[5 * tk + 3];
      assert.equal(await page.textContent('.head-view .readout'), `query #5 “${inspection.tokens[5].text}” → key #3 “${inspection.tokens[3].text}”: ${w.toFixed(4)}`);
      // Zoom in with the keyboard about the centre: the cell under the centre keeps its colour, cells grow.
      await page.focus('.head-view canvas');
      await page.keyboard.press('+');
      await page.keyboard.press('0');
      assert.deepEqual(await pixelAt(0, 0), accent);
      assert.deepEqual(errors, []);
      await page.close();
    });

    test('a variant change posts setVariant with the chosen id; keyboard opens a head', async () => {
      const { page, errors } = await openPanel(theme);
      await send(page, { kind: 'event', event: 'show', body: { inspection } });
      await page.waitForSelector('#variant');
      await page.click('#variant');
      await page.click(`#variant vscode-option[value="${payload.otherVariant}"]`);
      await page.waitForFunction(() => (window as unknown as { __posted: { event?: string }[] }).__posted.some((m) => m.event === 'setVariant'));
      const sent = (await posted(page)).filter((m) => m.event === 'setVariant');
      assert.deepEqual(sent.map((m) => m.body), [{ variant: payload.otherVariant, params: '' }]);
      // "Colour by" α of the open head is announced so the editor overlay follows the panel.
      await page.click('.model-grid .cell[data-layer="1"][data-head="2"]');
      await page.waitForSelector('.head-view canvas');
      await page.click('#metric');
      await page.click('#metric vscode-option[value="alpha"]');
      await page.waitForFunction(() => (window as unknown as { __posted: { event?: string; body?: { metric?: string } }[] }).__posted.some((m) => m.event === 'setMetric' && m.body?.metric === 'alpha'));
      assert.deepEqual((await posted(page)).filter((m) => m.event === 'setMetric').map((m) => m.body), [{ metric: 'alpha', layer: 1, head: 2 }]);
      const alpha12 = inspection.alpha.data.subarray((1 * heads + 2) * n, (1 * heads + 3) * n);
      const stripBg = await page.$$eval('.token-strip .token', (els) => els.map((e) => getComputedStyle(e).backgroundColor));
      stripBg.forEach((c, i) => assert.deepEqual(rgb(c), expected(alpha12[i]), `token ${i} by α of L1 h2`));
      // Keyboard: the grid is one tab stop; arrows move, Enter opens the head.
      await page.focus('.model-grid .cell[data-layer="0"][data-head="0"]');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => (window as unknown as { __posted: { method?: string; params?: { head: number } }[] }).__posted.some((m) => m.method === 'headMap' && m.params?.head === 1));
      assert.deepEqual(errors, []);
      await page.close();
    });

    test('invalid messages are refused with a reason; loading and error states render', async () => {
      const { page, warnings } = await openPanel(theme);
      await send(page, { kind: 'event', event: 'show', body: { inspection } });
      await page.waitForSelector('.model-grid .cell');
      const broken = { ...inspection, alpha: { shape: [layers, heads, n + 1], data: inspection.alpha.data } };
      await send(page, { kind: 'event', event: 'show', body: { inspection: broken } });
      await send(page, { kind: 'event', event: 'explode', body: {} });
      await page.waitForFunction(() => true);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(await page.$$eval('.model-grid .cell', (e) => e.length), layers * heads, 'the valid view stays');
      assert.ok(warnings.some((w) => w.includes(`alpha shape [${layers}, ${heads}, ${n + 1}] needs`) || w.includes(`alpha is [${layers}, ${heads}, ${n + 1}]`)), warnings.join('\n'));
      assert.ok(warnings.some((w) => w.includes('unknown event explode')));
      await send(page, { kind: 'event', event: 'notice', body: { message: 'model.onnx is open. Select a prompt.' } });
      assert.equal(await page.textContent('.state-empty p'), 'model.onnx is open. Select a prompt.');
      await send(page, { kind: 'event', event: 'loading', body: { message: 'Running sigmoid…' } });
      assert.equal(await page.textContent('.state-loading p'), 'Running sigmoid…');
      await send(page, { kind: 'event', event: 'error', body: { message: 'The AttnScope runtime crashed (signal SIGKILL).' } });
      assert.equal(await page.textContent('[role=alert] p'), 'The AttnScope runtime crashed (signal SIGKILL).');
      await page.close();
    });

    test('the Content-Security-Policy blocks inline script; only the nonce script ran', async () => {
      const { page } = await openPanel(theme);
      const csp = await page.$eval('meta[http-equiv="Content-Security-Policy"]', (m) => m.getAttribute('content'));
      assert.match(csp ?? '', /^default-src 'none'; script-src 'nonce-[A-Za-z0-9_-]+' 'wasm-unsafe-eval'; connect-src http:\/\/127\.0\.0\.1:\d+; style-src http:\/\/127\.0\.0\.1:\d+ 'sha256-47DEQpj8HBSa\+\/TImW\+5JCeuQeRkm5NMpJWZG3hSuFU=';/);
      await page.evaluate(() => { const s = document.createElement('script'); s.textContent = 'window.__inline = 1'; document.body.append(s); });
      assert.equal(await page.evaluate(() => (window as unknown as { __inline?: number }).__inline), undefined);
      await page.close();
    });
  });
}
