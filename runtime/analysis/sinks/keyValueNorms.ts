import { tokenNorms } from './massiveActivation';

/**
 * The key-bias evidence of spec §1.2: per token, the L2 norm of its key and value vectors averaged
 * over KV heads, and the mean over sink tokens against the mean over the others. Gu et al. find
 * the first token's keys and (especially) values small although its hidden state is huge.
 */
export interface KeyValueNorms {
  /** [tk] mean over KV heads of ‖k_t‖₂. */
  keyNorm: Float64Array;
  /** [tk] mean over KV heads of ‖v_t‖₂. */
  valueNorm: Float64Array;
  sinkKeyNorm: number;
  otherKeyNorm: number;
  sinkValueNorm: number;
  otherValueNorm: number;
}

/** K is [kvHeads, tk, headDim] and V [kvHeads, tk, headDimV], as the kernel contract lays them out. */
export function keyValueNorms(
  k: ArrayLike<number>, v: ArrayLike<number>,
  shape: { kvHeads: number; tk: number; headDim: number; headDimV: number },
  sinkTokens: number[],
): KeyValueNorms {
  const { kvHeads, tk, headDim, headDimV } = shape;
  if (k.length !== kvHeads * tk * headDim) throw new Error(`key/value norms: K holds ${k.length} values, expected ${kvHeads}·${tk}·${headDim}`);
  if (v.length !== kvHeads * tk * headDimV) throw new Error(`key/value norms: V holds ${v.length} values, expected ${kvHeads}·${tk}·${headDimV}`);
  for (const s of sinkTokens) if (s < 0 || s >= tk) throw new Error(`key/value norms: sink token ${s} is outside 0..${tk - 1}`);
  const keyNorm = headMeanNorms(k, kvHeads, tk, headDim);
  const valueNorm = headMeanNorms(v, kvHeads, tk, headDimV);
  const sinks = new Set(sinkTokens);
  const mean = (x: Float64Array, inSinks: boolean): number => {
    let s = 0;
    let n = 0;
    for (let t = 0; t < tk; t++) if (sinks.has(t) === inSinks) { s += x[t]; n++; }
    return n ? s / n : NaN;
  };
  return {
    keyNorm, valueNorm,
    sinkKeyNorm: mean(keyNorm, true), otherKeyNorm: mean(keyNorm, false),
    sinkValueNorm: mean(valueNorm, true), otherValueNorm: mean(valueNorm, false),
  };
}

function headMeanNorms(x: ArrayLike<number>, heads: number, tk: number, d: number): Float64Array {
  const out = new Float64Array(tk);
  for (let h = 0; h < heads; h++) {
    const n = tokenNorms(x, tk, d, h * tk * d);
    for (let t = 0; t < tk; t++) out[t] += n[t] / heads;
  }
  return out;
}
