// The I-ViT integer core (runtime/kernels/c/ivit.c) on the native addon and the wasm module against
// its TypeScript reference (runtime/analysis/quant/ivitAttention.ts). Integers must match exactly:
// the captured weights are O · 2^−(outBits−1), the output is (Σ O·V_int) · S_v · 2^−(outBits−1) and
// the scales are the same float64 operations, so maps, outputs and scales are compared with no
// tolerance. Only the float sums differ in order (key sums across threads, entropy in float32 log):
// keySum within 1e-5 relative, entropy within 1e-5 (it sums −w ln w per row in float32).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ivitAttention } from '../../runtime/analysis/quant/ivitAttention';
import { shiftmaxInts, shiftX0 } from '../../runtime/kernels/reference/shiftmax';
import { nativeBackend } from '../../runtime/kernels/native/backend';
import { wasmBackend } from '../../runtime/kernels/wasm/backend';
import { loadWasmKernels } from '../../runtime/kernels/wasm/node';
import { parseVariant } from '../../runtime/kernels/variants';
import { ivitKernel, type IvitKernel } from '../../runtime/kernels/ivit';
import type { IvitConfig } from '../../runtime/kernels/ivitConfig';
import type { AttentionInput } from '../../runtime/kernels/types';
import { randomInput, rowInput } from '../unit/variants-fixtures';
import { withBias } from './parity-helpers';

async function kernels(): Promise<IvitKernel[]> {
  return [await ivitKernel('native'), await ivitKernel('wasm')];
}

function same(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let x = 0; x < a.length; x++) {
    if (a[x] !== b[x]) assert.fail(`${what}[${x}]: ${b[x]} vs reference ${a[x]}`);
  }
}

async function check(input: AttentionInput, options: Partial<IvitConfig>, what: string, threads = 3): Promise<void> {
  const heads = Array.from({ length: input.qHeads }, (_, h) => h);
  const want = ivitAttention(input, { ...options, captureHeads: heads });
  for (const kernel of await kernels()) {
    const got = await kernel.run(input, options, heads, threads);
    const tag = `${kernel.backend} ${what} ${JSON.stringify(options)}`;
    same(want.output, got.output, `${tag} output`);
    for (const h of heads) same(want.maps[h].weights, got.maps.find((m) => m.head === h)!.weights, `${tag} map ${h}`);
    for (const key of ['q', 'k', 'v', 'logit'] as const) same(want.scales[key], got.scales[key], `${tag} ${key} scales`);
    assert.equal(got.scales.weight, want.scales.weight);
    same(want.stats.keyQueryCount, got.stats.keyQueryCount, `${tag} keyQueryCount`);
    want.stats.keyAttentionSum.forEach((s, x) => assert.ok(Math.abs(s - got.stats.keyAttentionSum[x]) <= 1e-5 * Math.max(1, s), `${tag} keySum[${x}]`));
    want.stats.entropy.forEach((e, h) => assert.ok(Math.abs(e - got.stats.entropy[h]) <= 1e-5, `${tag} entropy[${h}] ${got.stats.entropy[h]} vs ${e}`));
    assert.deepEqual(got.stats.invalidRows, []);
  }
}

const OPTIONS: Partial<IvitConfig>[] = [
  {},
  { granularity: 'head' },
  { outBits: 16 },
  { n: 16, convention: 'tvm' },
  { rounding: 'half-up', logitBits: 10 },
  { logitBits: 16, outBits: 12, bits: 6, granularity: 'head' },
];

test('ivit kernel = reference on causal GQA inputs with past keys, every option set', async () => {
  const input = randomInput({ qHeads: 4, kvHeads: 2, tq: 37, tk: 45, d: 16, dv: 8, seed: 21 });
  for (const options of OPTIONS) await check(input, options, 'gqa causal');
});

