import type { AttentionInput, CapturedMap } from '../../kernels/types';
import { visible } from '../../kernels/reference/visibility';
import { resolveIvit, type IvitConfig, type IvitResult, type IvitScales } from '../../kernels/ivitConfig';
import { dyadicFromRatio, requantize } from './dyadic';
import { roundHalf } from './rounding';
import { MIN_LOGIT_SCALE, shiftmaxInts, shiftX0 } from '../../kernels/reference/shiftmax';
import { quantizeHeads } from './symmetric';

/** Options of the I-ViT integer-only attention core (spec §2); defaults in resolveIvit. */
export interface IvitOptions extends Partial<IvitConfig> {
  /** Heads whose integer attention map (dequantised) is returned. */
  captureHeads?: number[];
}

export type { IvitResult, IvitScales };

/**
 * One attention core through the I-ViT integer-only pipeline: int8 symmetric Q and K, int32 Q·Kᵀ,
 * dyadic requantisation of the logits (the attention scale folded into the ratio) to the Shiftmax
 * input scale, Shiftmax, int8 V, integer P·V, dequantisation of the output to float.
 * A finite additive bias is rounded (half up) to the accumulator scale; −Infinity hides a key.
 * The attention scale is taken as float32, as the kernels receive it. This is the readable reference
 * of the compiled kernel runtime/kernels/c/ivit.c: same steps, same integers.
 */
export function ivitAttention(input: AttentionInput, options: IvitOptions = {}): IvitResult {
  const t0 = performance.now();
  const { granularity, bits, logitBits, n, outBits, convention, rounding } = resolveIvit(options);
  const { qHeads, kvHeads, tq, tk, headDim, headDimV } = input;
  if (input.softcap) throw new Error('ivit: the integer path has no tanh softcap; run this model with the fp32 variants or the int8 fake-quant path');
  if (qHeads % kvHeads !== 0) throw new Error(`ivit: qHeads ${qHeads} is not a multiple of kvHeads ${kvHeads}`);
  const group = qHeads / kvHeads;

  const q = quantizeHeads(input.q, qHeads, tq * headDim, bits, granularity);
  const k = quantizeHeads(input.k, kvHeads, tk * headDim, bits, granularity);
  const v = quantizeHeads(input.v, kvHeads, tk * headDimV, bits, granularity);

  // int32 Q·Kᵀ (+ bias at the accumulator scale), and the largest visible |acc| per head.
  const accScale = new Float64Array(qHeads);
  const acc = new Int32Array(qHeads * tq * tk);
  const seen = new Uint8Array(qHeads * tq * tk);
  const maxReal = new Float64Array(qHeads);
  const { bias, biasHeads } = input.mask;
  const qi = q.ints;
  const ki = k.ints;
  const vi = v.ints;
  for (let h = 0; h < qHeads; h++) {
    const kvh = Math.floor(h / group);
    accScale[h] = q.scales[h] * k.scales[kvh] * Math.fround(input.scale);
    let maxAbs = 0;
    for (let i = 0; i < tq; i++) {
      const qo = (h * tq + i) * headDim;
      for (let j = 0; j < tk; j++) {
        if (!visible(input, h, i, j)) continue;
        let b = 0;
        if (bias) {
          const bh = biasHeads === undefined || biasHeads === 1 ? 0 : h;
          const real = bias[(bh * tq + i) * tk + j];
          if (real === -Infinity) continue;
          if (!(real < Infinity)) throw new Error(`ivit: the bias holds ${real} at head ${h}, row ${i}, key ${j}; the fp32 run already overflowed`);
          b = Math.max(-(2 ** 32), Math.min(2 ** 32, roundHalf(real / accScale[h], 'half-up')));
        }
        const ko = (kvh * tk + j) * headDim;
        let dot = 0;
        for (let c = 0; c < headDim; c++) dot += qi[qo + c] * ki[ko + c];
        const x = (h * tq + i) * tk + j;
        acc[x] = Math.max(-INT31, Math.min(INT31, dot + b));
        seen[x] = 1;
        maxAbs = Math.max(maxAbs, Math.abs(acc[x]));
      }
    }
    maxReal[h] = maxAbs * accScale[h];
  }

  // Shiftmax input scale: the logits' range over the tensor or the head, at logitBits.
  const top = 2 ** (logitBits - 1) - 1;
  const tensorMax = Math.max(...maxReal);
  const logitScale = Array.from(maxReal, (m) => Math.max((granularity === 'tensor' ? tensorMax : m) / top, MIN_LOGIT_SCALE));
  const weightScale = 2 ** -(outBits - 1);

  const output = new Float32Array(qHeads * tq * headDimV);
  const keyAttentionSum = new Float32Array(qHeads * tk);
  const keyQueryCount = new Float32Array(qHeads * tk);
  const entropy = new Float32Array(qHeads);
  const invalidRows: number[] = [];
  const maps: CapturedMap[] = (options.captureHeads ?? []).map((head) => ({ head, weights: new Float32Array(tq * tk) }));
  const logits = new Float64Array(tk);
  const pv = new Float64Array(headDimV);
  const hidden: boolean[] = new Array<boolean>(tk);
  for (let h = 0; h < qHeads; h++) {
    const kvh = Math.floor(h / group);
    const dy = dyadicFromRatio(accScale[h] / logitScale[h]);
    const conv = convention === 'qat' ? 0 : 1;
    const cfg = { n, bits: outBits, x0: conv, exp: conv, div: 31 };
    const x0 = shiftX0(logitScale[h], conv);
    const map = maps.find((mp) => mp.head === h);
    let entropySum = 0;
    let rows = 0;
    for (let i = 0; i < tq; i++) {
      let any = false;
      for (let j = 0; j < tk; j++) {
        const x = (h * tq + i) * tk + j;
        hidden[j] = seen[x] === 0;
        any ||= !hidden[j];
        logits[j] = hidden[j] ? 0 : Math.max(-top - 1, Math.min(top, requantize(acc[x], dy, rounding)));
      }
      if (!any) continue;
      const { out } = shiftmaxInts(logits, x0, cfg, hidden);
      let rowSum = 0;
      for (let j = 0; j < tk; j++) rowSum += out[j];
      let ent = 0;
      const o = (h * tq + i) * headDimV;
      pv.fill(0);
      for (let j = 0; j < tk; j++) {
        if (hidden[j]) continue;
        const p = out[j];
        if (p > 0) {
          const vo = (kvh * tk + j) * headDimV;
          for (let c = 0; c < headDimV; c++) pv[c] += p * vi[vo + c];
          const w = p / rowSum;
          ent -= w * Math.log(w);
        }
        keyAttentionSum[h * tk + j] += p * weightScale;
        keyQueryCount[h * tk + j] += 1;
        if (map) map.weights[i * tk + j] = p * weightScale;
      }
      // integer P·V (exact: |Σ O·V| < 2^53 even when ΣE was clamped), then dequantised
      for (let c = 0; c < headDimV; c++) output[o + c] = pv[c] * (weightScale * v.scales[kvh]);
      entropySum += ent;
      rows++;
    }
    entropy[h] = rows ? entropySum / rows : 0;
  }
  return {
    output, maps,
    stats: {
      keyAttentionSum, keyQueryCount, entropy, invalidRows,
      recomputedRows: 0, nrResidual: 0, approxError: 0, proxy: false,
      wallMs: performance.now() - t0,
    },
    scales: { q: [...q.scales], k: [...k.scales], v: [...v.scales], logit: logitScale, weight: weightScale },
  };
}

const INT31 = 2 ** 31 - 1;
