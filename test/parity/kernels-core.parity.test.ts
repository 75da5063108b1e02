// The kernel core against the TS reference: the softmax family (softmax, softmax1, sink-logit,
// unified-max) and the elementwise family (sigmoid, elu1) on the native AND the wasm backend, and
// every other family on wasm (their native parity is variants-backends.parity.test.ts). Shapes:
// T = 1, odd sizes with GQA and dv != d, past keys, padding/ALiBi bias with fully masked rows,
// streaming, softcap, NaN/Inf inputs, T = 4,096; 1 and 3 threads; outputs and every statistic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeBackend } from '../../runtime/kernels/native/backend';
import { wasmBackend } from '../../runtime/kernels/wasm/backend';
import { loadWasmKernels } from '../../runtime/kernels/wasm/node';
import { parseVariant, referenceBackend } from '../../runtime/kernels/variants';
import type { AttentionBackend, AttentionInput, AttentionResult } from '../../runtime/kernels/types';
import { randomArray, randomInput } from '../unit/variants-fixtures';
import { normalizedError, withBias } from './parity-helpers';

/**
 * Tolerance on the normalized error max|a - b| / max(1, max|a|), per variant, with the reason. The
 * kernels compute in float32 with our own exp (relative error < 4e-7, math.h) and sum in SIMD lanes,
 * the reference in float64: a dot over d <= 64 products and a weighted sum over <= 4,096 keys carry
 * a few 1e-7 relative error in practice (measured <= 6e-7 on these shapes); 1e-5 leaves a 10x margin
 * and still fails on any real bug (a wrong mask, a missing key or a wrong max moves weights by >1e-3).
 */
const coreVariants: [string, number, string][] = [
  ['softmax', 1e-5, 'fp32 Q.K over d, fp32 sum of e^(s-m) over the row'],
  ['softmax1', 1e-5, 'as softmax; the extra e^(-m) term is one more float32 exp'],
  ['sink-logit:logit=1.5,logit.1=-2', 1e-5, 'as softmax1 with per-head sink logits'],
  ['unified-max:phi=1,ag=-3,bg=3', 1e-5, 'guard passes or the row is recomputed: softmax either way'],
  ['unified-max:phi=0,split=7', 1e-5, 'default float32 guard: per-split partial sums, no rescale'],
  ['sigmoid', 1e-5, 'elementwise, no reduction; b = -ln tk from our own log'],
  ['sigmoid:b=0', 1e-5, 'elementwise, b = 0 (Gu et al.)'],
  ['elu1', 1e-5, 'elementwise; weights up to s + 1, so the output scales with tk: error is relative'],
  ['elu1:normalize=1', 1e-5, 'elu1 divided by its float32 row sum + 1e-8'],
];

/** The other families on wasm, with the tolerances their native parity test states and explains. */
const otherVariants: [string, number][] = [
  ['sigmoid-norm', 1e-5], ['lssa', 1e-5], ['lssar:p=3', 2e-5], ['soft-gauss', 1e-5],
  ['soft-nystrom:m=8', 1e-4], ['shiftmax', 1e-5],
];

let cached: Promise<AttentionBackend[]> | undefined;
function backends(): Promise<AttentionBackend[]> {
  cached ??= loadWasmKernels().then((k) => [nativeBackend(), wasmBackend(k)]);
  return cached;
}

function withNonFinite(input: AttentionInput): AttentionInput {
  const q = input.q.slice();
  q[(0 * input.tq + 2) * input.headDim + 1] = NaN; // head 0, row 2
  const k = input.k.slice();
  k[(input.kvHeads - 1) * input.tk * input.headDim + 4 * input.headDim] = -Infinity; // last kv head, key 4
  return { ...input, q, k };
}