test('ivit kernel = reference on long rows (ShiftExp table and the clamped ΣE), one and several threads', async () => {
  const input = randomInput({ qHeads: 2, kvHeads: 2, tq: 300, tk: 300, d: 32, seed: 5 });
  await check(input, {}, 'long', 1);
  await check(input, { logitBits: 12, n: 30 }, 'long', 4);
});

test('ivit kernel = reference with a padding + ALiBi bias (one fully masked row), non-causal and streaming', async () => {
  const base = randomInput({ qHeads: 3, kvHeads: 3, tq: 20, tk: 24, d: 8, causal: false, seed: 9 });
  const biased = withBias(base, { padEvery: 5, padAt: 2, slope: 0.25, maskedRow: 4, causal: false });
  await check(biased, {}, 'bias');
  await check(biased, { granularity: 'head', rounding: 'half-up' }, 'bias');
  const streaming = randomInput({ qHeads: 2, kvHeads: 1, tq: 40, tk: 40, d: 8, seed: 13 });
  await check({ ...streaming, mask: { causal: true, streaming: { sinks: 2, window: 6 } } }, {}, 'streaming');
});

test('ivit kernel = reference on the spec-derived vector: I = [127, 61, 5, −61] at S = 0.9/127', async () => {
  // The unit test's input (analysis-quant): int8 [53, 35, 23, 14], int16 [13703, 9167, 6055, 3763].
  const input: AttentionInput = {
    q: Float32Array.from([1]), k: Float32Array.from([127, 61, 5, -61].map((x) => x / 127)),
    v: Float32Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]),
    qHeads: 1, kvHeads: 1, tq: 1, tk: 4, headDim: 1, headDimV: 4, scale: 0.9, mask: { causal: true },
  };
  for (const [options, ints, unit] of [[{}, [53, 35, 23, 14], 128], [{ outBits: 16 }, [13703, 9167, 6055, 3763], 32768], [{ n: 16, convention: 'tvm' }, [53, 35, 23, 14], 128]] as const) {
    for (const kernel of await kernels()) {
      const r = await kernel.run(input, options, [0]);
      assert.deepEqual([...r.maps[0].weights], ints.map((x) => Math.fround(x / unit)), `${kernel.backend} ${JSON.stringify(options)}`);
    }
  }
});

test('ivit kernel errors: non-finite input, softcap, bad options, one line each', async () => {
  const input = randomInput({ qHeads: 1, kvHeads: 1, tq: 4, tk: 4, d: 4, seed: 3 });
  for (const kernel of await kernels()) {
    const bad = { ...input, q: Float32Array.from(input.q) };
    bad.q[2] = NaN;
    await assert.rejects(kernel.run(bad, {}, []), /NaN or infinite/);
    await assert.rejects(kernel.run({ ...input, softcap: 30 }, {}, []), /softcap/);
    await assert.rejects(kernel.run(input, { bits: 9 }, []), /bits must be an integer in 2\.\.8/);
  }
});

/** Every backend's I-ViT core: the reference (js) and the compiled kernels. */
async function everyBackend(input: AttentionInput, options: Partial<IvitConfig>, heads: number[]): Promise<[string, Float32Array[]][]> {
  const out: [string, Float32Array[]][] = [['js', ivitAttention(input, { ...options, captureHeads: heads }).maps.map((m) => m.weights)]];
  for (const kernel of await kernels()) out.push([kernel.backend, (await kernel.run(input, options, heads)).maps.map((m) => m.weights)]);
  return out;
}

