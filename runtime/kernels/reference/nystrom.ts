import type { AttentionInput, AttentionResult } from '../types';
import { gaussExponent, softGaussKernel } from './gauss';
import { runRows, type RowKernel } from './rows';
import { biasAt, kvHeadOf, visible } from './visibility';

/** Parameters of the Nyström approximation of soft-gauss (spec §3.2–3.4). */
export interface NystromParams {
  /** Landmarks: the keys are cut into m consecutive segments and each is averaged (capped at tk). */
  m: number;
  /** Newton–Raphson iterations (20 in every released SOFT config). */
  iters: number;
  /** Safety factor on α = safety · 2 / ‖K2‖₁² (v1: 0.9; 1 is SOFT-Norm's boundary case). */
  safety: number;
  /** Regularizer: the iteration inverts K2 + reg·I (v1: 0.01). */
  reg: number;
  /** 1 = symmetric normalization D^{-1/2} X D^{-1/2}, D = diag(K2·1) (SOFT-Norm's code form). */
  norm: number;
  /** Rows per head approxError compares (see nystromErrorRow); 0 = every row. Default 128. */
  errorRows?: number;
}

/**
 * Whether query row i (0-based, the same in every head) is one of approxError's sampled rows: every
 * row when n = 0 or tq ≤ n, else the n rows ⌊k (tq − 1) / (n − 1)⌋, k = 0..n−1 (evenly spaced, the
 * first and the last included; n = 1: the last row). gauss.c's nystrom_error_row is the same test.
 */
export function nystromErrorRow(tq: number, n: number, i: number): boolean {
  if (n <= 0 || tq <= n) return true;
  if (n === 1) return i === tq - 1;
  const k = Math.ceil((i * (n - 1)) / (tq - 1));
  return Math.floor((k * (tq - 1)) / (n - 1)) === i;
}

type Matrix = Float64Array[];

function matmul(a: Matrix, b: Matrix): Matrix {
  return a.map((row) => {
    const out = new Float64Array(b[0].length);
    for (let k = 0; k < row.length; k++) for (let j = 0; j < out.length; j++) out[j] += row[k] * b[k][j];
    return out;
  });
}

/** Landmarks of kv head kvh: m_eff rows of d, each the mean of one consecutive segment of keys. */
export function landmarks(input: AttentionInput, kvh: number, m: number): Float64Array {
  const { k, tk, headDim: d } = input;
  const me = Math.min(m, tk);
  const out = new Float64Array(me * d);
  for (let l = 0; l < me; l++) {
    const start = Math.floor((l * tk) / me);
    const end = Math.floor(((l + 1) * tk) / me);
    for (let j = start; j < end; j++) for (let c = 0; c < d; c++) out[l * d + c] += k[(kvh * tk + j) * d + c];
    for (let c = 0; c < d; c++) out[l * d + c] /= end - start;
  }
  return out;
}

/**
 * Newton–Raphson (Newton–Schulz) inverse as SOFT v1: X₀ = α P, X ← 2X − X P X, with P = A + reg·I and
 * α = safety · 2 / (max row sum of A)². Returns X and the final residual ‖I − P X‖₁ (max column sum).
 */
export function newtonInverse(a: Matrix, p: Pick<NystromParams, 'iters' | 'safety' | 'reg'>): { x: Matrix; residual: number } {
  const n = a.length;
  let maxRow = 0;
  for (const row of a) maxRow = Math.max(maxRow, row.reduce((s, t) => s + t, 0));
  const alpha = (p.safety * 2) / (maxRow * maxRow);
  const pm = a.map((row, r) => row.map((t, c) => t + (r === c ? p.reg : 0)));
  let x = pm.map((row) => row.map((t) => alpha * t));
  for (let it = 0; it < p.iters; it++) {
    const xpx = matmul(matmul(x, pm), x);
    x = x.map((row, r) => row.map((t, c) => 2 * t - xpx[r][c]));
  }
  const px = matmul(pm, x);
  let residual = 0;
  for (let c = 0; c < n; c++) {
    let col = 0;
    for (let r = 0; r < n; r++) col += Math.abs((r === c ? 1 : 0) - px[r][c]);
    residual = Math.max(residual, col);
  }
  return { x, residual };
}

/** Per kv head: landmarks L, B = X · S(L, K) [m × tk], and the NR residual. */
interface HeadFactors { lm: Float64Array; b: Matrix; residual: number }

