// Spec §3.6: SOFT's Gaussian kernel and its Nyström approximation, d = 2, K = Q (tied, as SOFT).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newtonInverse, nystromErrorRow } from '../../runtime/kernels/reference/nystrom';
import type { AttentionInput } from '../../runtime/kernels/types';
import { SPEC_TOL, assertClose, randomInput, run } from '../unit/variants-fixtures';

const Q = [1, 0, 0.8, 0.6, 0, 1, -0.6, 0.8];

/** Four tokens, one head, K = Q, V = [1, 2, 3, 4]ᵀ, no mask: the spec's SOFT example. */
function softInput(): AttentionInput {
  return {
    q: Float32Array.from(Q), k: Float32Array.from(Q), v: Float32Array.from([1, 2, 3, 4]),
    qHeads: 1, kvHeads: 1, tq: 4, tk: 4, headDim: 2, headDimV: 1, scale: 1 / Math.SQRT2, mask: { causal: false },
  };
}

// Float32 inputs (0.8, 0.6 are not exact) move these by ≤ 1e-7 and the spec prints 6 decimals;
// outputs sum four such terms, and K2 enters the inverse, so 2e-6 there (still 3 orders below the
// gaps between the v1, exact-pinv and SOFT-Norm answers the tests tell apart).
test('soft-gauss: the full kernel map and S·V', async () => {
  const r = await run(softInput(), 'soft-gauss');
  assertClose(r.maps[0].weights.slice(0, 4), [1, 0.868123, 0.493069, 0.322591], SPEC_TOL, 'S row 0');
  assertClose(r.output, [5.505816, 7.101313, 8.472839, 7.913098], 2e-6, 'S·V');
  assert.equal(r.stats.proxy, true);
});

test('Newton–Raphson v1 (20 it, +0.01 I, safety 0.9) = exact (K2 + 0.01 I)⁻¹', () => {
  const k2 = [Float64Array.from([1, 0.529196]), Float64Array.from([0.529196, 1])];
  const { x, residual } = newtonInverse(k2, { iters: 20, safety: 0.9, reg: 0.01 });
  assertClose([...x[0], ...x[1]], [1.364770, -0.715080, -0.715080, 1.364770], 2e-6, 'X');
  assert.ok(residual < 1e-9, `residual ${residual}`);
});

test('SOFT-Norm boundary case: α = 2/‖K2‖₁² never inverts the top direction (residual stays 1)', () => {
  const k2 = [Float64Array.from([1, 0.529196]), Float64Array.from([0.529196, 1])];
  const { x, residual } = newtonInverse(k2, { iters: 20, safety: 1, reg: 0 });
  assertClose([...x[0], ...x[1]], [1.062013, -1.062013, -1.062013, 1.062013], 2e-6, 'X');
  assert.ok(Math.abs(residual - 1) < 1e-3, `residual ${residual}`);
});

test('soft-nystrom v1, m = 2 pooled landmarks: the SOFT v1 output and its error against soft-gauss', async () => {
  const r = await run(softInput(), 'soft-nystrom:m=2');
  assertClose(r.output, [5.518688, 7.025705, 8.407015, 7.803722], 2e-6, 'K1·X·K1ᵀ·V');
  const exact = [5.505816, 7.101313, 8.472839, 7.913098];
  const err = Math.max(...[5.518688, 7.025705, 8.407015, 7.803722].map((o, t) => Math.abs(o - exact[t])));
  assert.ok(Math.abs(r.stats.approxError - err) < 5e-6, `approxError ${r.stats.approxError} vs ${err}`);
  assert.ok(r.stats.nrResidual < 1e-6);
});

test('soft-nystrom SOFT-Norm code form (safety 1, reg 0, norm): the stalled output of the spec', async () => {
  const r = await run(softInput(), 'soft-nystrom:m=2,safety=1,reg=0,norm=1');
  assertClose(r.output, [-0.763005, -0.461239, 0.461239, 0.763005], 2e-6, 'SOFT-Norm');
});

test('soft-nystrom with m = tk landmarks reproduces soft-gauss (Nyström is exact on landmarks)', async () => {
  const r = await run(softInput(), 'soft-nystrom:m=4,reg=0,iters=60');
  assert.ok(r.stats.approxError < 1e-4, `approxError ${r.stats.approxError}`);
});

test('approxError\'s sampled rows: all when n = 0 or tq ≤ n, else n evenly spaced rows with the first and the last', () => {
  const rows = (tq: number, n: number) => Array.from({ length: tq }, (_, i) => i).filter((i) => nystromErrorRow(tq, n, i));
  assert.deepEqual(rows(5, 0), [0, 1, 2, 3, 4]);
  assert.deepEqual(rows(5, 5), [0, 1, 2, 3, 4]);
  assert.deepEqual(rows(5, 128), [0, 1, 2, 3, 4]);
  assert.deepEqual(rows(10, 4), [0, 3, 6, 9]);
  assert.deepEqual(rows(37, 5), [0, 9, 18, 27, 36]);
  assert.deepEqual(rows(8, 3), [0, 3, 7]); // floor(k · 7 / 2)
  assert.deepEqual(rows(9, 1), [8]);
  for (const [tq, n] of [[1024, 128], [1000, 128], [129, 128], [4096, 7], [300, 299]]) {
    const r = rows(tq, n);
    assert.equal(r.length, n, `tq ${tq}, n ${n}: count`);
    assert.deepEqual([r[0], r[n - 1]], [0, tq - 1], `tq ${tq}, n ${n}: first and last`);
    r.forEach((i, k) => assert.equal(i, Math.floor((k * (tq - 1)) / (n - 1)), `tq ${tq}, n ${n}: row ${k}`));
  }
});

test('soft-nystrom approxError is the max |O − O_soft-gauss| over the sampled rows of every head', async () => {
  const input = randomInput({ qHeads: 2, kvHeads: 1, tq: 37, tk: 53, d: 12, dv: 5, seed: 3 });
  const gauss = await run(input, 'soft-gauss');
  const all = await run(input, 'soft-nystrom:m=8,errorRows=0');
  for (const n of [0, 1, 5, 36, 37]) {
    const r = await run(input, `soft-nystrom:m=8,errorRows=${n}`);
    assert.deepEqual(r.output, all.output, `errorRows ${n}: the output does not depend on it`);
    let want = 0;
    for (let t = 0; t < r.output.length; t++) {
      if (nystromErrorRow(37, n, Math.floor(t / 5) % 37)) want = Math.max(want, Math.abs(r.output[t] - gauss.output[t]));
    }
    assert.ok(Math.abs(r.stats.approxError - want) < 1e-6, `errorRows ${n}: ${r.stats.approxError} vs ${want}`);
    assert.ok(r.stats.approxError <= all.stats.approxError, `errorRows ${n}: a sample never exceeds every row`);
  }
});
