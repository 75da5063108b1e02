import type { AttentionResult } from '../../kernels/types';
import { rowDivergence, type Divergence } from './rowDivergence';

/** The full attention map of one head of one core, [tq, tk], hidden entries 0. */
export interface HeadMap {
  layer: number;
  head: number;
  tq: number;
  tk: number;
  weights: ArrayLike<number>;
  /** [tk] queries that see each key (the kernel's keyQueryCount row); counted from non-zero weights when absent. */
  queryCount?: ArrayLike<number>;
  /**
   * The weights do not sum to 1 (sigmoid, elu1, …): compare the proxy map of spec §1.1 instead,
   * each row divided by the sum of its absolute weights, as the kernels' sink stats do.
   */
  proxy?: boolean;
}

/** The map as compared: the weights, or their row-normalised proxy. */
function comparable(m: HeadMap): ArrayLike<number> {
  if (!m.proxy) return m.weights;
  const out = new Float64Array(m.tq * m.tk);
  for (let i = 0; i < m.tq; i++) {
    let s = 0;
    for (let j = 0; j < m.tk; j++) s += Math.abs(m.weights[i * m.tk + j]);
    if (s > 0) for (let j = 0; j < m.tk; j++) out[i * m.tk + j] = Math.abs(m.weights[i * m.tk + j]) / s;
  }
  return out;
}

/** How one head's map moved between a baseline run (A) and another run (B). */
export interface HeadDrift {
  layer: number;
  head: number;
  /** Mean over rows of the row divergence (KL(A‖B) or JS). */
  meanRowDivergence: number;
  /** Both measures, whichever ranks: KL(A‖B) is sensitive to weights B rounds to 0, JS is bounded by ln 2. */
  meanRowKl: number;
  meanRowJs: number;
  divergence: Divergence;
  /** max |A − B| over the map. */
  maxAbsDelta: number;
  /** α₁ (the first key's importance) of B minus that of A: the change in this head's sink. */
  deltaSinkAlpha: number;
  /** [tk] α_k of B minus α_k of A: the change in attention each token receives in this head. */
  deltaAlpha: Float64Array;
}

/** Compare one head's two maps (same layer, head and shape). Rows whose weights are all 0 in A are left out. */
export function headDrift(mapA: HeadMap, mapB: HeadMap, divergence: Divergence = 'kl'): HeadDrift {
  if (mapA.tq !== mapB.tq || mapA.tk !== mapB.tk) throw new Error(`head drift: layer ${mapA.layer} head ${mapA.head} maps differ in shape (${mapA.tq}×${mapA.tk} vs ${mapB.tq}×${mapB.tk}); compare the same prompt`);
  const { tq, tk } = mapA;
  const a = { ...mapA, weights: comparable(mapA) };
  const b = { ...mapB, weights: comparable(mapB) };
  let sumKl = 0;
  let sumJs = 0;
  let rows = 0;
  let maxAbsDelta = 0;
  const colA = new Float64Array(tk);
  const colB = new Float64Array(tk);
  const seen = new Float64Array(tk);
  for (let i = 0; i < tq; i++) {
    let rowMass = 0;
    for (let j = 0; j < tk; j++) {
      const x = i * tk + j;
      rowMass += a.weights[x];
      maxAbsDelta = Math.max(maxAbsDelta, Math.abs(a.weights[x] - b.weights[x]));
      colA[j] += a.weights[x];
      colB[j] += b.weights[x];
      if (a.weights[x] !== 0 || b.weights[x] !== 0) seen[j] += 1;
    }
    if (rowMass > 0) {
      sumKl += rowDivergence(a.weights, b.weights, 'kl', i * tk, tk);
      sumJs += rowDivergence(a.weights, b.weights, 'js', i * tk, tk);
      rows++;
    }
  }
  // α_k's denominator: the queries that see key k (spec §1.1).
  const count = a.queryCount ?? seen;
  const deltaAlpha = new Float64Array(tk);
  for (let j = 0; j < tk; j++) deltaAlpha[j] = count[j] ? (colB[j] - colA[j]) / count[j] : 0;
  return {
    layer: a.layer, head: a.head, divergence,
    meanRowDivergence: rows ? (divergence === 'kl' ? sumKl : sumJs) / rows : 0,
    meanRowKl: rows ? sumKl / rows : 0,
    meanRowJs: rows ? sumJs / rows : 0,
    maxAbsDelta, deltaSinkAlpha: deltaAlpha[0], deltaAlpha,
  };
}

/** Pair up two runs' maps by (layer, head), compare each, and rank by divergence, largest first. */
export function rankHeadDrift(a: HeadMap[], b: HeadMap[], divergence: Divergence = 'kl'): HeadDrift[] {
  const key = (m: HeadMap): string => `${m.layer}/${m.head}`;
  const byKey = new Map(b.map((m) => [key(m), m]));
  const out: HeadDrift[] = [];
  for (const m of a) {
    const other = byKey.get(key(m));
    if (!other) throw new Error(`head drift: run B has no map for layer ${m.layer} head ${m.head}; both runs must capture the same heads`);
    out.push(headDrift(m, other, divergence));
  }
  return out.sort((x, y) => y.meanRowDivergence - x.meanRowDivergence);
}

/** Per token: Δ attention received, averaged over all compared heads (B − A). */
export function tokenDrift(drifts: HeadDrift[]): Float64Array {
  if (!drifts.length) return new Float64Array(0);
  const tk = drifts[0].deltaAlpha.length;
  const out = new Float64Array(tk);
  for (const d of drifts) for (let j = 0; j < tk; j++) out[j] += d.deltaAlpha[j] / drifts.length;
  return out;
}

/** The captured map of head h in a kernel result (maps come in any order). */
export function mapOf(result: AttentionResult, h: number): Float32Array {
  const m = result.maps.find((x) => x.head === h);
  if (!m) throw new Error(`drift: the kernel returned no map for head ${h}; the analyses need every head's map`);
  return m.weights;
}
