import type * as ort from 'onnxruntime-node';
import { ModelError } from '../model/errors';
import type { LogitTerm } from '../model/detect/core';
import { asNumbers } from './tensors';

/** Below this an additive mask value hides the key (HF uses finfo(float32).min ≈ -3.4e38). */
export const HIDDEN = -1e30;

export interface LogitTransform {
  /** Multiplier of Q·Kᵀ from the terms (unfused graphs). */
  scale: number;
  /** Additive bias [biasHeads, tq, tk], -Infinity where hidden; null when there is none. */
  bias: Float32Array | null;
  biasHeads: number;
}

/**
 * Evaluates a core's logit terms, in graph order, into one scale and one additive bias over
 * [heads, tq, tk]. `read` returns the run-time value of a tensor.
 */
export function evaluateTerms(terms: LogitTerm[], read: (name: string) => ort.Tensor, qHeads: number, tq: number, tk: number, core: string): LogitTransform {
  let scale = 1;
  let bias: Float32Array | null = null;
  let biasHeads = 1;
  const plane = tq * tk;
  const widen = (heads: number): Float32Array => {
    if (!bias) { bias = new Float32Array(heads * plane); biasHeads = heads; return bias; }
    if (heads > biasHeads) {
      const wide = new Float32Array(heads * plane);
      for (let h = 0; h < heads; h++) wide.set(bias.subarray(0, plane), h * plane);
      bias = wide;
      biasHeads = heads;
    }
    return bias;
  };
  for (const term of terms) {
    if (term.op === 'mul' || term.op === 'div') {
      const v = asNumbers(read(term.tensor));
      if (v.length !== 1) throw new ModelError('unsupported-core', `${core}: the logits are scaled by ${term.tensor} with ${v.length} values; only a scalar scale is supported`);
      const c = term.op === 'mul' ? Number(v[0]) : 1 / Number(v[0]);
      scale *= c;
      const cur = bias as Float32Array | null;
      if (cur) for (let i = 0; i < cur.length; i++) cur[i] *= c;
      continue;
    }
    if (term.op === 'add' || (term.op === 'mask' && read(term.tensor).type !== 'bool')) {
      const m = broadcast(read(term.tensor), qHeads, tq, tk, core);
      const b = widen(m.heads);
      for (let h = 0; h < biasHeads; h++) {
        const mo = (m.heads === 1 ? 0 : h) * plane;
        for (let x = 0; x < plane; x++) b[h * plane + x] += m.data[mo + x];
      }
      continue;
    }
    const condName = term.op === 'mask' ? term.tensor : term.op === 'where' ? term.cond : '';
    const cond = broadcast(read(condName), qHeads, tq, tk, core);
    const keepWhen = term.op === 'where' ? term.keepWhen : true;
    if (term.op === 'where') {
      const fill = asNumbers(read(term.fill));
      if (fill.length !== 1 || !(Number(fill[0]) <= HIDDEN)) {
        throw new ModelError('unsupported-core', `${core}: a Where replaces logits with ${fill.length === 1 ? fill[0] : 'a tensor'}; only a large negative fill (a mask) is supported`);
      }
    }
    const b = widen(cond.heads);
    for (let h = 0; h < biasHeads; h++) {
      const co = (cond.heads === 1 ? 0 : h) * plane;
      for (let x = 0; x < plane; x++) if ((cond.data[co + x] !== 0) !== keepWhen) b[h * plane + x] = -Infinity;
    }
  }
  const out = bias as Float32Array | null;
  if (out) for (let i = 0; i < out.length; i++) if (out[i] <= HIDDEN) out[i] = -Infinity;
  return { scale, bias: out, biasHeads };
}

/** A mask/bias tensor broadcast (right-aligned) to [1, heads or 1, tq, tk]. */
function broadcast(t: ort.Tensor, qHeads: number, tq: number, tk: number, core: string): { data: Float32Array; heads: number } {
  const dims = t.dims.map(Number);
  if (dims.length > 4) throw new ModelError('unsupported-core', `${core}: mask ${t.dims} has rank ${dims.length} > 4`);
  const d4 = [...Array(4 - dims.length).fill(1), ...dims];
  const [b, hh, qq, kk] = d4;
  // A mask longer than the keys (HF slices [:, :, :, :tk]) is read over its first tk columns.
  if (b !== 1 || (hh !== 1 && hh !== qHeads) || (qq !== 1 && qq !== tq) || (kk !== 1 && kk < tk)) {
    throw new ModelError('unsupported-core', `${core}: mask/bias of shape [${dims}] does not broadcast to [1, ${qHeads}, ${tq}, ${tk}]`);
  }
  const src = asNumbers(t);
  const heads = hh;
  const data = new Float32Array(heads * tq * tk);
  for (let h = 0; h < heads; h++) for (let i = 0; i < tq; i++) for (let j = 0; j < tk; j++) {
    const at = ((h * qq) + (qq === 1 ? 0 : i)) * kk + (kk === 1 ? 0 : j);
    data[(h * tq + i) * tk + j] = Number(src[at]);
  }
  return { data, heads };
}

/**
 * Whether the bias hides exactly the future keys of a causal mask (j > i + tk − tq) and maybe more;
 * when it does, the kernel gets causal = true and the future entries no longer matter.
 */
export function splitCausal(bias: Float32Array, heads: number, tq: number, tk: number): { causal: boolean; rest: Float32Array | null } {
  if (tq < 2 && tk < 2) return { causal: false, rest: bias };
  const off = tk - tq;
  for (let h = 0; h < heads; h++) for (let i = 0; i < tq; i++) for (let j = i + off + 1; j < tk; j++) {
    if (bias[(h * tq + i) * tk + j] !== -Infinity) return { causal: false, rest: bias };
  }
  if (off + 1 >= tk) return { causal: false, rest: bias };
  let any = false;
  for (let h = 0; h < heads; h++) for (let i = 0; i < tq; i++) for (let j = 0; j < tk; j++) {
    const x = (h * tq + i) * tk + j;
    if (j > i + off) bias[x] = 0; else if (bias[x] !== 0) any = true;
  }
  return { causal: true, rest: any ? bias : null };
}
