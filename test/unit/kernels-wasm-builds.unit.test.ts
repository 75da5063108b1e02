// The two WebAssembly builds (scripts/build-wasm.mjs): both are built, the Node loader picks the
// relaxed-SIMD one where the engine compiles it (switching V8's flag on in Node 20), and both give
// the same attention within float32 rounding (relaxed_madd may fuse a * b + c: rounding only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { instantiateWasmKernels, relaxedSimdSupported } from '../../runtime/kernels/wasm/kernels';
import { enableRelaxedSimd, loadWasmKernels, wasmIsa, wasmKernelsPath } from '../../runtime/kernels/wasm/node';
import { wasmBackend } from '../../runtime/kernels/wasm/backend';
import { resolveVariant } from '../../runtime/kernels/variants';
import type { AttentionInput } from '../../runtime/kernels/types';

test('npm install builds both modules', () => {
  for (const isa of ['simd128', 'relaxed-simd'] as const) assert.ok(existsSync(wasmKernelsPath(isa)), `${wasmKernelsPath(isa)} missing`);
});

test('the loader picks the relaxed-SIMD build exactly where the engine compiles relaxed SIMD', async () => {
  const isa = wasmIsa();
  assert.equal(isa === 'relaxed-simd', relaxedSimdSupported() && process.env.ATTNSCOPE_WASM_ISA !== 'simd128');
  if (process.env.ATTNSCOPE_WASM_ISA !== 'simd128') assert.equal(isa, 'relaxed-simd', 'Node >= 20 can switch relaxed SIMD on');
  assert.equal((await loadWasmKernels()).isa, isa);
  assert.equal((await loadWasmKernels(wasmKernelsPath('simd128'))).isa, 'simd128');
});

test('both builds compute the same softmax attention and statistics (float32 rounding apart)', async () => {
  assert.ok(enableRelaxedSimd(), 'Node >= 20 can switch relaxed SIMD on');
  const [plain, relaxed] = await Promise.all((['simd128', 'relaxed-simd'] as const).map(async (isa) =>
    wasmBackend(await instantiateWasmKernels(readFileSync(wasmKernelsPath(isa)), isa))));
  assert.equal(plain.isa, 'simd128');
  assert.equal(relaxed.isa, 'relaxed-simd');
  const H = 2, T = 333, D = 64;
  let seed = 7;
  const rand = (n: number): Float32Array => Float32Array.from({ length: n }, () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed / 4294967296 - 0.5) * 4;
  });
  const input: AttentionInput = {
    q: rand(H * T * D), k: rand(H * T * D), v: rand(H * T * D), qHeads: H, kvHeads: H, tq: T, tk: T,
    headDim: D, headDimV: D, scale: 1 / Math.sqrt(D), mask: { causal: true },
  };
  const variant = resolveVariant({ id: 'softmax', params: {} });
  const [a, b] = await Promise.all([plain, relaxed].map((k) => k.run({ input, variant, threads: 1, instrument: true })));
  const worst = (x: ArrayLike<number>, y: ArrayLike<number>): number => {
    let w = 0;
    for (let i = 0; i < x.length; i++) w = Math.max(w, Math.abs(x[i] - y[i]));
    return w;
  };
  assert.ok(worst(a.output, b.output) < 1e-5, `output differs by ${worst(a.output, b.output)}`);
  assert.ok(worst(a.stats.keyAttentionSum, b.stats.keyAttentionSum) < 1e-3, 'key sums differ');
  assert.deepEqual(Array.from(a.stats.keyQueryCount), Array.from(b.stats.keyQueryCount));
  assert.ok(worst(a.stats.entropy, b.stats.entropy) < 1e-4, 'entropies differ');
});
