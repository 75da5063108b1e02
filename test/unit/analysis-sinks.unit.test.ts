import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyImportanceFromCausalMaps, keyImportanceFromStats } from '../../runtime/analysis/sinks/keyImportance';
import { secondarySinks, sinkRate, tokenSinkScores } from '../../runtime/analysis/sinks/sinkRate';
import { proxyMap } from '../../runtime/analysis/sinks/proxyMap';
import { massiveActivationRatio } from '../../runtime/analysis/sinks/massiveActivation';
import { keyValueNorms } from '../../runtime/analysis/sinks/keyValueNorms';
import { datasetSinkRate } from '../../runtime/analysis/sinks/datasetSinkRate';
import { softmaxReference } from '../../runtime/kernels/reference/softmax';
import type { AttentionStats } from '../../runtime/kernels/types';
import { mulberry } from './variants-fixtures';

// Spec §1.5 sink-metric vector: T = 4, one layer, two heads, ε = 0.3.
const H1 = [[1, 0, 0, 0], [0.7, 0.3, 0, 0], [0.6, 0.2, 0.2, 0], [0.5, 0.1, 0.1, 0.3]];
const H2 = [[1, 0, 0, 0], [0.1, 0.9, 0, 0], [0, 0.1, 0.9, 0], [0, 0.1, 0.1, 0.8]];

function close(a: ArrayLike<number>, b: number[], tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  b.forEach((x, i) => assert.ok(Math.abs(a[i] - x) <= tol, `${what}[${i}] = ${a[i]}, want ${x}`));
}

/** The instrumentation a kernel reports for causal maps (sum and count per key). */
function statsOf(maps: number[][][]): AttentionStats {
  const tk = maps[0].length;
  const keyAttentionSum = new Float32Array(maps.length * tk);
  const keyQueryCount = new Float32Array(maps.length * tk);
  maps.forEach((rows, h) => rows.forEach((row, i) => row.forEach((w, j) => {
    if (j <= i) { keyAttentionSum[h * tk + j] += w; keyQueryCount[h * tk + j] += 1; }
  })));
  return { keyAttentionSum, keyQueryCount, entropy: new Float32Array(maps.length), invalidRows: [], recomputedRows: 0, nrResidual: 0, approxError: 0, wallMs: 0, proxy: false };
}

test('α and Sink^ε reproduce the spec §1.5 vector, strict > at α = 0.3', () => {
  const fromMaps = keyImportanceFromCausalMaps([H1, H2]);
  close(fromMaps.alpha.subarray(0, 4), [0.7, 0.2, 0.15, 0.3], 1e-12, 'α H1');
  close(fromMaps.alpha.subarray(4, 8), [0.275, 0.366667, 0.5, 0.8], 1e-6, 'α H2');
  const fromStats = keyImportanceFromStats(statsOf([H1, H2]), 2, 4);
  close(fromStats.alpha, [...fromMaps.alpha], 1e-7, 'α from stats');
  close(Array.from(sinkRate([fromMaps]), (x) => x * 100), [50, 50, 50, 50], 1e-12, 'Sink %');
  // ε just below 0.3 counts H1's k = 4 too.
  assert.equal(sinkRate([fromMaps], 0.2999)[3], 1);
});

test('per-token scores: share of sink heads and mean α, averaged per layer then over layers', () => {
  const l1 = keyImportanceFromCausalMaps([H1, H2]);
  const l2 = keyImportanceFromCausalMaps([H1]);
  const scores = tokenSinkScores([l1, l2]);
  // k = 1: layer 1 has 1 of 2 heads (H1 0.7 > 0.3, H2 0.275 not), layer 2 has 1 of 1 → (0.5 + 1) / 2.
  assert.equal(scores[0].share, 0.75);
  assert.ok(Math.abs(scores[0].meanAlpha - ((0.7 + 0.275) / 2 + 0.7) / 2) < 1e-12);
});

test('the kernel instrumentation gives the same α as the captured maps (softmax reference)', () => {
  const t = 6; const d = 4; const heads = 2;
  const rnd = mulberry(7);
  const q = Float32Array.from({ length: heads * t * d }, rnd);
  const k = Float32Array.from({ length: heads * t * d }, rnd);
  const v = Float32Array.from({ length: heads * t * d }, rnd);
  const r = softmaxReference({ q, k, v, qHeads: heads, kvHeads: heads, tq: t, tk: t, headDim: d, headDimV: d, scale: 0.5, mask: { causal: true } }, [0, 1]);
  const maps = r.maps.map((m) => Array.from({ length: t }, (_, i) => Array.from(m.weights.subarray(i * t, (i + 1) * t))));
  close(keyImportanceFromStats(r.stats, heads, t).alpha, [...keyImportanceFromCausalMaps(maps).alpha], 1e-6, 'α');
});

