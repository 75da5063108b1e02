import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sinkReport } from '../../runtime/analysis/sinks/sinkReport';
import { runHeadDrift } from '../../runtime/analysis/drift/runDrift';
import { fp32Core, parseQuantMode, quantCore } from '../../runtime/analysis/quant/quantCore';
import { cachedPositions, cachePositionIds, checkWindow, keptByWindow } from '../../runtime/analysis/stream/streamingCache';
import { firstEvictedRow, streamReport } from '../../runtime/analysis/stream/streamReport';
import { recomputeChunks } from '../../runtime/analysis/stream/recomputePlan';
import { tokenLoss } from '../../runtime/analysis/drift/outputDrift';
import { table, fmt } from '../../runtime/analysis/format/table';
import { softmaxReference } from '../../runtime/kernels/reference/softmax';
import { visible } from '../../runtime/kernels/reference/visibility';
import type { AttentionInput } from '../../runtime/kernels/types';
import type { PromptTrace } from '../../runtime/analysis/trace';
import { CapturedMaps, LiveHeadDrift } from '../../runtime/analysis/drift/liveHeadDrift';
import { computerBackend } from '../../runtime/analysis/backends';
import { referenceBackend } from '../../runtime/kernels/variants';
import { referenceAttention } from '../../runtime/kernels/reference/dispatch';
import { mulberry } from './variants-fixtures';

/** A causal core whose first key is strongly attended: every query has a large dot with k₀. */
function sinkyInput(seed: number, heads: number, t: number, d: number): AttentionInput {
  const rnd = mulberry(seed);
  const q = Float32Array.from({ length: heads * t * d }, (_, i) => (i % d === 0 ? 3 : rnd()));
  const k = Float32Array.from({ length: heads * t * d }, (_, i) => (i % (t * d) < d && i % d === 0 ? 4 : rnd()));
  const v = Float32Array.from({ length: heads * t * d }, (_, i) => (i % (t * d) < d ? 0.01 * rnd() : rnd()));
  return { q, k, v, qHeads: heads, kvHeads: heads, tq: t, tk: t, headDim: d, headDimV: d, scale: 1 / Math.sqrt(d), mask: { causal: true } };
}

function traceOf(label: string, inputs: AttentionInput[]): PromptTrace {
  const t = inputs[0].tk;
  const hidden = Float32Array.from({ length: t * 4 }, (_, i) => (i < 4 ? 50 : 1));
  return {
    label, ids: Array.from({ length: t }, (_, i) => i), tokens: Array.from({ length: t }, (_, i) => `w${i}`),
    cores: inputs.map((input, layer) => ({ layer, input, stats: softmaxReference(input).stats })),
    hidden: [{ boundary: 1, t, d: 4, data: hidden }],
    logits: { t, vocab: t, logits: new Float32Array(t * t) },
  };
}

test('sink report on a core built to sink on the first token', () => {
  const r = sinkReport(traceOf('softmax', [sinkyInput(1, 2, 16, 8), sinkyInput(2, 2, 16, 8)]));
  assert.equal(r.firstTokenRate, 1);
  assert.ok(r.heads.every((h) => h.sink && h.alphaFirst > 0.3));
  assert.equal(r.tokens[3].text, 'w3');
  assert.ok(r.tokens[0].meanAlpha > r.tokens[5].meanAlpha);
  assert.equal(r.massiveActivation[0].ratio, 50);
  assert.ok(r.keyValue.every((kv) => kv.sinkValueNorm < kv.otherValueNorm), 'the sink value was built small');
  assert.equal(r.proxy, false);
  assert.throws(() => sinkReport({ ...traceOf('x', [sinkyInput(1, 1, 4, 2)]), cores: [] }), /no attention cores/);
});

test('run drift: fp32 against itself is 0; I-ViT drifts more than int8 fake-quant', () => {
  const tr = traceOf('fp32', [sinkyInput(3, 2, 24, 8), sinkyInput(4, 2, 24, 8)]);
  const self = runHeadDrift(tr, tr, fp32Core, fp32Core, 'kl');
  assert.ok(self.heads.every((h) => h.meanRowDivergence === 0 && h.maxAbsDelta === 0));
  const ivit = runHeadDrift(tr, tr, fp32Core, quantCore('ivit'), 'kl');
  const int8 = runHeadDrift(tr, tr, fp32Core, quantCore('int8'), 'kl');
  const total = (x: typeof ivit): number => x.heads.reduce((s, h) => s + h.meanRowDivergence, 0);
  assert.ok(total(int8) > 0 && total(ivit) > total(int8), `int8 ${total(int8)} ivit ${total(ivit)}`);
  assert.equal(ivit.heads.length, 4);
  assert.ok(ivit.heads[0].meanRowDivergence >= ivit.heads[3].meanRowDivergence, 'ranked');
  assert.equal(ivit.tokens.length, 24);
  assert.throws(() => parseQuantMode('fp8'), /unknown quantisation mode "fp8"/);
});

