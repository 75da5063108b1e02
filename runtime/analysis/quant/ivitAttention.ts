import type { AttentionInput, AttentionResult, CapturedMap } from '../../kernels/types';
import { visible } from '../../kernels/reference/visibility';
import { dyadicFromRatio, requantize } from './dyadic';
import type { HalfRounding } from './rounding';
import { shiftmaxInts, shiftX0 } from '../../kernels/reference/shiftmax';
import { quantizeHeads, type QuantGranularity } from './symmetric';

/**
 * Options of the I-ViT integer-only attention core (spec §2). Defaults follow the paper's deployment
 * where the spec lists ambiguities (§8.2): 8-bit Shiftmax output, QAT's n = 15 and x0 = floor(−1/S).
 */
export interface IvitOptions {
  /** Scales of Q, K, V and of the requantised logits: one per tensor or one per head (default 'tensor'). */
  granularity?: QuantGranularity;
  /** Width of Q, K, V (default 8). */
  bits?: number;
  /** Width of the requantised logits fed to Shiftmax (default 8, as I-ViT's attention-logit activations). */
  logitBits?: number;
  /** Shiftmax precision shift (default 15, QAT; TVM uses 16). */
  n?: number;
  /** Shiftmax output width (default 8: TVM/paper; QAT uses 16). */
  outBits?: number;
  /**
   * 'qat' (default): the PyTorch QAT code's x0 = floor(−1/S) and floored ShiftExp; 'tvm': the TVM
   * deployment's x0 = trunc(−1/S − 1) and shifted ShiftExp. ΣE is clamped at 2^31 − 1 in both.
   */
  convention?: 'qat' | 'tvm';
  /** Ties in the dyadic requantisation (default 'half-even', as the QAT code). */
  rounding?: HalfRounding;
  /** Heads whose integer attention map (dequantised) is returned. */
  captureHeads?: number[];
}

/** What the integer path chose, so a report can show it. */
export interface IvitScales {
  q: number[];
  k: number[];
  v: number[];
  /** Shiftmax input scale per head (equal across heads for per-tensor). */
  logit: number[];
  /** Shiftmax output scale 2^−(outBits−1). */
  weight: number;
}

export interface IvitResult extends AttentionResult {
  scales: IvitScales;
}

/**
 * One attention core through the I-ViT integer-only pipeline: int8 symmetric Q and K, int32 Q·Kᵀ,
 * dyadic requantisation of the logits (the attention scale folded into the ratio) to the Shiftmax
 * input scale, Shiftmax, int8 V, integer P·V, dequantisation of the output to float.
 * A finite additive bias is quantised to the accumulator scale; −Infinity hides a key.
 */
export function ivitAttention(input: AttentionInput, options: IvitOptions = {}): IvitResult {
  const t0 = performance.now();
  const granularity = options.granularity ?? 'tensor';
  const bits = options.bits ?? 8;
  const logitBits = options.logitBits ?? 8;
  const n = options.n ?? 15;
  const outBits = options.outBits ?? 8;
  const convention = options.convention ?? 'qat';
  const rounding = options.rounding ?? 'half-even';
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
    accScale[h] = q.scales[h] * k.scales[kvh] * input.scale;
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
          b = Math.round(real / accScale[h]);
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
  const logitScale = Array.from(maxReal, (m) => Math.max(granularity === 'tensor' ? tensorMax : m, MIN_LOGIT_RANGE) / top);
  const weightScale = 2 ** -(outBits - 1);

  const output = new Float32Array(qHeads * tq * headDimV);
  const keyAttentionSum = new Float32Array(qHeads * tk);
  const keyQueryCount = new Float32Array(qHeads * tk);
  const entropy = new Float32Array(qHeads);
  const invalidRows: number[] = [];
  const maps: CapturedMap[] = (options.captureHeads ?? []).map((head) => ({ head, weights: new Float32Array(tq * tk) }));
  const logits = new Float64Array(tk);
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
      for (let j = 0; j < tk; j++) {
        if (hidden[j]) continue;
        const p = out[j];
        if (p > 0) {
          const vo = (kvh * tk + j) * headDimV;
          for (let c = 0; c < headDimV; c++) output[o + c] += p * vi[vo + c];
          const w = p / rowSum;
          ent -= w * Math.log(w);
        }
        keyAttentionSum[h * tk + j] += p * weightScale;
        keyQueryCount[h * tk + j] += 1;
        if (map) map.weights[i * tk + j] = p * weightScale;
      }
      for (let c = 0; c < headDimV; c++) output[o + c] *= weightScale * v.scales[kvh];
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
/** A head whose logits are all 0 still needs a positive Shiftmax scale. */
const MIN_LOGIT_RANGE = 1e-6;
