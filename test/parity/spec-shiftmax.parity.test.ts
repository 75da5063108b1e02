// Spec §2.8: I-ViT Shiftmax, bit-exact (integers compared with deepEqual, no tolerance).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { roundHalfEven, shiftExp, shiftX0, shiftmaxInts } from '../../runtime/kernels/reference/shiftmax';
import { rowInput, run } from '../unit/variants-fixtures';

const I = [25, 12, 1, -12];
const S = 0.08;
const qat = { n: 15, bits: 8, x0: 0, exp: 0, div: 31 };

test('x0 = −13 under both conventions for S = 0.08', () => {
  assert.equal(shiftX0(S, 0), -13);
  assert.equal(shiftX0(S, 1), -13);
  assert.equal(shiftX0(0.25, 0), -4); // 1/S an integer: the conventions differ by one (§2.6)
  assert.equal(shiftX0(0.25, 1), -5);
});

test('QAT n = 15: E, then 8-bit and 16-bit outputs', () => {
  const r8 = shiftmaxInts(I, -13, qat);
  assert.deepEqual(r8.e, [425984, 163840, 73728, 25600]);
  assert.deepEqual(r8.out, [79, 30, 13, 4]);
  assert.deepEqual(shiftmaxInts(I, -13, { ...qat, bits: 16 }).out, [20254, 7790, 3505, 1217]);
});

test('TVM n = 16: E and the int8 output', () => {
  const r = shiftmaxInts(I, -13, { n: 16, bits: 8, x0: 1, exp: 1, div: 31 });
  assert.deepEqual(r.e, [851968, 327680, 147456, 49152]);
  assert.deepEqual(r.out, [79, 30, 13, 4]);
});

test('ShiftExp approximation values of §2.3 (S = 0.08, n = 15)', () => {
  const approx = (d: number) => (shiftExp(d, -13, qat) * S) / 2 ** 15;
  assert.ok(Math.abs(approx(0) - 1.04) < 1e-12);
  assert.ok(Math.abs(approx(-12) - 0.44) < 1e-12);
  assert.ok(Math.abs(approx(-50) - 0.025) < 1e-12);
});

test('the shiftmax variant quantizes the spec logits to I and returns O / 128 exactly', async () => {
  const r = await run(rowInput([2, 0.96, 0.08, -0.96]), `shiftmax:S=${S}`);
  assert.deepEqual(Array.from(r.maps[0].weights), [79, 30, 13, 4].map((o) => o / 128));
  const r16 = await run(rowInput([2, 0.96, 0.08, -0.96]), `shiftmax:S=${S},bits=16`);
  assert.deepEqual(Array.from(r16.maps[0].weights), [20254, 7790, 3505, 1217].map((o) => Math.fround(o / 32768)));
  const tvm = await run(rowInput([2, 0.96, 0.08, -0.96]), `shiftmax:S=${S},n=16,x0=tvm,exp=tvm`);
  assert.deepEqual(Array.from(tvm.maps[0].weights), [79, 30, 13, 4].map((o) => o / 128));
});

test('a near one-hot row maps to at most 127/128 and never to exact zeros (§2.6)', () => {
  const r = shiftmaxInts([127, -128, -128], shiftX0(0.08, 0), qat);
  assert.ok(r.out[0] <= 127);
  assert.ok(r.e.every((e) => e > 0));
});

test('round half to even, as torch.round', () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, -2.6].map(roundHalfEven), [0, 2, 2, 0, -2, 2, -3]);
});
