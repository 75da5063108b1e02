// The kernels' own statistics in the panel (headless Chromium): under the run's summary, one line
// per statistic that applies — recomputed rows (unified-max), invalid rows with the warning codicon
// in the theme's warning colour, soft-nystrom's residual and error — and nothing for a run where none
// applies. The statistics are built by kernelStatsOf, as the runtime builds them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { parseColor } from '../../webview/color';
import { decodePayload } from '../../scripts/e2e/payload';
import { kernelStatsOf, type CoreKernelRun } from '../../runtime/cli/kernel-stats';
import type { AttentionStats, VariantSpec } from '../../runtime/kernels/types';
import type { PanelInspection } from '../../extension/protocol/panel';
import { openPanel, send, startPanel, THEMES, type PanelServer, type ThemeName } from './harness';

const payloadText = readFileSync(join(import.meta.dirname, 'gqa-decoder-contrib.payload.json'), 'utf8');
const recorded = decodePayload(payloadText).inspection;
const n = recorded.tokens.length;

function core(layer: number, s: Partial<AttentionStats>): CoreKernelRun {
  return {
    layer, input: { tq: n },
    stats: { keyAttentionSum: new Float32Array(0), keyQueryCount: new Float32Array(0), entropy: new Float32Array(0), invalidRows: [], recomputedRows: 0, nrResidual: 0, approxError: 0, wallMs: 0, proxy: false, ...s },
  };
}
const with2 = (variant: VariantSpec, a: Partial<AttentionStats>, b: Partial<AttentionStats>): PanelInspection =>
  ({ ...recorded, kernelStats: kernelStatsOf([core(0, a), core(1, b)], [variant, variant]) });

let browser: Browser;
let server: PanelServer;
before(async () => { ({ browser, server } = await startPanel()); });
after(async () => { await browser?.close(); await server?.close(); });

async function show(page: Page, inspection: PanelInspection): Promise<{ kind: string; text: string; color: string; icon: string | null }[]> {
  // Each render builds a new summary: wait for one that is not the old one.
  await page.evaluate(() => document.querySelector('.summary')?.setAttribute('data-old', ''));
  await send(page, { kind: 'event', event: 'show', body: { inspection } });
  await page.waitForSelector('.summary:not([data-old])');
  return page.$$eval('.kernel-stats .kernel-stat', (els) => els.map((e) => ({
    kind: [...e.classList].find((c) => c.startsWith('kernel-stat-'))!.slice('kernel-stat-'.length),
    text: e.textContent ?? '',
    color: getComputedStyle(e).color,
    icon: e.querySelector('.codicon-warning') ? getComputedStyle(e.querySelector('.codicon-warning')!).color : null,
  })));
}

for (const theme of ['dark', 'light'] as ThemeName[]) {
  describe(`kernel statistics, ${theme} theme`, () => {
    const rgb = (css: string): number[] => { const c = parseColor(css); assert.ok(c, `not a colour: ${css}`); return [...c]; };

    test('a softmax run with no invalid row shows no kernel line; recomputed and invalid rows do, and a later clean run clears them', async () => {
      const { page, errors } = await openPanel(browser, server, theme, { width: 900, height: 1100 }, payloadText);
      assert.deepEqual(await show(page, recorded), [], 'the recorded softmax run: nothing applies');
      assert.equal(await page.$('.kernel-stats'), null);

      const um = await show(page, with2({ id: 'unified-max', params: { phi: 100 } }, { recomputedRows: 3 }, { recomputedRows: 14 }));
      assert.deepEqual(um.map((l) => [l.kind, l.text, l.icon]), [['recomputed', 'unified-max: 17 rows recomputed (x − φ left the guard): L0 3, L1 14', null]]);
      assert.deepEqual(rgb(um[0].color), rgb(THEMES[theme]['--vscode-descriptionForeground']));
      // The line sits right under the run's summary.
      assert.equal(await page.$eval('.summary', (s) => s.nextElementSibling?.className), 'kernel-stats');

      const bad = await show(page, with2({ id: 'softmax', params: {} }, { invalidRows: [n + 5] }, {}));
      assert.equal(bad.length, 1);
      assert.equal(bad[0].kind, 'invalid');
      assert.equal(bad[0].text, 'kernel: 1 invalid row (NaN/Inf logits, output 0): L0 h1 row 5');
      // No editorWarning-foreground in the harness's themes: the charts' yellow stands in.
      assert.deepEqual(rgb(bad[0].icon!), rgb(THEMES[theme]['--vscode-charts-yellow']));
      assert.deepEqual(rgb(bad[0].color), rgb(THEMES[theme]['--vscode-charts-yellow']));
      // the icon is VS Code's warning codicon: its font loaded under the panel's CSP, its glyph drawn
      const glyph = await page.$eval('.kernel-stat-invalid .codicon-warning', async (e) => {
        await document.fonts.ready;
        const before = getComputedStyle(e, '::before');
        return { content: before.content, family: before.fontFamily, loaded: document.fonts.check('16px codicon'), width: e.getBoundingClientRect().width };
      });
      assert.deepEqual(glyph, { content: '"\uea6c"', family: 'codicon', loaded: true, width: 16 });

      const ny = await show(page, with2({ id: 'soft-nystrom', params: { errorRows: 4 } }, { nrResidual: 2.1e-3, approxError: 0.045 }, { nrResidual: 1e-4, approxError: 0.01 }));
      assert.deepEqual(ny.map((l) => l.text), [`soft-nystrom: Newton–Raphson residual ‖I − A·X‖₁ max 0.002100 (L0); approximation error vs soft-gauss max 0.04500 (L0), over 4 sampled rows of ${n} per head (errorRows)`]);

      assert.deepEqual(await show(page, recorded), [], 'the next clean run removes the lines');
      assert.equal(await page.$('.kernel-stats'), null);
      assert.deepEqual(errors, []);
      await page.close();
    });
  });
}
