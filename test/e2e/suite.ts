// The end-to-end test cases, shared by both harnesses: AttnScope installed from its VSIX into a real
// VS Code (code-server in headless Chromium: test/e2e/extension.e2e.test.ts; VS Code desktop under
// @vscode/test-electron: npm run test:vscode): open a fixture model, inspect a prompt, see the
// overlay, the status bar and the panel's grid; change the variant in the panel and see the numbers
// change; kill the runtime process and see the one-line error and the recovery.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { packageVsix } from '../../scripts/e2e/codeServer';
import { palette } from '../../scripts/e2e/palette';

/** A VS Code started with a workspace open and AttnScope installed from a VSIX. */
export interface RunningVsCode {
  /** The workbench window. */
  page: Page;
  /** Every live process started under this VS Code (extension hosts, our runtime). */
  descendants(): { pid: number; args: string }[];
  stop(): Promise<void>;
}

/** How one kind of VS Code is started. */
export interface VsCodeHarness {
  name: string;
  /** Folder under test/.tmp for the run's screenshots. */
  screenshots: string;
  start(dir: string, workspace: string, vsix: string): Promise<RunningVsCode>;
}

const root = join(import.meta.dirname, '..', '..');
const fixture = join(root, 'test/fixtures/models/gqa-decoder-contrib');
const ids = (JSON.parse(readFileSync(join(fixture, 'case.json'), 'utf8')) as { inputIds: number[] }).inputIds;