const shapes: [string, AttentionInput][] = [
  ['T = 1', randomInput({ qHeads: 1, kvHeads: 1, tq: 1, tk: 1, d: 4 })],
  ['odd sizes, GQA 6/2, dv 5, causal', randomInput({ qHeads: 6, kvHeads: 2, tq: 37, tk: 53, d: 12, dv: 5, seed: 3 })],
  ['d 64, 2 row blocks, causal', randomInput({ qHeads: 3, kvHeads: 1, tq: 150, tk: 150, d: 64, seed: 11 })],
  // d a multiple of 32 and dv of 16: the AMX products where the CPU has them (c/softmax_amx.h), with
  // GQA, a per-head bias and key/row counts that are not multiples of 16
  ['d 32, dv 16, GQA 4/2, per-head ALiBi, 70 keys', withBias(randomInput({ qHeads: 4, kvHeads: 2, tq: 53, tk: 70, d: 32, dv: 16, seed: 13 }), { padEvery: 7, padAt: 3, slope: 0.125, maskedRow: 5, causal: true })],
  ['past keys, non-causal', randomInput({ qHeads: 2, kvHeads: 2, tq: 5, tk: 130, d: 16, causal: false, seed: 5 })],
  ['per-head ALiBi + padding bias, a fully masked row', withBias(randomInput({ qHeads: 2, kvHeads: 1, tq: 9, tk: 40, d: 8, seed: 9 }), { padEvery: 5, padAt: 2, slope: 0.25, maskedRow: 3, causal: true })],
  ['streaming 3 sinks + 20 window over 140 keys', { ...randomInput({ qHeads: 2, kvHeads: 1, tq: 100, tk: 140, d: 16, seed: 4 }), mask: { causal: true, streaming: { sinks: 3, window: 20 } } }],
  ['streaming, non-causal, 2 sinks + window 1', { ...randomInput({ qHeads: 1, kvHeads: 1, tq: 6, tk: 70, d: 8, seed: 2, causal: false }), mask: { causal: false, streaming: { sinks: 2, window: 1 } } }],
  ['softcap 5', { ...randomInput({ qHeads: 2, kvHeads: 2, tq: 20, tk: 20, d: 8, seed: 12 }), softcap: 5, scale: 2 }],
  ['NaN in Q, -Inf in K', withNonFinite(randomInput({ qHeads: 2, kvHeads: 2, tq: 8, tk: 8, d: 8, seed: 6 }))],
];

const longRow: [string, AttentionInput] = ['T = 4,096, causal', randomInput({ qHeads: 1, kvHeads: 1, tq: 4096, tk: 4096, d: 64, seed: 8 })];

function compare(want: AttentionResult, got: AttentionResult, tol: number, what: string): void {
  assert.ok(got.output.every(Number.isFinite), `${what}: output finite`);
  const err = normalizedError(want.output, got.output);
  assert.ok(err <= tol, `${what}: output normalized error ${err.toExponential(2)} > ${tol}`);
  assert.deepEqual(got.stats.invalidRows, want.stats.invalidRows, `${what}: invalid rows`);
  assert.deepEqual(got.stats.keyQueryCount, want.stats.keyQueryCount, `${what}: key counts (exact)`);
  assert.equal(got.stats.recomputedRows, want.stats.recomputedRows, `${what}: recomputed rows`);
  assert.equal(got.stats.proxy, want.stats.proxy, `${what}: proxy`);
  // a key sum adds up to tq weights: its float32 error grows with the number of rows
  const sumErr = normalizedError(want.stats.keyAttentionSum, got.stats.keyAttentionSum);
  assert.ok(sumErr <= tol * Math.sqrt(want.output.length), `${what}: key attention sums ${sumErr.toExponential(2)}`);
  // entropy adds -p log p over the row: the error of a weight times |log p| <= ~25 for float32 p
  const entErr = normalizedError(want.stats.entropy, got.stats.entropy);
  assert.ok(entErr <= 30 * tol, `${what}: entropy ${entErr.toExponential(2)}`);
  for (let m = 0; m < want.maps.length; m++) {
    const mapErr = normalizedError(want.maps[m].weights, got.maps[m].weights);
    assert.ok(mapErr <= tol, `${what}: captured map of head ${want.maps[m].head}: ${mapErr.toExponential(2)}`);
  }
}

for (const [variant, tol, why] of coreVariants) {
  test(`${variant} on native and wasm matches the reference (tol ${tol}: ${why})`, async () => {
    for (const backend of await backends()) {
      assert.ok(backend.variants.includes(parseVariant(variant).id), `${backend.id} lacks ${variant}`);
      for (const [shape, input] of shapes) {
        const request = { input, variant: parseVariant(variant), captureHeads: [input.qHeads - 1, 0].slice(0, Math.min(2, input.qHeads)) };
        const want = await referenceBackend.run(request);
        for (const threads of backend.id === 'native' ? [1, 3] : [1]) {
          compare(want, await backend.run({ ...request, threads }), tol, `${backend.id} ${variant} ${shape} x${threads}`);
        }
      }
    }
  });
}

test('softmax at T = 4,096 on native (2 threads) and wasm matches the reference (tol 2e-5: sums over 4,096 keys)', async () => {
  const [shape, input] = longRow;
  const request = { input, variant: parseVariant('softmax'), captureHeads: [0] };
  const want = await referenceBackend.run(request);
  for (const backend of await backends()) compare(want, await backend.run({ ...request, threads: 2 }), 2e-5, `${backend.id} ${shape}`);
});

for (const [variant, tol] of otherVariants) {
  test(`${variant} on wasm matches the reference (tol ${tol}, as on native)`, async () => {
    const wasm = (await backends())[1];
    for (const [shape, input] of shapes) {
      const request = { input, variant: parseVariant(variant), captureHeads: [0] };
      compare(await referenceBackend.run(request), await wasm.run(request), tol, `wasm ${variant} ${shape}`);
    }
  });
}

