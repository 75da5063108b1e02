import type { AttentionInput, AttentionResult, CapturedMap } from '../types';
import { kvHeadOf, logitAt } from './visibility';

/** Where a row sits: query head, query row, its key position and how many keys it sees. */
export interface RowPlace {
  h: number;
  /** Query row, 0-based within tq. */
  i: number;
  /** Key position of the query, i + (tk - tq): the absolute 0-based row of the sequence. */
  pos: number;
  /** Number of keys the row sees (N_i of the spec). */
  visible: number;
}

/**
 * One variant's weight function, applied row by row by `runRows`. Masks are handled by the driver:
 * `score` returns -Infinity for hidden keys and `weigh` must give them weight 0.
 */
export interface RowKernel {
  /** True when the weights do not sum to 1: the stats then use the proxy map |w|/Σ|w| (spec §1.1). */
  proxy: boolean;
  /** Score of key j for row i of head h; -Infinity when hidden. Defaults to the scaled, biased logit. */
  score?(h: number, i: number, j: number): number;
  /** Fills w[0..tk) from the row's scores. Returns true when the row was recomputed (unified-max). */
  weigh(scores: Float64Array, w: Float64Array, place: RowPlace): boolean;
}

/**
 * Runs a row kernel over every head and query row: the shared skeleton of every reference variant.
 * Rows whose scores hold NaN or +Infinity, or whose weights come out non-finite, output 0 and are
 * listed in `invalidRows`; fully masked rows output 0. Instrumentation is computed on the map the
 * variant produced (or its proxy map), in the same pass.
 */
export function runRows(input: AttentionInput, kernel: RowKernel, captureHeads: number[] = []): AttentionResult {
  const t0 = performance.now();
  const { qHeads, tq, tk, headDimV, v } = input;
  const output = new Float32Array(qHeads * tq * headDimV);
  const keyAttentionSum = new Float32Array(qHeads * tk);
  const keyQueryCount = new Float32Array(qHeads * tk);
  const entropy = new Float32Array(qHeads);
  const invalidRows: number[] = [];
  let recomputedRows = 0;
  const maps: CapturedMap[] = captureHeads.map((head) => ({ head, weights: new Float32Array(tq * tk) }));
  const scores = new Float64Array(tk);
  const w = new Float64Array(tk);
  const acc = new Float64Array(headDimV);
  const score = kernel.score ?? ((h: number, i: number, j: number) => logitAt(input, h, i, j));
  for (let h = 0; h < qHeads; h++) {
    const kvh = kvHeadOf(input, h);
    const map = maps.find((m) => m.head === h);
    let entropySum = 0;
    let validRows = 0;
    for (let i = 0; i < tq; i++) {
      let visibleKeys = 0;
      let bad = false;
      for (let j = 0; j < tk; j++) {
        const s = score(h, i, j);
        scores[j] = s;
        if (Number.isNaN(s) || s === Infinity) bad = true;
        else if (s !== -Infinity) visibleKeys++;
      }
      if (!bad && visibleKeys === 0) continue;
      w.fill(0);
      if (!bad && kernel.weigh(scores, w, { h, i, pos: i + tk - tq, visible: visibleKeys })) recomputedRows++;
      if (!bad) for (let j = 0; j < tk; j++) if (!Number.isFinite(w[j])) bad = true;
      if (bad) {
        invalidRows.push(h * tq + i);
        continue;
      }
      acc.fill(0);
      let z = 0;
      for (let j = 0; j < tk; j++) {
        if (w[j] === 0) continue;
        z += Math.abs(w[j]);
        const vo = (kvh * tk + j) * headDimV;
        for (let c = 0; c < headDimV; c++) acc[c] += w[j] * v[vo + c];
      }
      output.set(acc, (h * tq + i) * headDimV);
      let ent = 0;
      for (let j = 0; j < tk; j++) {
        if (scores[j] === -Infinity) continue;
        const a = kernel.proxy ? (z > 0 ? Math.abs(w[j]) / z : 0) : w[j];
        if (a > 0) ent -= a * Math.log(a);
        keyAttentionSum[h * tk + j] += a;
        keyQueryCount[h * tk + j] += 1;
        if (map) map.weights[i * tk + j] = w[j];
      }
      entropySum += ent;
      validRows++;
    }
    entropy[h] = validRows ? entropySum / validRows : 0;
  }
  return {
    output,
    maps,
    stats: {
      keyAttentionSum, keyQueryCount, entropy, invalidRows, recomputedRows,
      nrResidual: 0, approxError: 0, proxy: kernel.proxy, wallMs: performance.now() - t0,
    },
  };
}

/** Softmax of the visible scores into w (the synchronized form, max subtracted). */
export function softmaxRow(scores: Float64Array, w: Float64Array): void {
  let max = -Infinity;
  for (const s of scores) if (s > max) max = s;
  let sum = 0;
  for (let j = 0; j < scores.length; j++) {
    w[j] = scores[j] === -Infinity ? 0 : Math.exp(scores[j] - max);
    sum += w[j];
  }
  for (let j = 0; j < scores.length; j++) w[j] /= sum;
}