/** Registers the end-to-end tests (node:test) against VS Code started by `h`. */
export function e2eSuite(h: VsCodeHarness): void {
  const dir = join(root, 'test/.tmp', `e2e-${process.pid}`);
  const shots = join(root, 'test/.tmp', h.screenshots);
  let vscode: RunningVsCode;
  let page: Page;

  before(async () => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'ws'), { recursive: true });
    mkdirSync(shots, { recursive: true });
    writeFileSync(join(dir, 'ws/prompt.txt'), `${ids.join(' ')}\n`);
    copyFileSync(join(root, 'test/fixtures/models/mha-encoder-contrib/model.onnx'), join(dir, 'ws/encoder.onnx'));
    // Installed from the VSIX that npm run package builds, as a user would install it.
    vscode = await h.start(dir, join(dir, 'ws'), packageVsix(join(dir, 'attnscope.vsix')));
    page = vscode.page;
    await page.waitForSelector('.command-center-center', { timeout: 90_000 });
  });

  after(async () => {
    await vscode?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The frame of the AttnScope panel once it shows `selector`. */
  async function panelFrame(selector: string, timeout = 30_000): Promise<Frame> {
    const t0 = Date.now();
    while (Date.now() - t0 < timeout) {
      for (const f of page.frames()) if (await f.$(selector).catch(() => null)) return f;
      await page.waitForTimeout(200);
    }
    throw new Error(`no panel frame shows ${selector} within ${timeout} ms`);
  }

  async function notification(pattern: RegExp, timeout = 30_000): Promise<string> {
    const t0 = Date.now();
    while (Date.now() - t0 < timeout) {
      const texts = await page.$$eval('.notification-list-item-message', (els) => els.map((e) => e.textContent ?? ''));
      const hit = texts.find((t) => pattern.test(t));
      if (hit) return hit;
      await page.waitForTimeout(200);
    }
    await page.screenshot({ path: join(shots, 'failed-notification.png') });
    throw new Error(`no notification matching ${pattern} within ${timeout} ms (screenshot test/.tmp/${h.screenshots}/failed-notification.png)`);
  }

  function runtimes(): number[] {
    return vscode.descendants().filter((p) => /attnscope[^ ]*\/dist\/server\.js/.test(p.args)).map((p) => p.pid);
  }

  test('open a model, inspect the prompt: overlay, status bar and the panel grid', async () => {
    await page.click('.explorer-folders-view >> text=prompt.txt');
    await page.waitForSelector('.monaco-editor .view-lines');
    await palette(page, 'AttnScope: Open Model');
    await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(shots, 'open-dialog.png') });
    await page.keyboard.press('Control+a');
    await page.keyboard.type(join(fixture, 'model.onnx'));
    await page.keyboard.press('Enter');
    await notification(/model\.onnx has 2 attention cores \(gqa\)/);
    await page.click('.monaco-editor .view-lines');
    await palette(page, 'AttnScope: Inspect Selection');
    const frame = await panelFrame('.model-grid .cell');
    assert.equal(await frame.$$eval('.model-grid .cell', (e) => e.length), 8);
    assert.deepEqual(await frame.$$eval('.token-strip .token', (e) => e.map((x) => x.textContent)), ids.map(String));
    // The overlay: the first token (a sink in this model) is painted with an AttnScope decoration.
    const status = await page.$$eval('.statusbar-item', (els) => els.map((e) => e.textContent ?? '').find((t) => t.includes('model.onnx ·')));
    assert.match(status ?? '', /model\.onnx · .* · (native|wasm|js) · \d+ ms/);
    const painted = await page.$$eval('.monaco-editor .view-overlays .cdr, .monaco-editor .view-lines span[class*="ced-"]', (e) => e.length);
    assert.ok(painted > 0, 'the editor shows overlay decorations');
    await page.screenshot({ path: join(shots, 'inspect.png') });
  });

  test('changing the variant in the panel re-runs the model and changes the numbers', async () => {
    let frame = await panelFrame('.model-grid .cell');
    const before = await frame.$$eval('.model-grid .cell', (e) => e.map((x) => x.getAttribute('aria-label')));
    await frame.click('#variant');
    await frame.hover('#variant vscode-option[value="sigmoid"]');
    // Timed from the click on the option to the panel showing the re-run's numbers (reported, not asserted).
    const t0 = Date.now();
    await frame.click('#variant vscode-option[value="sigmoid"]');
    let after = before;
    while (Date.now() - t0 < 30_000) {
      const summary = await frame.textContent('.summary').catch(() => null);
      if (summary === null) frame = await panelFrame('.model-grid .cell');
      else if (summary.includes('sigmoid on')) { after = await frame.$$eval('.model-grid .cell', (e) => e.map((x) => x.getAttribute('aria-label'))); break; }
      else await page.waitForTimeout(10);
    }
    console.log(`# ${h.name}: variant swap, click to re-rendered numbers: ${Date.now() - t0} ms`);
    assert.notDeepEqual(after, before, 'α₁ per head changed with the variant');
    await page.screenshot({ path: join(shots, 'variant.png') });
    // Compare mode runs the WASM kernels inside the real webview (CSP, localResourceRoots, fetch).
    frame = await panelFrame('.model-grid .cell');
    await frame.click('.model-grid .cell[data-layer="1"][data-head="2"]');
    frame = await panelFrame('#compare-variant');
    await frame.click('#compare-variant');
    await frame.click('#compare-variant vscode-option[value="softmax"]');
    frame = await panelFrame('.compare-map[data-map="diff"] canvas');
    assert.match(await frame.textContent('.compare-map[data-map="diff"] h3') ?? '', /^B − A \(largest \|difference\| 0\.\d{4}\)$/);
    await page.screenshot({ path: join(shots, 'compare-head.png') });
  });

  /** Types `path` into VS Code's own save dialog (files.simpleDialog.enable) and waits for the file. */
  async function saveAs(path: string): Promise<Buffer> {
    await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
    await page.waitForTimeout(300);
    await page.keyboard.press('Control+a');
    await page.keyboard.type(path);
    await page.keyboard.press('Enter');
    const t0 = Date.now();
    while (!existsSync(path) && Date.now() - t0 < 15_000) await page.waitForTimeout(100);
    assert.ok(existsSync(path), `${path} was written`);
    await page.waitForTimeout(200);
    return readFileSync(path);
  }

  async function exportPick(label: string): Promise<void> {
    await palette(page, 'AttnScope: Export');
    const row = `.quick-input-list .monaco-list-row[aria-label*="${label}"]`;
    await page.waitForSelector(row, { state: 'visible' });
    await page.waitForTimeout(300);
    await page.click(row);
  }

  test('Export… writes an HTML report with the numbers and the panel\'s grid as PNG', async () => {
    await exportPick('HTML report');
    const html = (await saveAs(join(dir, 'ws/report.html'))).toString('utf8');
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'sha256-/);
    assert.doesNotMatch(html, /<script/);
    assert.match(html, /<dt>Variant<\/dt><dd>sigmoid<\/dd>/);
    ids.forEach((id, k) => assert.ok(html.includes(`<tr><td>${k}</td><td>${id}</td>`), `token ${k} in the report`));
    assert.equal(html.match(/<rect class="cell"/g)?.length, ids.length + 8, 'token strip and the 2 × 4 grid inline');

    await exportPick('PNG: model grid');
    const png = await saveAs(join(dir, 'ws/grid.png'));
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG file');
    // IHDR: the grid figure of 2 layers × 4 heads (36 px labels + 4 × 24 px cells + 4; 20 + 2 × 24 + 4).
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [136, 72]);
  });

  test('Compare Variants… opens a report ranking the heads', async () => {
    await palette(page, 'AttnScope: Compare Variants');
    await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
    await page.waitForTimeout(300);
    await page.keyboard.type('sigmoid-norm');
    await page.waitForSelector('.quick-input-list .monaco-list-row[aria-label*="sigmoid-norm"]');
    await page.keyboard.press('Enter');
    const t0 = Date.now();
    let text = '';
    while (Date.now() - t0 < 60_000 && !/vs sigmoid-norm/.test(text)) {
      text = (await page.$$eval('.monaco-editor .view-lines', (els) => els.map((e) => e.textContent ?? '').join('\n'))).replace(/\u00a0/g, ' ');
      await page.waitForTimeout(300);
    }
    assert.match(text, /# AttnScope: \S+ vs sigmoid-norm/);
    assert.match(text, /## Heads ranked by js divergence/);
    await page.screenshot({ path: join(shots, 'compare.png') });
  });

  test('Show Quantization Drift: the panel\'s drift metric paints the overlay and the hover shows the drift', async () => {
    await page.click('.explorer-folders-view >> text=prompt.txt');
    await page.waitForTimeout(300);
    await palette(page, 'AttnScope: Show Quantization Drift');
    const ivit = '.quick-input-list .monaco-list-row[aria-label*="ivit"]';
    await page.waitForSelector(ivit, { state: 'visible' });
    await page.waitForTimeout(300);
    await page.click(ivit);
    let frame = await panelFrame('#tab-drift[aria-selected="true"]', 60_000);
    await frame.click('#tab-inspect');
    frame = await panelFrame('#metric');
    await frame.click('#metric');
    await frame.click('#metric vscode-option[value="drift"]');
    // The overlay now paints by drift: the hover of the first token says so, with its value.
    await page.click('.explorer-folders-view >> text=prompt.txt');
    await page.waitForTimeout(500);
    // The prompt is one long line: point at its first token (the line's middle may lie under the scrollbar).
    const line = (await page.locator('.editor-group-container.active .monaco-editor .view-lines .view-line span span').first().boundingBox())!;
    const t0 = Date.now();
    let hover = '';
    while (Date.now() - t0 < 20_000 && !/drift \(ivit vs fp32\): Δ attention received/.test(hover)) {
      await page.mouse.move(line.x + 6, line.y + line.height / 2);
      await page.waitForTimeout(1_200);
      hover = (await page.$$eval('.monaco-hover-content', (els) => els.map((e) => e.textContent ?? '').join('\n'))).replace(/\u00a0/g, ' ');
      await page.mouse.move(5, 5);
    }
    assert.match(hover, /drift \(ivit vs fp32, relative to the largest [\d.e-]+\): [\d.]+/);
    assert.match(hover, /drift \(ivit vs fp32\): Δ attention received -?[\d.]+/);
    await page.screenshot({ path: join(shots, 'drift-overlay.png') });
  });

  test('killing the runtime gives a one-line error and a working runtime again', async () => {
    const first = runtimes();
    assert.equal(first.length, 1, `one runtime process (found ${first.length})`);
    process.kill(first[0], 'SIGKILL');
    const msg = await notification(/AttnScope runtime was killed \(SIGKILL/);
    assert.match(msg, /It was restarted\./);
    await page.screenshot({ path: join(shots, 'crash.png') });
    const t0 = Date.now();
    while (!(runtimes().length === 1 && runtimes()[0] !== first[0]) && Date.now() - t0 < 30_000) await page.waitForTimeout(200);
    assert.ok(runtimes().length === 1 && runtimes()[0] !== first[0], 'a fresh runtime process runs');
    // The model is reloaded into the fresh runtime; inspecting works again.
    await page.click('.explorer-folders-view >> text=prompt.txt');
    await page.waitForTimeout(500);
    await palette(page, 'AttnScope: Inspect Selection');
    const frame = await panelFrame('.model-grid .cell');
    assert.equal(await frame.$$eval('.model-grid .cell', (e) => e.length), 8);
  });

  test('opening an .onnx file shows its model summary; its link makes it the model in use', async () => {
    await page.click('.explorer-folders-view >> text=encoder.onnx');
    const frame = await panelFrame('a.use');
    assert.equal(await frame.textContent('h1'), 'encoder.onnx');
    assert.deepEqual(await frame.$$eval('table:first-of-type tbody tr td:nth-child(2)', (e) => e.map((x) => x.textContent)), ['mha', 'mha']);
    await page.screenshot({ path: join(shots, 'model-summary.png') });
    await frame.click('a.use');
    await notification(/encoder\.onnx has 2 attention cores \(mha\)/);
  });

  test('after a window reload the panel is restored and shows its empty state', async () => {
    await palette(page, 'Developer: Reload Window');
    await page.waitForSelector('.command-center-center', { timeout: 90_000 });
    // VS Code restores a webview when its tab is shown: bring the AttnScope tab to the front.
    const tab = '.tabs-container .tab[aria-label^="AttnScope"]';
    await page.waitForSelector(tab, { timeout: 60_000 }).catch(async (e: unknown) => { await page.screenshot({ path: join(shots, 'failed-restore.png') }); throw e; });
    await page.click(tab);
    const frame = await panelFrame('.state-empty', 60_000);
    assert.match(await frame.textContent('.state-empty p') ?? '', /No inspection yet|is open\. Select a prompt|No model is open/);
    await page.screenshot({ path: join(shots, 'restored.png') });
  });
}
