// softplus-norm (the Softplus -> ReduceSum -> Div normalizer of models trained with it) in the TS
// reference, on rows computed by hand, and the engine's mapping of a detected 'softplus-sum' core to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeVariant } from '../../runtime/engine/runner';
import type { AttentionCore } from '../../runtime/model/detect/core';
import { softplus } from '../../runtime/kernels/reference/lssa';
import { torchSoftplus } from '../../runtime/kernels/reference/softplusNorm';
import { parseVariant } from '../../runtime/kernels/variants';
import { SPEC_TOL, assertClose, rowInput, run } from './variants-fixtures';

// s = [2, 1, 0.1, −1]: softplus = ln(1 + e^s) = [ln 8.389056, ln 3.718282, ln 2.105171, ln 1.367879]
// = [2.126928, 1.313262, 0.744397, 0.313262], Σ = 4.497848. Weights: softplus / (Σ + eps).
// Tolerance SPEC_TOL = 1e-6 on weights printed to 6 decimals; the output Σ w_j v_j (v = 1..4) to 1e-5.
const s = [2, 1, 0.1, -1];

test('softplus-norm on the spec row, eps = 0 (the exported graphs): weights and output by hand', async () => {
  const r = await run(rowInput(s), 'softplus-norm');
  assertClose(r.maps[0].weights, [0.472877, 0.291976, 0.165501, 0.069647], SPEC_TOL, 'weights');
  assert.ok(Math.abs(r.output[0] - 1.831918) <= 1e-5, `output ${r.output[0]}`);
  assert.equal(r.stats.proxy, false, 'rows sum to 1: no proxy map');
  assert.ok(Math.abs(r.stats.keyAttentionSum.reduce((a, b) => a + b, 0) - 1) <= 1e-6, 'the row sums to 1');
});

test('softplus-norm:eps=0.5 divides by Σ + 0.5 = 4.997848', async () => {
  const r = await run(rowInput(s), 'softplus-norm:eps=0.5');
  assertClose(r.maps[0].weights, [0.425569, 0.262765, 0.148943, 0.062679], SPEC_TOL, 'weights');
  assert.ok(Math.abs(r.output[0] - 1.648647) <= 1e-5, `output ${r.output[0]}`);
});

test('torch\'s threshold 20: softplus is the identity above it', async () => {
  assert.equal(torchSoftplus(25), 25);
  assert.ok(softplus(25) > 25, 'ln(1 + e^25) itself is 25 + 1.4e-11 in float64');
  assert.equal(torchSoftplus(1), softplus(1));
  // s = [25, 0, −30]: [25, ln 2, 9.4e-14] / 25.693147.
  const r = await run(rowInput([25, 0, -30], [1, 2, 3]), 'softplus-norm');
  assertClose(r.maps[0].weights, [0.973022, 0.026978, 0], SPEC_TOL, 'weights');
});

test('hidden keys get 0; a fully hidden row and a row whose softplus all underflow output 0, not NaN', async () => {
  const causal = { ...rowInput([2, 1, -1, 0.5], [1, 2, 3, 4], { causal: true }), tq: 4, q: Float32Array.from([1, 1, 1, 1]) };
  const c = await run(causal, 'softplus-norm');
  // Row 1 sees logits [2, 1]: [2.126928, 1.313262] / 3.440190.
  assertClose(c.maps[0].weights.slice(4, 8), [0.618259, 0.381741, 0, 0], SPEC_TOL, 'causal row 1');
  const hidden = await run(rowInput(s, [1, 2, 3, 4], { causal: false, bias: new Float32Array(4).fill(-Infinity) }), 'softplus-norm');
  assert.equal(hidden.output[0], 0);
  const under = await run(rowInput([-800, -900]), 'softplus-norm');
  assert.equal(under.output[0], 0);
  assert.deepEqual(under.stats.invalidRows, []);
});

test('softplus-norm rejects a negative or non-numeric eps with a one-line message', () => {
  assert.deepEqual(parseVariant('softplus-norm').params, { eps: 0 });
  assert.throws(() => parseVariant('softplus-norm:eps=-1'), /variant softplus-norm: eps must be ≥ 0, got -1/);
  assert.throws(() => parseVariant('softplus-norm:eps=x'), /eps must be a number, got "x"/);
});

test('a detected softplus-sum core runs softplus-norm with eps 0, as the exported graph computes', () => {
  const core = { layer: 0, normalizer: 'softplus-sum' } as AttentionCore;
  assert.deepEqual(nativeVariant(core), { id: 'softplus-norm', params: { eps: 0 } });
});
