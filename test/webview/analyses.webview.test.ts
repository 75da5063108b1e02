// The panel's analysis tabs in headless Chromium, fed payloads recorded from real CLI runs of a
// fixture model (scripts/e2e/record-analysis-payloads.ts): the Timings table shows the CLI's
// --json numbers as the CLI prints them, bars and timeline follow the run, a kernel slice opens its
// head; the Drift grid and worst heads, and the Streaming loss lines, in light and dark.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { fmt } from '../../runtime/analysis/format/table';
import { formatProfile, type ProfileReport } from '../../runtime/profile/format';
import type { PanelCompare, PanelDrift, PanelProfile, PanelSpread, PanelStream } from '../../extension/protocol/analyses';
import { parseColor, ramp, rampIndex, type Rgb } from '../../webview/color';
import { decodePayload } from '../../scripts/e2e/payload';
import { openPanel as openPanelIn, send, startPanel, THEMES, type PanelServer, type ThemeName } from './harness';

const read = (f: string): string => readFileSync(join(import.meta.dirname, f), 'utf8');

/** The per-layer rows of `attnscope profile`'s printed report by "configuration layer", cells cut at the dashed rule's columns. */
function cliLayerRows(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let config = '';
  let cols: [number, number][] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('== ')) config = line.slice(3);
    else if (/^-+( +-+)*$/.test(line)) cols = [...line.matchAll(/-+/g)].map((m) => [m.index, m.index + m[0].length]);
    else if (config && /^L\d+ /.test(line)) out.set(`${config} ${line.split(' ')[0]}`, cols.map(([a, b], i) => line.slice(a, i === cols.length - 1 ? undefined : b).trim()));
  }
  return out;
}
const payloadText = read('gqa-decoder-contrib.payload.json');
const { inspection, headMaps } = decodePayload(payloadText);
const { profile } = JSON.parse(read('gqa-decoder-contrib.profile.json')) as { profile: PanelProfile };
const { drift } = JSON.parse(read('gqa-decoder-contrib.drift.json')) as { drift: PanelDrift };
const { stream } = JSON.parse(read('gqa-decoder-contrib.stream.json')) as { stream: PanelStream };
const { compare } = JSON.parse(read('gqa-decoder-contrib.compare.json')) as { compare: PanelCompare };
const SERIES = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple'] as const;

let browser: Browser;
let server: PanelServer;

before(async () => { ({ browser, server } = await startPanel()); });
after(async () => { await browser?.close(); await server?.close(); });

type Posted = { kind: string; event?: string; method?: string; body?: unknown; params?: unknown };

const event = (name: string, body: unknown): unknown => ({ kind: 'event', event: name, body });
const posted = (page: Page): Promise<Posted[]> => page.evaluate(() => (window as unknown as { __posted: Posted[] }).__posted);

function rgb(css: string): Rgb {
  const c = parseColor(css);
  assert.ok(c, `not a colour: ${css}`);
  return c;
}

/** Opens the panel and shows the recorded inspection, which the analysis tabs build on. */
async function openPanel(theme: ThemeName): Promise<{ page: Page; warnings: string[]; errors: string[] }> {
  const opened = await openPanelIn(browser, server, theme, { width: 1000, height: 1200 }, payloadText);
  const { page } = opened;
  await send(page, event('show', { inspection }));
  await page.waitForSelector('.model-grid .cell');
  return opened;
}

const ms = (s: PanelSpread | null): string => (s ? `${fmt(s.median)} ±${fmt(s.mad)}` : '');

