// The kernels' own statistics reach the user: kernelStatsOf (per layer and totals), the lines the
// CLI and the panel print, the panel's validation, and `attnscope inspect` (text and --json) on a
// model built here with a unified-max guard that forces recomputed rows and with soft-nystrom.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { approxErrorRows, kernelStatsOf, type CoreKernelRun } from '../../runtime/cli/kernel-stats';
import type { AttentionStats, VariantSpec } from '../../runtime/kernels/types';
import { kernelStatsLines, kernelStatsProblem, type KernelStats } from '../../runtime/protocol/kernelStats';
import { buildLm } from './engine-graphs';
import { onnx } from '../../runtime/model/onnx/proto';

function core(layer: number, tq: number, s: Partial<AttentionStats>): CoreKernelRun {
  return {
    layer, input: { tq },
    stats: {
      keyAttentionSum: new Float32Array(0), keyQueryCount: new Float32Array(0), entropy: new Float32Array(0),
      invalidRows: [], recomputedRows: 0, nrResidual: 0, approxError: 0, wallMs: 0, proxy: false, ...s,
    },
  };
}
const v = (id: VariantSpec['id'], params: Record<string, number> = {}): VariantSpec => ({ id, params });

test('invalid rows: head * tq + row becomes (head, row), sorted, the first 8 listed, counted per layer and in total', () => {
  const s = kernelStatsOf([
    core(0, 10, { invalidRows: [25, 3, 14] }),
    core(1, 10, { invalidRows: [0, 1, 2, 4, 5, 6, 7, 8, 9, 39] }),
  ], [v('softmax'), v('softmax')]);
  assert.equal(s.layers[0].invalidRows, 3);
  assert.deepEqual(s.layers[0].invalidAt, [{ head: 0, row: 3 }, { head: 1, row: 4 }, { head: 2, row: 5 }]);
  assert.equal(s.layers[1].invalidRows, 10);
  assert.equal(s.layers[1].invalidAt.length, 8);
  assert.deepEqual(s.layers[1].invalidAt.at(-1), { head: 0, row: 8 });
  assert.equal(s.totals.invalidRows, 13);
  assert.deepEqual(s.totals.invalidAt.slice(0, 4), [{ layer: 0, head: 0, row: 3 }, { layer: 0, head: 1, row: 4 }, { layer: 0, head: 2, row: 5 }, { layer: 1, head: 0, row: 0 }]);
  assert.equal(s.totals.invalidAt.length, 8);
  // softmax computes none of the variant-specific statistics: they are absent, not 0.
  for (const l of s.layers) assert.deepEqual(Object.keys(l).sort(), ['invalidAt', 'invalidRows', 'layer', 'rows', 'variant']);
  assert.deepEqual([s.totals.recomputedRows, s.totals.nrResidual, s.totals.approxError], [null, null, null]);
  const lines = kernelStatsLines(s);
  assert.equal(lines.length, 1);
  assert.equal(lines[0].kind, 'invalid');
  assert.equal(lines[0].text, 'kernel: 13 invalid rows (NaN/Inf logits, output 0): L0 h0 row 3, L0 h1 row 4, L0 h2 row 5, L1 h0 row 0, L1 h0 row 1, L1 h0 row 2, L1 h0 row 4, L1 h0 row 5, … 5 more');
});

test('unified-max and soft-nystrom fields only in their layers; totals sum the recomputed rows and take the worst residual and error', () => {
  const s = kernelStatsOf([
    core(0, 300, { recomputedRows: 3 }),
    core(1, 300, { recomputedRows: 14, nrResidual: 7 }),
    core(2, 300, { nrResidual: 2.1e-3, approxError: 0.01 }),
    core(3, 300, { nrResidual: 1e-3, approxError: 0.045 }),
  ], [v('unified-max', { phi: 1 }), v('unified-max'), v('soft-nystrom'), v('soft-nystrom', { errorRows: 0 })]);
  assert.equal(s.layers[0].recomputedRows, 3);
  assert.equal(s.layers[1].nrResidual, undefined, 'unified-max reports no residual');
  assert.equal(s.layers[2].recomputedRows, undefined);
  assert.equal(s.layers[2].approxErrorRows, 128, 'the registry default of errorRows');
  assert.equal(s.layers[3].approxErrorRows, 300, 'errorRows = 0: every row');
  assert.equal(s.totals.recomputedRows, 17);
  assert.deepEqual(s.totals.nrResidual, { max: 2.1e-3, layer: 2 });
  assert.deepEqual(s.totals.approxError, { max: 0.045, layer: 3, rows: 300, of: 300 });
  assert.deepEqual(kernelStatsLines(s).map((l) => l.text), [
    'unified-max: 17 rows recomputed (x − φ left the guard): L0 3, L1 14',
    'soft-nystrom: Newton–Raphson residual ‖I − A·X‖₁ max 0.002100 (L2); approximation error vs soft-gauss max 0.04500 (L3), over every row (300 per head)',
  ]);
  assert.equal(kernelStatsProblem(s), null);
});

