import type { AttentionInput, AttentionResult, CapturedMap } from '../types';
import { logitAt } from './visibility';

/**
 * Reference softmax attention: plain, readable, slow. The oracle the native and WASM kernels are
 * checked against. A fully masked row (or one with NaN/Inf logits) outputs 0 and is reported.
 */
export function softmaxReference(input: AttentionInput, captureHeads: number[] = []): AttentionResult {
  const t0 = performance.now();
  const { qHeads, kvHeads, tq, tk, headDimV, v } = input;
  const output = new Float32Array(qHeads * tq * headDimV);
  const keyAttentionSum = new Float32Array(qHeads * tk);
  const keyQueryCount = new Float32Array(qHeads * tk);
  const entropy = new Float32Array(qHeads);
  const invalidRows: number[] = [];
  const maps: CapturedMap[] = captureHeads.map((head) => ({ head, weights: new Float32Array(tq * tk) }));
  const row = new Float64Array(tk);
  for (let h = 0; h < qHeads; h++) {
    const kvh = Math.floor(h / (qHeads / kvHeads));
    const map = maps.find((m) => m.head === h);
    let entropySum = 0;
    let validRows = 0;
    for (let i = 0; i < tq; i++) {
      let max = -Infinity;
      let bad = false;
      for (let j = 0; j < tk; j++) {
        const s = logitAt(input, h, i, j);
        if (Number.isNaN(s) || s === Infinity) bad = true;
        row[j] = s;
        if (s > max) max = s;
      }
      if (bad || max === -Infinity) {
        if (bad) invalidRows.push(h * tq + i);
        continue;
      }
      let sum = 0;
      for (let j = 0; j < tk; j++) {
        row[j] = row[j] === -Infinity ? 0 : Math.exp(row[j] - max);
        sum += row[j];
      }
      let ent = 0;
      const o = (h * tq + i) * headDimV;
      for (let j = 0; j < tk; j++) {
        const w = row[j] / sum;
        if (w > 0) ent -= w * Math.log(w);
        const vo = (kvh * tk + j) * headDimV;
        for (let c = 0; c < headDimV; c++) output[o + c] += w * v[vo + c];
        if (logitAt(input, h, i, j) !== -Infinity) {
          keyAttentionSum[h * tk + j] += w;
          keyQueryCount[h * tk + j] += 1;
        }
        if (map) map.weights[i * tk + j] = w;
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
      keyAttentionSum, keyQueryCount, entropy, invalidRows,
      recomputedRows: 0, nrResidual: 0, approxError: 0, proxy: false,
      wallMs: performance.now() - t0,
    },
  };
}