test('spec §2.8 Shiftmax vector through the whole I-ViT core on js, native and wasm', async () => {
  // Head 0's largest logit sets the per-tensor Shiftmax scale to 127 · acc scale = scale / 127, so
  // head 1's int8 keys [25, 12, 1, −12] arrive as the spec's I = [25, 12, 1, −12] at S = 10.16/127 ≈ 0.08
  // (x0 = −13 in both conventions; ShiftExp depends only on I and x0).
  const input: AttentionInput = {
    q: Float32Array.from([1, 1]), k: Float32Array.from([1, 0, 0, 0, ...[25, 12, 1, -12].map((x) => x / 127)]),
    v: Float32Array.from({ length: 2 * 4 * 4 }, (_, x) => (x % 5 === 0 ? 1 : 0)),
    qHeads: 2, kvHeads: 2, tq: 1, tk: 4, headDim: 1, headDimV: 4, scale: 10.16, mask: { causal: true },
  };
  const vectors: [Partial<IvitConfig>, number[], number][] = [
    [{}, [79, 30, 13, 4], 128],
    [{ outBits: 16 }, [20254, 7790, 3505, 1217], 32768],
    [{ n: 16, convention: 'tvm' }, [79, 30, 13, 4], 128],
  ];
  for (const [options, ints, unit] of vectors) {
    for (const [backend, maps] of await everyBackend(input, options, [1])) {
      assert.deepEqual([...maps[0]], ints.map((x) => Math.fround(x / unit)), `${backend} ${JSON.stringify(options)}`);
    }
  }
});

test('spec §2.8 dyadic tie through the I-ViT core: 1234 · 0.25 = 308.5 → 308 (half-even) / 309 (half-up) on every backend', async () => {
  // Q = [127, 1] · 2^-7, K = [16, 12], [9, 91] and a hidden [127, 0] (all · 2^-7): S_q = S_k = 2^-7,
  // accumulators [2044, 1234]; with 10-bit logits (top 511) the Shiftmax scale is 2044 · 2^-14 / 511
  // = 2^-12 and the ratio exactly 0.25, so M = 2^30, k = 32 as the spec's vector, and I = [511, 308|309].
  const input: AttentionInput = {
    q: Float32Array.from([127, 1].map((x) => x / 128)), k: Float32Array.from([16, 12, 9, 91, 127, 0].map((x) => x / 128)),
    v: Float32Array.from([1, 0, 0, 1, 1, 1]), qHeads: 1, kvHeads: 1, tq: 1, tk: 3, headDim: 2, headDimV: 2, scale: 1,
    mask: { causal: false, bias: Float32Array.from([0, 0, -Infinity]), biasHeads: 1 },
  };
  // 16-bit weights: one step of I moves O1 by 2 (15800 vs 15802); 8 bits would round both to 61.
  const cfg = { n: 15, bits: 16, x0: 0, exp: 0, div: 31 };
  const expect = (i1: number): number[] => [...shiftmaxInts([511, i1], shiftX0(2 ** -12, 0), cfg).out.map((o) => o / 32768), 0];
  const even = expect(308);
  const up = expect(309);
  assert.notDeepEqual(even, up, 'the two roundings must be told apart by the weights');
  for (const [rounding, want] of [['half-even', even], ['half-up', up]] as const) {
    for (const [backend, maps] of await everyBackend(input, { logitBits: 10, outBits: 16, rounding }, [0])) {
      assert.deepEqual([...maps[0]], want, `${backend} ${rounding}`);
    }
  }
});

test('spec §2.8 Shiftmax vector through the shiftmax variant on native and wasm (the js run is spec-shiftmax.parity)', async () => {
  const backends = [nativeBackend(), wasmBackend(await loadWasmKernels())];
  const cases: [string, number[], number][] = [
    ['shiftmax:S=0.08', [79, 30, 13, 4], 128],
    ['shiftmax:S=0.08,bits=16', [20254, 7790, 3505, 1217], 32768],
    ['shiftmax:S=0.08,n=16,x0=tvm,exp=tvm', [79, 30, 13, 4], 128],
  ];
  for (const backend of backends) {
    for (const [variant, ints, unit] of cases) {
      const r = await backend.run({ input: rowInput([2, 0.96, 0.08, -0.96]), variant: parseVariant(variant), captureHeads: [0] });
      assert.deepEqual([...r.maps[0].weights], ints.map((x) => Math.fround(x / unit)), `${backend.id} ${variant}`);
    }
  }
});