test('approxErrorRows follows gauss.c: the sample when tq > errorRows, every row otherwise; a NaN residual is the worst', () => {
  assert.equal(approxErrorRows(v('soft-nystrom', { errorRows: 16 }), 17), 16);
  assert.equal(approxErrorRows(v('soft-nystrom', { errorRows: 16 }), 16), 16);
  assert.equal(approxErrorRows(v('soft-nystrom', { errorRows: 16 }), 5), 5);
  const s = kernelStatsOf([core(0, 40, { nrResidual: 1, approxError: 1 }), core(1, 40, { nrResidual: NaN, approxError: 0 })], [v('soft-nystrom', { errorRows: 8 }), v('soft-nystrom', { errorRows: 8 })]);
  assert.equal(s.totals.nrResidual?.layer, 1);
  assert.match(kernelStatsLines(s)[0].text, /residual ‖I − A·X‖₁ max n\/a \(L1\); approximation error vs soft-gauss max 1 \(L0\), over 8 sampled rows of 40 per head \(errorRows\)$/);
  assert.equal(kernelStatsLines(kernelStatsOf([core(0, 4, {})], [v('unified-max')]))[0].text, 'unified-max: no row recomputed (x − φ stayed within the guard)');
  assert.deepEqual(kernelStatsLines(kernelStatsOf([core(0, 4, {})], [v('softmax')])), []);
});

test('kernelStatsProblem rejects what the panel cannot show', () => {
  const ok = kernelStatsOf([core(0, 4, { invalidRows: [5] })], [v('softmax')]);
  assert.equal(kernelStatsProblem(ok), null);
  assert.match(kernelStatsProblem({ layers: [] }) ?? '', /totals/);
  assert.match(kernelStatsProblem({ ...ok, layers: [{ ...ok.layers[0], invalidAt: [{ head: 0, row: 9 }] }] }) ?? '', /invalidAt/);
  assert.match(kernelStatsProblem({ ...ok, layers: [{ ...ok.layers[0], recomputedRows: -1 }] }) ?? '', /recomputedRows/);
  assert.throws(() => kernelStatsOf([core(0, 4, {})], []), /1 cores but 0 variants/);
});

// ---- the CLI, end to end ----

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'attnscope-kstats-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const lm = join(dir, 'lm.onnx');
writeFileSync(lm, buildLm({ style: 'unfused', kvHeads: 2, vocab: 300, maxPositions: 12 }).bytes);
const IDS = '1,2,3,4,5,6,7,8,9,10,11,12';
// The same LM with a NaN embedding for token 7: from its position on, Q and K hold NaN.
const nanLm = join(dir, 'nan.onnx');
{
  const m = onnx.ModelProto.decode(buildLm({ style: 'unfused', kvHeads: 2, vocab: 300, maxPositions: 12 }).bytes);
  const wte = m.graph!.initializer!.find((t) => t.name === 'wte')!;
  const width = Number(wte.dims![1]);
  for (let j = 0; j < width; j++) wte.float_data![7 * width + j] = NaN;
  writeFileSync(nanLm, onnx.ModelProto.encode(m).finish());
}

function inspect(...args: string[]): { text: string; json: { kernel: KernelStats; model: { layers: number; heads: number } } } {
  const run = (json: boolean): string => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'runtime/cli.ts'), 'inspect', ...(args.includes('--model') ? [] : ['--model', lm, '--ids', IDS]), ...args, ...(json ? ['--json'] : [])], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  return { text: run(false), json: JSON.parse(run(true)) };
}

