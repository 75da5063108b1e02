// Dyadic requantisation (spec §2.2) on js (runtime/analysis/quant/dyadic.ts), native and wasm (the
// I-ViT core's own ivit_dyadic / ivit_requantize in c/ivit.c) through one call (runtime/kernels/dyadic.ts):
// the §2.8 vectors and a few hundred random (ratio, z) pairs, M, k and the requantised z bit-exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dyadicKernel, type DyadicKernel } from '../../runtime/kernels/dyadic';
import type { HalfRounding } from '../../runtime/analysis/quant/rounding';

async function kernels(): Promise<DyadicKernel[]> {
  return [await dyadicKernel('js'), await dyadicKernel('native'), await dyadicKernel('wasm')];
}

/** round(z·m / 2^k) with ties by `rounding`, in BigInt (independent of every backend), as the nearest double. */
function exact(z: number, m: number, k: number, rounding: HalfRounding): number {
  const p = BigInt(z) * BigInt(m);
  const unit = 1n << BigInt(k);
  let q = p / unit;
  if (p < 0n && q * unit !== p) q -= 1n;
  const twice = 2n * (p - q * unit);
  if (twice > unit || (twice === unit && (rounding === 'half-up' || q % 2n !== 0n))) q += 1n;
  return Number(q);
}

/** mulberry32: a seeded PRNG, so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('spec §2.8 dyadic vectors on js, native and wasm: 0.05/0.2 → M = 2^30, k = 32, 1234 → 308 | 309; 0.0123/0.0456 → M = 1158510915, k = 32, 1234 → 333', async () => {
  for (const kernel of await kernels()) {
    const b = kernel.backend;
    assert.deepEqual(kernel.requantize(0.05 / 0.2, 1234, 'half-even'), { m: 2 ** 30, k: 32, q: 308 }, `${b} 308.5 half-even`);
    assert.deepEqual(kernel.requantize(0.05 / 0.2, 1234, 'half-up'), { m: 2 ** 30, k: 32, q: 309 }, `${b} 308.5 half-up`);
    assert.deepEqual(kernel.requantize(0.05 / 0.2, -1234, 'half-even'), { m: 2 ** 30, k: 32, q: -308 }, `${b} -308.5 half-even`);
    assert.deepEqual(kernel.requantize(0.05 / 0.2, -1234, 'half-up'), { m: 2 ** 30, k: 32, q: -308 }, `${b} -308.5 half-up`);
    for (const rounding of ['half-even', 'half-up'] as const) {
      assert.deepEqual(kernel.requantize(0.0123 / 0.0456, 1234, rounding), { m: 1158510915, k: 32, q: 333 }, `${b} 332.8553 ${rounding}`);
    }
  }
});

test('dyadic on native and wasm = the TypeScript reference on random (ratio, z) pairs and constructed ties, both roundings', async () => {
  const [js, ...compiled] = await kernels();
  const rand = rng(0x5eed2208);
  const cases: [number, number][] = [];
  for (let c = 0; c < 400; c++) {
    // ratios log-uniform over 2^-40 .. 2^29.9 (k from 1 to 71), z over the whole int32 range or small
    const ratio = 2 ** (-40 + rand() * 69.9);
    const span = c % 3 === 0 ? 2 ** 31 - 1 : c % 3 === 1 ? 2 ** 16 : 300;
    cases.push([ratio, Math.round((2 * rand() - 1) * span)]);
  }
  for (let c = 0; c < 150; c++) {
    // ties: ratio = a / 2^j (a odd), z = 2^(j-1) · odd, so z · ratio = (a · odd) / 2 exactly
    const j = 1 + Math.floor(rand() * 20);
    const a = 2 * Math.floor(rand() * 2 ** 19) + 1;
    const odd = 2 * Math.floor(rand() * Math.min(2 ** 10, 2 ** (31 - j) / 2 - 1)) + 1;
    cases.push([a / 2 ** j, (rand() < 0.5 ? -1 : 1) * odd * 2 ** (j - 1)]);
  }
  cases.push([2 ** -1060, 2 ** 31 - 1], [5e-324, -(2 ** 31 - 1)], [2 ** 29.99, 2 ** 31 - 1], [2 ** 29.99, -(2 ** 31 - 1)], [1, 0], [0.75, -7]);
  let ties = 0;
  for (const [ratio, z] of cases) {
    for (const rounding of ['half-even', 'half-up'] as const) {
      const want = js.requantize(ratio, z, rounding);
      assert.equal(want.q, exact(z, want.m, want.k, rounding), `js ${ratio} ${z} ${rounding} vs BigInt`);
      assert.ok(want.m >= 2 ** 30 && want.m < 2 ** 31 && Math.abs((want.m / 2 ** 31) * 2 ** (31 - want.k + 200) / (ratio * 2 ** 200) - 1) <= 2 ** -31, `js ${ratio}: M / 2^k`);
      for (const kernel of compiled) assert.deepEqual(kernel.requantize(ratio, z, rounding), want, `${kernel.backend} ratio ${ratio} z ${z} ${rounding}`);
    }
    if (js.requantize(ratio, z, 'half-even').q !== js.requantize(ratio, z, 'half-up').q) ties++;
  }
  // a tie x.5 rounds differently half up and half to even when floor(x.5) is even: about half the constructed ties
  assert.ok(ties >= 50, `the two roundings differ on only ${ties} pairs; the tie rule is not exercised`);
});

test('dyadic errors are one line and the same on every backend', async () => {
  const bad: [number, number, RegExp][] = [
    [0, 1, /positive finite/], [-0.25, 1, /positive finite/], [Infinity, 1, /positive finite/], [NaN, 1, /positive finite/],
    [0.25, 1.5, /integer/], [0.25, 2 ** 31, /integer/], [2 ** 30, 1, /2\^30/],
  ];
  for (const kernel of await kernels()) {
    for (const [ratio, z, message] of bad) {
      assert.throws(() => kernel.requantize(ratio, z, 'half-even'), (e: Error) => message.test(e.message) && !e.message.includes('\n'), `${kernel.backend} ${ratio} ${z}`);
    }
  }
});