for (const theme of ['dark', 'light'] as ThemeName[]) {
  describe(`analysis tabs, ${theme} theme`, () => {
    const colour = (name: string): Rgb => rgb(THEMES[theme][name as keyof (typeof THEMES)[typeof theme]]);

    test('Timings: the table shows the CLI --json numbers as the CLI prints them, sorted by cost; bars per configuration', async () => {
      const { page, errors } = await openPanel(theme);
      await page.click('#tab-timings');
      assert.match(await page.textContent('.tab-panel-timings .state-empty') ?? '', /No profile yet/);
      await send(page, event('profile', { profile }));
      await page.waitForSelector('.timings-table tbody tr');
      assert.equal(await page.getAttribute('#tab-timings', 'aria-selected'), 'true');
      const head = await page.$$eval('.timings-table thead th', (els) => els.map((e) => e.textContent));
      assert.deepEqual(head, ['layer', 'heads', 'configuration', 'kernel ms ±MAD', 'min-max', 'GFLOP/s', '% peak', 'ORT before ms', 'ORT after ms']);
      const rows = await page.$$eval('.timings-table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
      const { configs } = profile.report;
      assert.equal(rows.length, configs.reduce((n, c) => n + c.layers.length, 0), 'one row per layer and configuration');
      const seen = new Set<string>();
      let prev = Infinity;
      for (const r of rows) {
        const c = configs.find((x) => x.label === r[2]);
        assert.ok(c, `configuration ${r[2]} is in the CLI report`);
        const l = c.layers.find((x) => `L${x.layer}` === r[0]);
        assert.ok(l, `${r[0]} of ${r[2]}`);
        seen.add(`${r[2]} ${r[0]}`);
        assert.deepEqual(r, [`L${l.layer}`, `0-${l.heads - 1}`, c.label, ms(l.kernelMs), `${fmt(l.kernelMs.min)}-${fmt(l.kernelMs.max)}`,
          fmt(l.gflops), l.pctPeak === null ? '' : `${(100 * l.pctPeak).toFixed(1)}%`, ms(l.ortBeforeMs), ms(l.ortAfterMs)]);
        assert.ok(l.kernelMs.median <= prev, 'rows are sorted by kernel median, costliest first');
        prev = l.kernelMs.median;
      }
      assert.equal(seen.size, rows.length);
      // The same cells as the CLI's printed report of that run (its text, not only its --json numbers).
      const printed = cliLayerRows(formatProfile({ ...(profile.report as unknown as ProfileReport), trace: null }));
      for (const r of rows) {
        const cli = printed.get(`${r[2]} ${r[0]}`);
        assert.ok(cli, `the CLI printed ${r[2]} ${r[0]}`);
        assert.deepEqual([r[0], r[1], r[3], r[4], r[5], r[6], r[7], r[8]], [cli[0], cli[1], cli[2], cli[3], cli[7], cli[8], cli[9], cli[10]], `${r[2]} ${r[0]}`);
      }
      const totals = await page.$$eval('.timings-totals tbody tr', (trs) => trs.map((tr) => tr.querySelector('td')?.textContent));
      assert.deepEqual(totals, [...configs].sort((a, b) => b.kernelSumMs.median - a.kernelSumMs.median).map((c) => c.label));
      // Bars: per layer one bar per configuration, in that configuration's theme colour, as long as its median.
      const bars = await page.$$eval('.layer-bars .bar', (els) => els.map((e) => ({ layer: Number((e as HTMLElement).dataset.layer), config: (e as HTMLElement).dataset.config, bg: getComputedStyle(e).backgroundColor, width: e.getBoundingClientRect().width, full: (e.parentElement as HTMLElement).getBoundingClientRect().width })));
      assert.equal(bars.length, rows.length);
      const max = Math.max(...configs.flatMap((c) => c.layers.map((l) => l.kernelMs.median)));
      for (const b of bars) {
        const i = configs.findIndex((c) => c.label === b.config);
        assert.deepEqual(rgb(b.bg), colour(SERIES[i]), `bar colour of ${b.config}`);
        const want = (configs[i].layers.find((l) => l.layer === b.layer)!.kernelMs.median / max) * b.full;
        assert.ok(Math.abs(b.width - Math.max(1, want)) <= 1, `bar L${b.layer} ${b.config}: ${b.width} px, expected ${want}`);
      }
      // Export: the trace and the table go to the extension's save path.
      await page.click('.profile-exports vscode-button[data-format="csv"]');
      await page.click('.profile-exports vscode-button[data-format="trace"]');
      assert.deepEqual((await posted(page)).filter((m) => m.event === 'exportProfile').map((m) => m.body), [{ format: 'csv' }, { format: 'trace' }]);
      assert.deepEqual(errors, []);
      await page.close();
    });

    test('Timings: the timeline shows the last round; clicking or Enter on a kernel slice opens its layer and head', async () => {
      const { page, errors } = await openPanel(theme);
      await send(page, event('profile', { profile }));
      await page.waitForSelector('.timeline .kernel-slice');
      const { repeat } = profile.report;
      const threadNames = profile.trace!.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name');
      const kernelTids = new Set(threadNames.filter((e) => String(e.args?.name).startsWith('kernels ')).map((e) => e.tid));
      // Every kernel slice of the last round: per backend the cores and head ranges, per worker thread its rows of each head
      // (its whole share of a core, which has busyMs, would cover those and is left out).
      const lastKernel = profile.trace!.traceEvents.filter((e) => e.ph === 'X' && e.args?.run === repeat && kernelTids.has(e.tid) && e.args?.busyMs === undefined);
      const workerTids = new Set(threadNames.filter((e) => / · worker \d+$/.test(String(e.args?.name))).map((e) => e.tid));
      assert.ok(lastKernel.some((e) => workerTids.has(e.tid) && typeof e.args?.head === 'number'), 'the recorded run has per-worker head slices');
      const slices = await page.$$eval('.timeline .kernel-slice', (els) => els.map((e) => `L${(e as HTMLElement).dataset.layer} h${(e as HTMLElement).dataset.heads}`));
      assert.equal(slices.length, lastKernel.length, 'every kernel slice of the last round');
      assert.deepEqual(slices.sort(), lastKernel.map((e) => `L${e.args!.layer} h${e.args!.heads ?? `${e.args!.head}-${e.args!.head}`}`).sort());
      assert.ok(slices.includes('L1 h2-3'), 'the head-range slices are there');
      const trackLabels = await page.$$eval('.timeline .track-label', (els) => els.map((e) => e.textContent));
      assert.ok(trackLabels.includes('kernels native 1 thread · worker 0'), `a track per worker thread: ${trackLabels.join(', ')}`);
      await page.click('.timeline .kernel-slice[data-layer="1"][data-heads="2-3"]');
      await page.waitForSelector('.head-view canvas');
      assert.equal(await page.getAttribute('#tab-inspect', 'aria-selected'), 'true');
      const req = (await posted(page)).filter((m) => m.method === 'headMap').map((m) => m.params);
      assert.deepEqual(req.at(-1), { layer: 1, head: 2 });
      assert.equal(await page.getAttribute('.model-grid .cell[data-layer="1"][data-head="2"]', 'aria-selected'), 'true', 'the model view selects the head');
      const map = headMaps.find((m) => m.layer === 1 && m.head === 2)!;
      assert.equal(await page.$eval('.head-view canvas', (c) => (c as HTMLCanvasElement).width) > 0, true);
      assert.equal(map.weights.shape[1], inspection.tokens.length);
      // Keyboard: back to Timings with the arrow keys, Tab to a slice, Enter opens it.
      await page.focus('#tab-inspect');
      await page.keyboard.press('ArrowRight');
      await page.waitForSelector('.timeline .kernel-slice');
      await page.focus('.timeline .kernel-slice[data-layer="0"][data-heads="0-1"]');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => (window as unknown as { __posted: Posted[] }).__posted.filter((m) => m.method === 'headMap').length >= 2);
      assert.deepEqual((await posted(page)).filter((m) => m.method === 'headMap').map((m) => m.params).at(-1), { layer: 0, head: 0 });
      // A worker thread's slice of one head opens that head.
      await page.focus('#tab-inspect');
      await page.keyboard.press('ArrowRight');
      await page.waitForSelector('.timeline .kernel-slice');
      await page.click('.timeline .kernel-slice[data-layer="1"][data-heads="3-3"]');
      await page.waitForFunction(() => (window as unknown as { __posted: Posted[] }).__posted.filter((m) => m.method === 'headMap').length >= 3);
      assert.deepEqual((await posted(page)).filter((m) => m.method === 'headMap').map((m) => m.params).at(-1), { layer: 1, head: 3 });
      assert.equal(await page.getAttribute('.model-grid .cell[data-layer="1"][data-head="3"]', 'aria-selected'), 'true', 'the model view selects the head');
      assert.deepEqual(errors, []);
      await page.close();
    });

    test('Timings: Profile posts the repeat count, shows progress and errors; a bad count is refused', async () => {
      const { page, errors } = await openPanel(theme);
      await page.click('#tab-timings');
      await page.fill('#profile-repeat', '0');
      await page.click('#profile-run');
      assert.match(await page.textContent('.tab-panel-timings .controls [role=alert]') ?? '', /Repeat must be a whole number from 1 to 1000/);
      assert.equal((await posted(page)).filter((m) => m.event === 'profile').length, 0);
      await page.fill('#profile-repeat', '7');
      await page.click('#profile-run');
      await page.waitForSelector('.tab-panel-timings .state-loading');
      assert.deepEqual((await posted(page)).filter((m) => m.event === 'profile').map((m) => m.body), [{ repeat: 7 }]);
      assert.equal(await page.getAttribute('#profile-run', 'disabled'), '');
      await send(page, event('analysisState', { tab: 'timings', state: 'loading', message: 'profile: run 3/16' }));
      await page.waitForFunction(() => document.querySelector('.tab-panel-timings .state-loading p')?.textContent === 'profile: run 3/16');
      // Progress does not pull the user back from another tab; the next state shows when they return.
      await page.click('#tab-drift');
      await send(page, event('analysisState', { tab: 'timings', state: 'loading', message: 'profile: run 4/16' }));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(await page.getAttribute('#tab-drift', 'aria-selected'), 'true');
      await page.click('#tab-timings');
      assert.equal(await page.textContent('.tab-panel-timings .state-loading p'), 'profile: run 4/16');
      await send(page, event('analysisState', { tab: 'timings', state: 'error', message: 'nothing inspected yet; run AttnScope: Inspect Selection first' }));
      await page.waitForSelector('.tab-panel-timings .state-error');
      assert.equal(await page.textContent('.tab-panel-timings .state-error p'), 'nothing inspected yet; run AttnScope: Inspect Selection first');
      // The inspection survives an analysis error.
      await page.click('#tab-inspect');
      assert.equal(await page.$$eval('.model-grid .cell', (e) => e.length), inspection.model.layers * inspection.model.heads);
      assert.deepEqual(errors, []);
      await page.close();
    });

    test('Drift: grid coloured by per-head drift, worst heads, top-1 agreement and Δloss; the metric switches; a cell opens its head', async () => {
      const { page, errors } = await openPanel(theme);
      const lut = ramp(colour('--vscode-editor-background'), colour('--vscode-charts-orange'));
      const expected = (v: number): Rgb => { const i = rampIndex(v) * 3; return [lut[i], lut[i + 1], lut[i + 2]]; };
      await send(page, event('drift', { drift }));
      await page.waitForSelector('.drift-grid .cell');
      const check = async (value: (h: PanelDrift['heads'][number]) => number): Promise<void> => {
        const max = Math.max(...drift.heads.map(value));
        const cells = await page.$$eval('.drift-grid .cell', (els) => els.map((e) => ({ l: Number((e as HTMLElement).dataset.layer), h: Number((e as HTMLElement).dataset.head), bg: getComputedStyle(e).backgroundColor })));
        assert.equal(cells.length, drift.heads.length);
        for (const c of cells) {
          const h = drift.heads.find((x) => x.layer === c.l && x.head === c.h)!;
          assert.deepEqual(rgb(c.bg), expected(value(h) / max), `drift cell L${c.l} h${c.h}`);
        }
        const worst = await page.$$eval('.worst-heads tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => Number(td.textContent))));
        assert.deepEqual(worst, [...drift.heads].sort((a, b) => value(b) - value(a)).slice(0, 5).map((h) => [h.layer, h.head]));
      };
      await check((h) => h.meanRowDivergence);
      const facts = await page.textContent('.drift-facts') ?? '';
      assert.ok(facts.includes(`top-1 agreement${(100 * drift.output.top1Agreement).toFixed(1)} %`), facts);
      assert.ok(facts.includes(`Δloss${fmt(drift.output.deltaLoss)} (fp32 ${fmt(drift.output.lossA)}, ${drift.quant.mode} ${fmt(drift.output.lossB)})`), facts);
      await page.click('#drift-metric');
      await page.click('#drift-metric vscode-option[value="maxAbsDelta"]');
      await page.waitForFunction(() => document.querySelector('.worst-heads caption')?.textContent?.includes('max |ΔA|'));
      await check((h) => h.maxAbsDelta);
      await page.focus('.drift-grid .cell[data-layer="0"][data-head="0"]');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('Enter');
      await page.waitForSelector('.head-view canvas');
      assert.deepEqual((await posted(page)).filter((m) => m.method === 'headMap').map((m) => m.params).at(-1), { layer: 1, head: 2 });
      assert.deepEqual(errors, []);
      await page.close();
    });

    test('Compare: grid coloured by how far each head moved, the heads that moved most, output shift and both top-k lists', async () => {
      const { page, errors } = await openPanel(theme);
      const lut = ramp(colour('--vscode-editor-background'), colour('--vscode-charts-orange'));
      const expected = (v: number): Rgb => { const i = rampIndex(v) * 3; return [lut[i], lut[i + 1], lut[i + 2]]; };
      await page.click('#tab-compare');
      assert.match(await page.textContent('.tab-panel-compare .state-empty') ?? '', /No comparison yet/);
      await send(page, event('compare', { compare }));
      await page.waitForSelector('.compare .drift-grid .cell');
      const max = Math.max(...compare.heads.map((h) => h.meanRowDivergence));
      const cells = await page.$$eval('.compare .drift-grid .cell', (els) => els.map((e) => ({ l: Number((e as HTMLElement).dataset.layer), h: Number((e as HTMLElement).dataset.head), bg: getComputedStyle(e).backgroundColor })));
      assert.equal(cells.length, compare.heads.length);
      for (const c of cells) assert.deepEqual(rgb(c.bg), expected(compare.heads.find((x) => x.layer === c.l && x.head === c.h)!.meanRowDivergence / max), `compare cell L${c.l} h${c.h}`);
      const worst = await page.$$eval('.compare .worst-heads tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
      assert.deepEqual(worst, [...compare.heads].sort((a, b) => b.meanRowDivergence - a.meanRowDivergence).slice(0, 5).map((h) => [String(h.layer), String(h.head), fmt(h.meanRowDivergence), fmt(h.maxAbsDelta), fmt(h.deltaSinkAlpha)]));
      const facts = await page.textContent('.compare .drift-facts') ?? '';
      assert.ok(facts.includes(`top-1 agreement${(100 * compare.output.top1Agreement).toFixed(1)} %`), facts);
      assert.ok(facts.includes(`Δloss${fmt(compare.output.deltaLoss)} (${compare.labels[0]} ${fmt(compare.output.lossA)}, ${compare.labels[1]} ${fmt(compare.output.lossB)})`), facts);
      const topk = await page.$$eval('.compare-topk tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
      assert.deepEqual(topk, compare.topK[0].map((t, i) => [String(i + 1), `#${t.id} ${(100 * t.prob).toFixed(1)} %`, `#${compare.topK[1][i].id} ${(100 * compare.topK[1][i].prob).toFixed(1)} %`]));
      await page.click('.compare .drift-grid .cell[data-layer="1"][data-head="2"]');
      await page.waitForSelector('.head-view canvas');
      assert.deepEqual((await posted(page)).filter((m) => m.method === 'headMap').map((m) => m.params).at(-1), { layer: 1, head: 2 });
      assert.deepEqual(errors, []);
      await page.close();
    });

    test('Streaming: one loss line per run in its theme colour, the runs table, hover readout; inconsistent reports are refused', async () => {
      const { page, errors, warnings } = await openPanel(theme);
      await send(page, event('stream', { stream }));
      await page.waitForSelector('.stream-chart');
      const hits = await page.$eval('.stream-chart', (c, colours) => {
        const cv = c as HTMLCanvasElement;
        const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
        return colours.map((rgb) => {
          let n = 0;
          for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - rgb[0]) < 8 && Math.abs(d[i + 1] - rgb[1]) < 8 && Math.abs(d[i + 2] - rgb[2]) < 8 && d[i + 3] > 200) n++;
          return n;
        });
      }, stream.runs.map((_, i) => colour(SERIES[i])));
      hits.forEach((n, i) => assert.ok(n > 30, `the line of "${stream.runs[i].label}" is drawn in ${SERIES[i]} (${n} pixels)`));
      const rows = await page.$$eval('.stream-runs tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
      assert.deepEqual(rows, stream.runs.map((r) => [r.label, fmt(r.loss), fmt(r.perplexity)]));
      await page.focus('.stream-chart');
      await page.keyboard.press('ArrowRight');
      const i = stream.evaluatedFrom + 1;
      assert.equal(await page.textContent('.stream .readout'), `token #${i + 1} “${inspection.tokens[i + 1].text}”: ${stream.runs.map((r) => `${r.label} ${fmt(r.tokenLoss[i]!)}`).join(' · ')}`);
      const broken = { ...stream, runs: [{ ...stream.runs[0], tokenLoss: stream.runs[0].tokenLoss.slice(1) }] };
      await send(page, event('stream', { stream: broken }));
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(warnings.some((w) => w.includes(`stream run "${stream.runs[0].label}" has ${stream.tokens - 2} token losses for ${stream.tokens} tokens`)), warnings.join('\n'));
      assert.equal(await page.$$eval('.stream-runs tbody tr', (e) => e.length), stream.runs.length, 'the valid report stays');
      assert.deepEqual(errors, []);
      await page.close();
    });
  });
}
