/**
 * A head's additive bias as a term by the key's offset from the query plus a term by key:
 * b[i][j] = byOffset[j − i + tq − 1] + byKey[j] (in float32). Sent to the panel instead of the
 * [tq, tk] matrix where that reproduces it exactly on every key the mask leaves visible: ALiBi as
 * slope · (j − i) (any slope) or as BLOOM builds it (slope · j, the causal mask as −∞ above the
 * diagonal), T5-style relative position buckets, key padding (−∞ by key), or these together.
 * tq + 2 tk floats instead of tq · tk (16 MiB for one head at 2,048 tokens).
 */
import { tensor, type WireTensor } from './tensor';

export interface RelativeBias {
  /** [tq + tk − 1]: the term at key offset j − i, index j − i + tq − 1. */
  byOffset: WireTensor<Float32Array>;
  /** [tk]: the term of key j (−∞ for padding). */
  byKey: WireTensor<Float32Array>;
}

/** The keys [0, end) query row i sees: all of them, or with a causal mask those up to its position. */
const visibleEnd = (i: number, tq: number, tk: number, causal: boolean): number =>
  causal ? Math.max(0, Math.min(tk, i + tk - tq + 1)) : tk;

/**
 * The offset term given the key term: each offset's value taken where it first occurs on a key with
 * a finite term, every later visible entry checked against it bit for bit as it comes; null at the
 * first that does not match (or at a NaN or +∞, which the matrix keeps).
 */
function byOffsetFor(bias: Float32Array, tq: number, tk: number, causal: boolean, byKey: Float32Array): Float32Array | null {
  const byOffset = new Float32Array(tq + tk - 1);
  const known = new Uint8Array(tq + tk - 1);
  for (let i = 0; i < tq; i++) {
    const end = visibleEnd(i, tq, tk, causal);
    for (let j = 0; j < end; j++) {
      const b = bias[i * tk + j], o = j - i + tq - 1;
      if (Number.isNaN(b) || b === Infinity) return null;
      if (!known[o] && Number.isFinite(byKey[j])) { byOffset[o] = b - byKey[j]; known[o] = 1; }
      if (!Object.is(Math.fround(byOffset[o] + byKey[j]), b)) return null;
    }
  }
  return byOffset;
}

/**
 * `bias` ([tq, tk], row-major) as a RelativeBias when that reproduces it bit for bit on every
 * visible key (values a causal mask hides are never read), else null. Tries a term by offset with
 * padding by key (ALiBi, T5), then a term by key with the offset term what is left (BLOOM).
 */
export function relativeBias(bias: Float32Array, tq: number, tk: number, causal: boolean): RelativeBias | null {
  if (tq < 1 || tk < 1) return null;
  const last = visibleEnd(tq - 1, tq, tk, causal); // the last row sees the most keys
  const padding = new Float32Array(tk), keyed = new Float32Array(tk);
  for (let j = 0; j < last; j++) {
    const b = bias[(tq - 1) * tk + j];
    padding[j] = b === -Infinity ? -Infinity : 0;
    keyed[j] = b;
  }
  for (const byKey of [padding, keyed]) {
    const byOffset = byOffsetFor(bias, tq, tk, causal, byKey);
    if (byOffset) return { byOffset: tensor(byOffset, [tq + tk - 1]), byKey: tensor(byKey, [tk]) };
  }
  return null;
}

/** The [tq, tk] bias of `r` (every entry, hidden ones included). */
export function expandBias(r: RelativeBias, tq: number, tk: number): Float32Array {
  const out = new Float32Array(tq * tk);
  const by = r.byOffset.data, key = r.byKey.data;
  for (let i = 0; i < tq; i++) for (let j = 0; j < tk; j++) out[i * tk + j] = by[j - i + tq - 1] + key[j];
  return out;
}

export const isRelativeBias = (b: WireTensor<Float32Array> | RelativeBias): b is RelativeBias => 'byOffset' in b;