test('live drift during run B equals the drift recomputed afterwards, with maps kept or recomputed', async () => {
  const inputs = [sinkyInput(3, 2, 24, 8), sinkyInput(4, 2, 24, 8)];
  const softmax = { id: 'softmax' as const, params: {} };
  const want = runHeadDrift(traceOf('fp32', inputs), traceOf('fp32', inputs), fp32Core, quantCore('ivit'), 'kl');
  for (const budget of [0, 2 ** 20]) {
    let recomputed = 0;
    const captured = new CapturedMaps(budget, async (input, heads) => { recomputed++; return referenceAttention(input, softmax, heads); });
    const a = captured.wrap(referenceBackend);
    const trace = traceOf('fp32', inputs);
    for (const c of trace.cores) c.stats = (await a.run({ input: c.input, variant: softmax })).stats;
    const live = new LiveHeadDrift(trace, [0, 1], captured.get, 'kl');
    const b = live.wrap(computerBackend(quantCore('ivit')));
    for (const input of inputs) assert.equal((await b.run({ input, variant: softmax, captureHeads: [1] })).maps.length, 1);
    const got = live.result();
    assert.equal(recomputed, budget ? 0 : 2);
    assert.equal(got.heads.length, want.heads.length);
    got.heads.forEach((h, i) => {
      assert.deepEqual([h.layer, h.head], [want.heads[i].layer, want.heads[i].head]);
      assert.ok(Math.abs(h.meanRowDivergence - want.heads[i].meanRowDivergence) < 1e-6);
    });
  }
});

test('StartRecent cache: kept positions, re-assigned positions, and the kernel mask agree', () => {
  const w = { sinks: 4, window: 8 };
  assert.deepEqual(cachedPositions(15, w), [0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15]);
  assert.deepEqual(cachePositionIds(15, w), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.deepEqual(cachedPositions(5, w), [0, 1, 2, 3, 4, 5]);
  const input = { ...sinkyInput(1, 1, 16, 2), mask: { causal: true, streaming: w } };
  for (let i = 0; i < 16; i++) for (let j = 0; j < 16; j++) assert.equal(keptByWindow(i, j, w), visible(input, 0, i, j), `${i},${j}`);
  assert.throws(() => checkWindow({ sinks: -1, window: 8 }), /--sinks/);
});

test('stream report: loss after the first eviction, per run', () => {
  const ids = [0, 1, 0, 1, 0, 1, 0, 1];
  const perfect = new Float32Array(8 * 2);
  const blind = new Float32Array(8 * 2);
  for (let t = 0; t < 8; t++) perfect[t * 2 + ids[(t + 1) % 8]] = 20;
  const windows = [{ sinks: 0, window: 3 }, { sinks: 1, window: 2 }];
  const from = firstEvictedRow(8, windows);
  assert.equal(from, 3);
  const r = streamReport(8, from, [
    { label: 'full', tokenLoss: tokenLoss({ t: 8, vocab: 2, logits: perfect }, ids) },
    { label: '0+3', window: windows[0], tokenLoss: tokenLoss({ t: 8, vocab: 2, logits: blind }, ids) },
    { label: '1+2', window: windows[1], tokenLoss: tokenLoss({ t: 8, vocab: 2, logits: perfect }, ids) },
  ]);
  assert.equal(r.evaluatedFrom, 3);
  assert.ok(r.runs[0].loss < 1e-6);
  assert.ok(Math.abs(r.runs[1].loss - Math.log(2)) < 1e-12 && Math.abs(r.runs[1].perplexity - 2) < 1e-9);
  assert.throws(() => firstEvictedRow(3, windows), /longer prompt/);
  assert.throws(() => streamReport(8, 2, [{ label: 'x', tokenLoss: new Float64Array(7).fill(NaN) }]), /no loss/);
});

test('recompute chunks: the sinks plus a sliding run of recent tokens, every row answered once', () => {
  const w = { sinks: 2, window: 4 };
  const chunks = recomputeChunks(12, w, 2, 6);
  assert.deepEqual(chunks.map((c) => [c.rowStart, c.rowEnd]), [[6, 8], [8, 10], [10, 11]]);
  // Rows 6 and 7: the cache holds tokens 0, 1 (sinks) and 4..7; row 6 sees 4..6 (3 recent), row 7 sees 4..7 (4).
  assert.deepEqual(chunks[0].positions, [0, 1, 4, 5, 6, 7]);
  assert.equal(chunks[0].promptRow, 4);
  assert.deepEqual(chunks[2].positions, [0, 1, 7, 8, 9, 10]);
  // Without sinks and a window that reaches the start, the prompt is the plain prefix (full attention).
  assert.deepEqual(recomputeChunks(6, { sinks: 0, window: 8 }, 4, 2)[0].positions, [0, 1, 2, 3, 4]);
  assert.throws(() => recomputeChunks(12, w, 5, 6), /--stride/);
});

test('tables align columns and numbers read well', () => {
  assert.equal(table(['head', 'KL'], [['0/1', 0.5], ['10/2', 12.25]]), 'head      KL\n----  ------\n0/1   0.5000\n10/2   12.25');
  assert.equal(fmt(0.000012345), '1.234e-5');
  assert.equal(fmt(NaN), 'n/a');
});