for (const backend of ['js', 'native']) {
  test(`inspect --backend ${backend}: unified-max with φ far above the logits recomputes every row, and says so`, () => {
    const { text, json } = inspect('--variant', 'unified-max:phi=100', '--backend', backend);
    const k = json.kernel;
    assert.equal(k.layers.length, json.model.layers);
    // x − φ < −87.3 for every logit of this model: all 12 rows of its 4 heads, in both layers.
    for (const l of k.layers) assert.deepEqual([l.variant, l.rows, l.recomputedRows, l.invalidRows, l.nrResidual], ['unified-max', 12, 48, 0, undefined]);
    assert.equal(k.totals.recomputedRows, 96);
    assert.match(text, /^unified-max: 96 rows recomputed \(x − φ left the guard\): L0 48, L1 48$/m);
    assert.doesNotMatch(text, /invalid row|soft-nystrom:/);
  });
}

test('inspect: the default guard recomputes nothing (the line says so); softmax prints no kernel line at all', () => {
  const um = inspect('--variant', 'unified-max', '--backend', 'native');
  assert.equal(um.json.kernel.totals.recomputedRows, 0);
  assert.match(um.text, /^unified-max: no row recomputed/m);
  const sm = inspect('--variant', 'softmax', '--backend', 'native');
  assert.deepEqual(sm.json.kernel.totals, { invalidRows: 0, invalidAt: [], recomputedRows: null, nrResidual: null, approxError: null });
  assert.doesNotMatch(sm.text, /^(kernel|unified-max|soft-nystrom):/m);
});

test('inspect: soft-nystrom reports its Newton–Raphson residual and its error against soft-gauss over errorRows sampled rows', () => {
  const { text, json } = inspect('--variant', 'soft-nystrom:errorRows=4', '--backend', 'native');
  const k = json.kernel;
  for (const l of k.layers) {
    assert.equal(l.variant, 'soft-nystrom');
    assert.equal(l.approxErrorRows, 4);
    assert.ok(Number.isFinite(l.nrResidual) && l.nrResidual! >= 0 && l.nrResidual! < 1e-2, `residual ${l.nrResidual}`);
    assert.ok(l.approxError! > 0 && l.approxError! < 1, `error ${l.approxError}`);
    assert.equal(l.recomputedRows, undefined);
  }
  assert.deepEqual(k.totals.approxError && [k.totals.approxError.rows, k.totals.approxError.of], [4, 12]);
  assert.match(text, /^soft-nystrom: Newton–Raphson residual ‖I − A·X‖₁ max \S+ \(L[01]\); approximation error vs soft-gauss max \S+ \(L[01]\), over 4 sampled rows of 12 per head \(errorRows\)$/m);
  // Every row compared: the error over all rows is at least the one over the sample.
  const all = inspect('--variant', 'soft-nystrom:errorRows=0', '--backend', 'native').json.kernel.totals.approxError!;
  assert.deepEqual([all.rows, all.of], [12, 12]);
  assert.ok(all.max >= k.totals.approxError!.max);
});

for (const backend of ['js', 'native', 'wasm']) {
  test(`inspect --backend ${backend}: rows whose logits hold NaN are counted and listed as layer, head, row`, () => {
    const { text, json } = inspect('--model', nanLm, '--ids', '1,2,3,4,5,6,7,8,9,10,11,12', '--variant', 'softmax', '--backend', backend);
    const [l0, l1] = json.kernel.layers;
    // Token 7 sits at row 6: its query and every later query (which sees its key) in all 4 heads.
    assert.equal(l0.invalidRows, 24);
    assert.deepEqual(l0.invalidAt, [6, 7, 8, 9, 10, 11, 6, 7].map((row, i) => ({ head: i < 6 ? 0 : 1, row })));
    assert.equal(l1.invalidRows, 24, 'layer 1: the same rows (the NaN reaches no row that does not see token 7)');
    assert.equal(json.kernel.totals.invalidRows, l0.invalidRows + l1.invalidRows);
    assert.match(text, new RegExp(`^kernel: ${json.kernel.totals.invalidRows} invalid rows \\(NaN/Inf logits, output 0\\): L0 h0 row 6, L0 h0 row 7, .*, L0 h1 row 7, … ${json.kernel.totals.invalidRows - 8} more$`, 'm'));
  });
}