test('secondary sinks: a delimiter that many heads attend to, not the barely-seen last keys', () => {
  const t = 12;
  // Later queries put 0.3 on token 0, 0.35 on token 5 (a delimiter) and 0.33 on themselves.
  const row = (i: number): number[] => Array.from({ length: t }, (_, j) => {
    if (j > i) return 0;
    if (i === 0) return 1;
    if (i < 5) return j === 0 ? 0.9 : 0.1 / i;
    if (i === 5) return j === 0 || j === 5 ? 0.5 : 0;
    if (j === 0) return 0.3;
    if (j === 5) return 0.35;
    if (j === i) return 0.33;
    return 0.02 / (i - 2);
  });
  const layer = keyImportanceFromCausalMaps([Array.from({ length: t }, (_, i) => row(i))]);
  const scores = tokenSinkScores([layer]);
  assert.deepEqual(secondarySinks([layer], scores, { minQueries: 4 }), [5]);
  assert.ok(layer.alpha[t - 1] > 0.3, 'the last key alone looks like a sink');
});

test('proxy map matches the spec §1.5 |a|/Σ|a| row and rejects negatives for the non-negative proxy', () => {
  close(proxyMap([0.952381, 0.476190, 0.047619, -0.476190], 1, 4, 'abs'), [0.487805, 0.243902, 0.024390, 0.243902], 1e-6, 'abs proxy');
  close(proxyMap([0.880797, 0.731059, 0.524979, 0.268941], 1, 4, 'nonneg'), [0.366118, 0.303876, 0.218216, 0.111790], 1e-6, 'sigmoid proxy');
  assert.throws(() => proxyMap([1, -1], 1, 2, 'nonneg'), /negative/);
});

test('massive-activation ratio and key/value norms of the sink token', () => {
  const hidden = [30, 40, 3, 4, 0, 5, 6, 8]; // norms 50, 5, 5, 10
  assert.ok(Math.abs(massiveActivationRatio(hidden, 4, 2) - 50 / (20 / 3)) < 1e-12);
  assert.throws(() => massiveActivationRatio(hidden, 3, 2), /expected t·d/);
  // Two KV heads, 3 tokens, d = 2: token 0 has small keys and values.
  const k = [0.3, 0.4, 3, 4, 6, 8, 0, 1, 0, 2, 0, 4];
  const v = [0, 0.1, 1, 0, 0, 1, 0.1, 0, 0, 2, 2, 0];
  const kv = keyValueNorms(k, v, { kvHeads: 2, tk: 3, headDim: 2, headDimV: 2 }, [0]);
  close(kv.keyNorm, [0.75, 3.5, 7], 1e-12, 'key norms');
  assert.ok(Math.abs(kv.sinkKeyNorm - 0.75) < 1e-12 && Math.abs(kv.otherKeyNorm - 5.25) < 1e-12);
  assert.ok(Math.abs(kv.sinkValueNorm - 0.1) < 1e-12 && Math.abs(kv.otherValueNorm - 1.5) < 1e-12);
});

test('dataset sink rate truncates to the first tokens, skips short samples and averages samples', async () => {
  const seen: number[] = [];
  const run = async (ids: number[]) => {
    seen.push(ids.length);
    // Sample whose first id is 1 has the spec layer (Sink₁ = 50 %), otherwise head 2 twice (0 %).
    return [keyImportanceFromCausalMaps(ids[0] === 1 ? [H1, H2] : [H2, H2])];
  };
  const r = await datasetSinkRate([[1, 2, 3, 4, 5], [9, 9], [2, 3, 4, 5, 6, 7]], run, { tokens: 4, samples: 100 });
  assert.deepEqual(seen, [4, 4]);
  assert.equal(r.samplesUsed, 2);
  assert.equal(r.samplesTooShort, 1);
  assert.equal(r.firstToken, 0.25);
  await assert.rejects(datasetSinkRate([[1]], run, { tokens: 4 }), /no sample has 4 tokens/);
});
