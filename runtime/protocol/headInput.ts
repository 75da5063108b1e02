/**
 * One head's kernel input on the wire: what the panel needs to recompute that head's attention map
 * with its own WASM kernels for another variant, while the runtime re-runs the whole model. Sent
 * only with a head map, i.e. for the head on screen.
 */
import { tensorProblem, type WireTensor } from './tensor';
import type { RelativeBias } from './relativeBias';

export interface HeadInput {
  /** [tq, headDim]: the head's queries (after any rotary embedding). */
  q: WireTensor<Float32Array>;
  /** [tk, headDim]: the keys of the kv head this query head reads (GQA). */
  k: WireTensor<Float32Array>;
  /** [tk, headDimV] */
  v: WireTensor<Float32Array>;
  /** Multiplies Q·Kᵀ before the bias. */
  scale: number;
  /** tanh softcap of the scaled logits (0 = off). */
  softcap: number;
  causal: boolean;
  /**
   * The head's additive bias (ALiBi, padding, a model's own mask): a term by key offset plus one by
   * key where that is exact (relativeBias.ts; ALiBi and padding are), else [tq, tk]; or null.
   */
  bias: WireTensor<Float32Array> | RelativeBias | null;
  /** The variant the runtime ran this head with, as `ID[:param=value,...]`. */
  variant: string;
}

/** Why `x` is not a consistent HeadInput for a [tq, tk] map, or null. */
export function headInputProblem(x: unknown, tq: number, tk: number): string | null {
  if (typeof x !== 'object' || x === null) return 'input is not an object';
  const h = x as Partial<HeadInput>;
  for (const name of ['q', 'k', 'v'] as const) {
    const p = tensorProblem(h[name], 'float32', 2);
    if (p) return `input.${name} ${p}`;
  }
  const [q, k, v] = [h.q!.shape, h.k!.shape, h.v!.shape];
  if (q[0] !== tq || k[0] !== tk || v[0] !== tk) return `input rows are q ${q[0]}, k ${k[0]}, v ${v[0]} for a ${tq} × ${tk} map`;
  if (q[1] !== k[1] || q[1] < 1 || v[1] < 1) return `input.q and input.k need the same head size (${q[1]} and ${k[1]})`;
  if (typeof h.scale !== 'number' || !Number.isFinite(h.scale) || typeof h.softcap !== 'number' || !Number.isFinite(h.softcap)) return 'input.scale and input.softcap must be finite numbers';
  if (typeof h.causal !== 'boolean') return 'input.causal must be a boolean';
  if (h.bias !== null && typeof h.bias === 'object' && 'byOffset' in h.bias) {
    const by = tensorProblem(h.bias.byOffset, 'float32', 1) ?? tensorProblem(h.bias.byKey, 'float32', 1);
    if (by) return `input.bias.byOffset or .byKey ${by}`;
    if (h.bias.byOffset.shape[0] !== tq + tk - 1 || h.bias.byKey.shape[0] !== tk) {
      return `input.bias has ${h.bias.byOffset.shape[0]} offsets and ${h.bias.byKey.shape[0]} keys, expected ${tq + tk - 1} and ${tk}`;
    }
  } else if (h.bias !== null) {
    const b = tensorProblem(h.bias, 'float32', 2);
    if (b) return `input.bias ${b}`;
    const shape = (h.bias as WireTensor).shape;
    if (shape[0] !== tq || shape[1] !== tk) return `input.bias is [${shape.join(', ')}], expected [${tq}, ${tk}]`;
  }
  return typeof h.variant === 'string' && h.variant.length > 0 ? null : 'input.variant must be a variant string';
}
