// The accuracy math.h states for our own exp/log/tanh (the kernels' only transcendental functions),
// measured through the built WASM module (the same C as the native addon) against float64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { wasmKernelsPath } from '../../runtime/kernels/wasm/node';

type MathFn = (fn: number, x: number) => number;

async function kernelMath(): Promise<MathFn> {
  const { instance } = await WebAssembly.instantiate(readFileSync(wasmKernelsPath()), {});
  return (instance.exports as { attn_wasm_math: MathFn }).attn_wasm_math;
}

/** n points spread over [lo, hi], plus the ends, each rounded to float32. */
function grid(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n + 1 }, (_, i) => Math.fround(lo + ((hi - lo) * i) / n));
}

test('attn_expf: relative error < 4e-7 on [-87, 88]; 0 below -87.3 and at -inf', async () => {
  const f = await kernelMath();
  let worst = 0;
  for (const x of grid(-87, 88, 200000)) worst = Math.max(worst, Math.abs(f(0, x) - Math.exp(x)) / Math.exp(x));
  assert.ok(worst < 4e-7, `worst relative error ${worst}`);
  assert.equal(f(0, -90), 0);
  assert.equal(f(0, -Infinity), 0);
  assert.equal(f(0, 0), 1);
});

test('attn_logf: error < 2e-7 · max(1, |ln x|) on [1e-30, 1e30]; -inf at 0 and below', async () => {
  const f = await kernelMath();
  let worst = 0;
  for (let e = -30; e <= 30; e += 0.0005) {
    const x = Math.fround(10 ** e);
    worst = Math.max(worst, Math.abs(f(1, x) - Math.log(x)) / Math.max(1, Math.abs(Math.log(x))));
  }
  assert.ok(worst < 2e-7, `worst error ${worst}`);
  assert.equal(f(1, 0), -Infinity);
  assert.equal(f(1, -1), -Infinity);
  assert.equal(f(1, 1), 0);
});

test('attn_tanhf: absolute error < 3e-7 on all finite x', async () => {
  const f = await kernelMath();
  let worst = 0;
  for (const x of grid(-12, 12, 200000)) worst = Math.max(worst, Math.abs(f(2, x) - Math.tanh(x)));
  assert.ok(worst < 3e-7, `worst absolute error ${worst}`);
  assert.equal(f(2, 1e30), 1);
  assert.equal(f(2, -1e30), -1);
});
