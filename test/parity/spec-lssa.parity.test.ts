// Spec §5.5: LSSA / LSSAR on rows with given cosines. q = e0 and k_j = c_j e0 + √(1 − c_j²) e1, so
// cos(q, k_j) = c_j up to float32 rounding of k (≤ 6e-8 in c, ≤ 4e-7 in λc, well inside 1e-6 after
// the normalization, which damps it further).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttentionInput } from '../../runtime/kernels/types';
import { SPEC_TOL, assertClose, run } from '../unit/variants-fixtures';

function cosineRow(c: number[], d = 64): AttentionInput {
  const tk = c.length;
  const q = new Float32Array(d);
  q[0] = 1;
  const k = new Float32Array(tk * d);
  c.forEach((cj, j) => { k[j * d] = cj; k[j * d + 1] = Math.sqrt(1 - cj * cj); });
  return {
    q, k, v: Float32Array.from(c.map((_, j) => j + 1)), qHeads: 1, kvHeads: 1, tq: 1, tk,
    headDim: d, headDimV: 1, scale: 1 / 8, mask: { causal: true },
  };
}

const c4 = [0.6, 0.55, -0.2, 0.1];

test('LSSA, N = 4, d = 64 (λ = 5.765436)', async () => {
  const r = await run(cosineRow(c4), 'lssa');
  assertClose(r.maps[0].weights, [0.436329, 0.401559, 0.034296, 0.127816], SPEC_TOL, 'lssa');
});

test('the d of λ is a parameter: d = 64 on a 2-dim head gives the same row', async () => {
  const r = await run(cosineRow(c4, 2), 'lssa:d=64');
  assertClose(r.maps[0].weights, [0.436329, 0.401559, 0.034296, 0.127816], SPEC_TOL, 'lssa d=64');
});

for (const [p, want] of [[1, [0.551453, 0.448547, 0, 0]], [3, [0.650135, 0.349865, 0, 0]], [15, [0.956816, 0.043183, 0, 0]]] as const) {
  test(`LSSAR p = ${p}, O = 1 (row at position 3)`, async () => {
    const r = await run(cosineRow(c4), `lssar:p=${p}`);
    assertClose(r.maps[0].weights, want, SPEC_TOL, `lssar p=${p}`);
  });
}

test('LSSAR p = 15, O = 0 (the first-rows form: warm covers position 3)', async () => {
  const r = await run(cosineRow(c4), 'lssar:warm=4');
  assertClose(r.maps[0].weights, [0.776548, 0.223452, 0, 0], SPEC_TOL, 'lssar O=0');
  assert.ok(r.maps[0].weights[3] > 0, 'nothing is cut by the ReLU when O = 0');
});

test('8-key row (λ = 8.648154): LSSA and LSSAR p = 15 with exact zeros', async () => {
  const c8 = [0.6, 0.55, -0.2, 0.1, 0.58, 0, 0.3, 0.2];
  const a = await run(cosineRow(c8), 'lssa');
  assertClose(a.maps[0].weights, [0.240327, 0.220460, 0.007554, 0.056272, 0.232373, 0.032069, 0.123367, 0.087577], SPEC_TOL, 'lssa 8');
  const r = await run(cosineRow(c8), 'lssar');
  assertClose(r.maps[0].weights, [0.713771, 0.041870, 0, 0, 0.244359, 0, 0, 0], SPEC_TOL, 'lssar 8');
  for (const j of [2, 3, 5, 6, 7]) assert.equal(r.maps[0].weights[j], 0, `exact zero at ${j}`);
});

test('uniform row: LSSA = 1/N, LSSAR = 0 everywhere, output 0', async () => {
  const r = await run(cosineRow([0.1, 0.1, 0.1, 0.1]), 'lssar');
  assert.deepEqual(Array.from(r.maps[0].weights), [0, 0, 0, 0]);
  assert.equal(r.output[0], 0);
  const a = await run(cosineRow([0.1, 0.1, 0.1, 0.1]), 'lssa');
  assertClose(a.maps[0].weights, [0.25, 0.25, 0.25, 0.25], 1e-7, 'uniform lssa');
});

test('first row (N = 1): λ = 0, LSSA = [1], LSSAR (O = 0) = [1]', async () => {
  const input = cosineRow([0.3]);
  for (const variant of ['lssa', 'lssar']) {
    const r = await run(input, variant);
    assert.ok(Math.abs(r.maps[0].weights[0] - 1) < 1e-7, variant);
  }
});

test('LSSAR stays finite on a near one-hot row of 1024 keys (where (A·N − 1)^15 overflows fp32)', async () => {
  const c = Array.from({ length: 1024 }, (_, j) => (j === 5 ? 1 : -1));
  const r = await run(cosineRow(c), 'lssar');
  assert.deepEqual(r.stats.invalidRows, []);
  assert.ok(Math.abs(r.maps[0].weights[5] - 1) < 1e-9);
});