function headFactors(input: AttentionInput, kvh: number, p: NystromParams): HeadFactors {
  const { k, tk, headDim: d } = input;
  const lm = landmarks(input, kvh, p.m);
  const me = lm.length / d;
  const k2: Matrix = [];
  for (let r = 0; r < me; r++) {
    k2.push(new Float64Array(me));
    for (let c = 0; c < me; c++) k2[r][c] = Math.exp(gaussExponent(lm, r * d, lm, c * d, d));
  }
  const { x, residual } = newtonInverse(k2, p);
  if (p.norm) {
    const dInv = k2.map((row) => 1 / Math.sqrt(row.reduce((s, t) => s + t, 0)));
    for (let r = 0; r < me; r++) for (let c = 0; c < me; c++) x[r][c] *= dInv[r] * dInv[c];
  }
  const slk: Matrix = [];
  for (let r = 0; r < me; r++) {
    slk.push(new Float64Array(tk));
    for (let j = 0; j < tk; j++) slk[r][j] = Math.exp(gaussExponent(lm, r * d, k, (kvh * tk + j) * d, d));
  }
  return { lm, b: matmul(x, slk), residual };
}

/**
 * soft-nystrom: the Nyström approximation of the soft-gauss map, W ≈ S(Q, L) · X · S(L, K), X the
 * Newton–Raphson inverse of S(L, L) (spec §3.3, v1 form; `norm` = 1 the SOFT-Norm code form). The
 * reference forms W row by row and masks it (hidden keys 0, finite bias multiplies by e^bias), so
 * masks stay orthogonal; unmasked, W·V equals the low-rank K1·X·(K1ᵀV) of the paper. Landmarks pool
 * all keys of the head, visible or not. Weights may be negative: the stats use |w|/Σ|w|.
 * Stats: nrResidual = the worst finite head's ‖I − P X‖₁; approxError = max |O − O_soft-gauss| over the
 * sampled rows (nystromErrorRow, p.errorRows: all rows up to 128 per head by default) both compute (an
 * Inf key breaks every landmark of its head but only the gauss rows that see it).
 */
export function softNystromReference(input: AttentionInput, p: NystromParams, captureHeads: number[] = []): AttentionResult {
  const { q, tq, headDim: d } = input;
  const factors = Array.from({ length: input.kvHeads }, (_, kvh) => headFactors(input, kvh, p));
  let rowKey = -1;
  let left = new Float64Array(0);
  const kernel: RowKernel = {
    proxy: true,
    score(h, i, j) {
      if (!visible(input, h, i, j)) return -Infinity;
      const bias = biasAt(input, h, i, j);
      if (bias === -Infinity) return -Infinity;
      const f = factors[kvHeadOf(input, h)];
      if (rowKey !== h * tq + i) {
        rowKey = h * tq + i;
        left = new Float64Array(f.b.length);
        for (let l = 0; l < left.length; l++) {
          const e = gaussExponent(q, (h * tq + i) * d, f.lm, l * d, d);
          left[l] = Number.isFinite(e) ? Math.exp(e) : NaN;
        }
      }
      let s = 0;
      for (let l = 0; l < left.length; l++) s += left[l] * f.b[l][j];
      return s * Math.exp(bias);
    },
    weigh(scores, w) {
      for (let j = 0; j < scores.length; j++) w[j] = scores[j] === -Infinity ? 0 : scores[j];
      return false;
    },
  };
  const result = runRows(input, kernel, captureHeads);
  const exact = runRows(input, softGaussKernel(input));
  const skip = new Set([...result.stats.invalidRows, ...exact.stats.invalidRows]);
  const dv = input.headDimV;
  const n = p.errorRows ?? 128;
  let approxError = 0;
  for (let t = 0; t < exact.output.length; t++) {
    const row = Math.floor(t / dv);
    if (!skip.has(row) && nystromErrorRow(tq, n, row % tq)) approxError = Math.max(approxError, Math.abs(result.output[t] - exact.output[t]));
  }
  // Heads broken by Inf/NaN keys (their rows are invalid) have a NaN residual: left out.
  result.stats.nrResidual = factors.reduce((m, f) => (f.residual > m ? f.residual : m), 0);
  result.stats.approxError = approxError;
  return result;
}