test('instrument: false gives the same output and skips the key statistics', async () => {
  const input = randomInput({ qHeads: 4, kvHeads: 2, tq: 64, tk: 64, d: 32, seed: 21 });
  for (const backend of await backends()) {
    const on = await backend.run({ input, variant: parseVariant('softmax'), threads: 2 });
    const off = await backend.run({ input, variant: parseVariant('softmax'), threads: 2, instrument: false });
    assert.deepEqual(off.output, on.output, `${backend.id}: same output`);
    assert.ok(on.stats.keyQueryCount.some((c) => c > 0) && off.stats.keyQueryCount.every((c) => c === 0), `${backend.id}: stats only when on`);
  }
});

test('native and wasm reject bad requests with one-line errors', async () => {
  const input = randomInput({ qHeads: 2, kvHeads: 1, tq: 4, tk: 4, d: 4 });
  for (const backend of await backends()) {
    await assert.rejects(backend.run({ input: { ...input, q: randomArray(3, 1) }, variant: parseVariant('softmax') }), /q has 3 values, expected 32/);
    await assert.rejects(backend.run({ input, variant: { id: 'softmax1', params: { x: 1 } } }), /has no parameter "x"/);
    await assert.rejects(backend.run({ input, variant: parseVariant('softmax'), captureHeads: [2] }), /head 2 is not a query head/);
  }
});

test('the addon itself throws TypeError/RangeError for malformed descriptors', async () => {
  const { loadNativeAddon } = await import('../../runtime/kernels/native/backend');
  const addon = loadNativeAddon();
  assert.throws(() => addon.run({} as never), TypeError);
  const f = (n: number) => new Float32Array(n);
  const desc = {
    q: f(16), k: f(16), v: f(16), out: f(16), qHeads: 1, kvHeads: 1, tq: 4, tk: 4, headDim: 4, headDimV: 4,
    scale: 0.5, softcap: 0, causal: true, bias: null, biasHeads: 1, streamSinks: 0, streamWindow: -1,
    variant: 0, params: f(0), instrument: true, threads: 1, invalidRows: new Uint8Array(4),
    captureIndex: null, capture: null, keySum: f(4), keyCount: f(4), entropy: f(1),
  };
  assert.throws(() => addon.run({ ...desc, k: f(15) }), (e: Error) => e instanceof RangeError && /'k' has 15 elements, expected 16/.test(e.message));
  assert.throws(() => addon.run({ ...desc, q: new Float64Array(16) as never }), (e: Error) => e instanceof TypeError && /'q' must be a Float32Array/.test(e.message));
  // the family checks its params in the kernel call: the promise rejects with the kernel's message
  await assert.rejects(addon.run({ ...desc, variant: 2 }), /bad variant parameters/); // sink-logit: one logit per head
  const report = await addon.run(desc);
  assert.ok(report.wallMs >= 0);
});

/**
 * Every variant the registry routes to the tiled family (softmax.c), each path of which is compiled
 * once per instruction set, with the tolerance its own parity test states and explains (the
 * coreVariants above; variants-backends.parity.test.ts for the others).
 */
const tiledVariants: [string, number][] = [
  ['softmax', 1e-5], ['sink-logit:logit=0.5', 1e-5], ['unified-max:phi=1,ag=-3,bg=3', 1e-5],
  ['sigmoid', 1e-5], ['elu1', 1e-5], ['elu1:normalize=1', 1e-5], ['sigmoid-norm', 1e-5],
  ['softplus-norm', 1e-5], ['lssa', 1e-5], ['lssar:p=3', 2e-5], ['soft-gauss', 1e-5], ['shiftmax', 1e-5],
];

test('every native instruction-set path (AVX-512 with and without AMX, AVX2, SSE2 as the CPU allows) matches the reference, for every tiled variant', async () => {
  const { loadNativeAddon } = await import('../../runtime/kernels/native/backend');
  const addon = loadNativeAddon();
  const native = nativeBackend(addon);
  try {
    for (const cap of ['amx', 'avx512', 'avx2', 'sse2']) { // amx: AVX-512 with AMX products where permitted
      const isa = addon.capIsa(cap);
      for (const [variant, tol] of tiledVariants) {
        for (const [shape, input] of shapes) {
          const request = { input, variant: parseVariant(variant), captureHeads: [0] };
          compare(await referenceBackend.run(request), await native.run({ ...request, threads: 2 }), tol, `native/${isa} ${variant} ${shape}`);
        }
      }
    }
  } finally {
    addon.capIsa('auto');
  }
});
