import type { AttentionResult } from '../../kernels/types';
import { KL_FLOOR, type Divergence } from './rowDivergence';

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

/**
 * One row as compared, into `out`: the weights, or their proxy |w| / Σ|w| (all 0 when Σ|w| = 0).
 * Plain Float64Array/Float32Array reads keep the row loops monomorphic.
 */
function comparableRow(m: HeadMap, i: number, out: Float64Array): void {
  const { tk } = m;
  const w = m.weights;
  const o = i * tk;
  if (!m.proxy) {
    for (let j = 0; j < tk; j++) out[j] = w[o + j];
    return;
  }
  let s = 0;
  for (let j = 0; j < tk; j++) s += Math.abs(w[o + j]);
  if (s > 0) for (let j = 0; j < tk; j++) out[j] = Math.abs(w[o + j]) / s;
  else out.fill(0);
}

/**
 * Compare one head's two maps (same layer, head and shape). Rows whose weights are all 0 in A are
 * left out. One pass per row computes the row's KL and JS (rowDivergence's formulas, fused), the
 * largest |ΔA| and the column sums.
 */
export function headDrift(mapA: HeadMap, mapB: HeadMap, divergence: Divergence = 'kl'): HeadDrift {
  if (mapA.tq !== mapB.tq || mapA.tk !== mapB.tk) throw new Error(`head drift: layer ${mapA.layer} head ${mapA.head} maps differ in shape (${mapA.tq}×${mapA.tk} vs ${mapB.tq}×${mapB.tk}); compare the same prompt`);
  const { tq, tk } = mapA;
  let sumKl = 0;
  let sumJs = 0;
  let rows = 0;
  let maxAbsDelta = 0;
  const colA = new Float64Array(tk);
  const colB = new Float64Array(tk);
  const seen = new Float64Array(tk);
  const ra = new Float64Array(tk);
  const rb = new Float64Array(tk);
  for (let i = 0; i < tq; i++) {
    comparableRow(mapA, i, ra);
    comparableRow(mapB, i, rb);
    let sa = 0;
    let sb = 0;
    for (let j = 0; j < tk; j++) {
      const x = ra[j];
      const y = rb[j];
      sa += x;
      sb += y;
      const d = Math.abs(x - y);
      if (d > maxAbsDelta) maxAbsDelta = d;
      colA[j] += x;
      colB[j] += y;
      if (x !== 0 || y !== 0) seen[j] += 1;
    }
    if (sa > 0) {
      rows++;
      if (sb > 0) {
        let kl = 0;
        let js = 0;
        for (let j = 0; j < tk; j++) {
          const p = ra[j] / sa;
          const q = rb[j] / sb;
          const m = (p + q) / 2;
          if (p > 0) {
            kl += p * Math.log(p / Math.max(q, KL_FLOOR));
            js += 0.5 * p * Math.log(p / m);
          }
          if (q > 0) js += 0.5 * q * Math.log(q / m);
        }
        sumKl += Math.max(kl, 0);
        sumJs += Math.max(js, 0);
      }
    }
  }
  // α_k's denominator: the queries that see key k (spec §1.1).
  const count = mapA.queryCount ?? seen;
  const deltaAlpha = new Float64Array(tk);
  for (let j = 0; j < tk; j++) deltaAlpha[j] = count[j] ? (colB[j] - colA[j]) / count[j] : 0;
  return {
    layer: mapA.layer, head: mapA.head, divergence,
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
