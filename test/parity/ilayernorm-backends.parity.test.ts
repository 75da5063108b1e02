// I-ViT's integer LayerNorm (spec §2.5) on every backend: js (the TypeScript reference), native (the
// addon's iLayerNorm, runtime/kernels/c/ilayernorm.c) and wasm (the same C in the module). Every
// integer must match exactly: the §2.8 vector, then random rows against the reference (large C,
// negative means, extreme 16-bit and wide int32 values, C = 1, mean ties, tiny variances where the
// Newton root is off). Also the §1.5 sink-metric vector through each backend's softmax kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { iLayerNorm } from '../../runtime/analysis/quant/iLayerNorm';
import { iLayerNormKernel, type ILayerNormKernel, type ILayerNormRequest } from '../../runtime/kernels/ilayernorm';
import { getBackend } from '../../runtime/kernels/backends';
import { parseVariant } from '../../runtime/kernels/variants';
import type { AttentionInput, BackendId } from '../../runtime/kernels/types';
import { keyImportanceFromStats } from '../../runtime/analysis/sinks/keyImportance';
import { sinkRate } from '../../runtime/analysis/sinks/sinkRate';
import { mulberry } from '../unit/variants-fixtures';

const BACKENDS: BackendId[] = ['js', 'native', 'wasm'];

async function kernels(): Promise<ILayerNormKernel[]> {
  return Promise.all(BACKENDS.map((b) => iLayerNormKernel(b)));
}

function same(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i]) && got[i] !== want[i]) assert.fail(`${what}[${i}]: ${got[i]} vs reference ${want[i]}`);
}

/** Every backend's rows against the reference row by row, with no tolerance. */
async function check(request: ILayerNormRequest, what: string): Promise<void> {
  const c = request.channels;
  const want = Array.from({ length: request.rows }, (_, i) => iLayerNorm(request.x.subarray(i * c, (i + 1) * c), request.gamma, request.beta));
  for (const kernel of await kernels()) {
    const got = await kernel.run(request);
    const tag = `${kernel.backend} ${what}`;
    same(got.out, want.flatMap((r) => r.out), `${tag} out`);
    same(got.mean, want.map((r) => r.mean), `${tag} mean`);
    same(got.variance, want.map((r) => r.variance), `${tag} variance`);
    same(got.std, want.map((r) => r.std), `${tag} std`);
    if (request.rows) same(got.scale, want[0].scale, `${tag} scale`);
  }
}

const ones = (c: number): number[] => new Array<number>(c).fill(1);
const zeros = (c: number): number[] => new Array<number>(c).fill(0);

test('spec §2.8 I-LayerNorm vector exactly on js, native and wasm (γ = 1, β = 0 and the γ/β variant)', async () => {
  const x = Int32Array.from([10000, -3000, 7000, 2000]);
  for (const kernel of await kernels()) {
    const r = await kernel.run({ x, rows: 1, channels: 4, gamma: ones(4), beta: zeros(4) });
    assert.deepEqual([r.mean[0], r.variance[0], r.std[0]], [4000, 98000000, 9899], kernel.backend);
    assert.equal(Math.floor((2 ** 31 - 1) / r.std[0]), 216939);
    assert.deepEqual([...r.out], [650817000, -759286500, 325408500, -216939000], kernel.backend);
    assert.deepEqual([...r.scale], ones(4).map(() => 2 / 2 ** 30), kernel.backend);
    [1.212241, -1.414281, 0.606121, -0.404080].forEach((w, i) => assert.ok(Math.abs(r.out[i] * r.scale[i] - w) < 5e-7, `${kernel.backend} ${r.out[i] * r.scale[i]} vs ${w}`));
    const g = await kernel.run({ x, rows: 1, channels: 4, gamma: [2, 0.5, 1, 1], beta: [0.1, 0, -0.2, 0] });
    [2.524482, -0.707141, 0.406121, -0.404080].forEach((w, i) => assert.ok(Math.abs(g.out[i] * g.scale[i] - w) < 5e-7, `${kernel.backend} γ/β ${g.out[i] * g.scale[i]} vs ${w}`));
  }
});

/** rows × c int32 values: base + offset + amp·U(−1, 1), clamped to [lo, hi]. */
function randomRows(rows: number, c: number, seed: number, amp: number, offset = 0, lo = -(2 ** 31), hi = 2 ** 31 - 1): Int32Array {
  const rnd = mulberry(seed);
  return Int32Array.from({ length: rows * c }, () => Math.min(hi, Math.max(lo, Math.round(offset + 2 * amp * rnd()))));
}

test('random rows = reference exactly: C = 768 and 192, negative means, 16-bit extremes, γ/β per channel', async () => {
  const rnd = mulberry(99);
  const gamma = Array.from({ length: 768 }, () => 1 + rnd());
  const beta = Array.from({ length: 768 }, () => 0.3 * rnd());
  await check({ x: randomRows(64, 768, 1, 3000), rows: 64, channels: 768, gamma: ones(768), beta: zeros(768) }, 'C=768');
  await check({ x: randomRows(32, 768, 2, 2000, -9000), rows: 32, channels: 768, gamma, beta }, 'C=768 negative mean, γ/β');
  await check({ x: randomRows(16, 768, 3, 60000, 0, -32768, 32767), rows: 16, channels: 768, gamma, beta }, 'C=768 saturated 16-bit');
  // a massive activation: one channel at the 16-bit edge, the rest small
  const spike = randomRows(8, 192, 4, 40);
  for (let r = 0; r < 8; r++) spike[r * 192 + 7] = r % 2 ? -32768 : 32767;
  await check({ x: spike, rows: 8, channels: 192, gamma: gamma.slice(0, 192), beta: beta.slice(0, 192) }, 'C=192 spike');
  // wide int32 values whose Σy² stays below 2^53
  await check({ x: randomRows(8, 16, 5, 2 ** 23, -(2 ** 29)), rows: 8, channels: 16, gamma: ones(16), beta: zeros(16) }, 'wide int32');
});

test('edge rows = reference exactly: C = 1, constant rows, mean ties both ways, small variances, zero rows', async () => {
  await check({ x: Int32Array.from([5, -7, 0, 32767, -32768]), rows: 5, channels: 1, gamma: [1], beta: [0.25] }, 'C=1');
  // sums ±1, ±3 over 2 channels: means 0.5 → 0, 1.5 → 2, −0.5 → 0, −1.5 → −2 (ties to even)
  await check({ x: Int32Array.from([0, 1, 1, 2, 0, -1, -1, -2, 9, 9]), rows: 5, channels: 2, gamma: [1, 1], beta: [0, 0] }, 'ties');
  // variances 1, 100, 12345-ish, 89999 (√ off by one) where the fixed start 2^16 gives 64, 118, 300
  const small = Int32Array.from([0, 0, 0, 1, /**/ 0, 0, 0, 20, /**/ 3, -50, 60, 90, /**/ 150, -150, 150, -149]);
  await check({ x: small, rows: 4, channels: 4, gamma: [1, 2, 3, 4], beta: [0, -1, 1, 0.5] }, 'small variances');
  await check({ x: new Int32Array(0), rows: 0, channels: 3, gamma: ones(3), beta: zeros(3) }, 'no rows');
});

test('I-LayerNorm errors: one line each, the same on every backend', async () => {
  for (const kernel of await kernels()) {
    // |y| ≈ 2^31 on 4 channels: Σy² ≈ 2^63 passes 2^53
    const wide = Int32Array.from([2 ** 31 - 1, -(2 ** 31), 2 ** 31 - 1, -(2 ** 31)]);
    await assert.rejects(kernel.run({ x: wide, rows: 1, channels: 4, gamma: ones(4), beta: zeros(4) }), /passes 2\^53/, kernel.backend);
    await assert.rejects(kernel.run({ x: Int32Array.from([1, 2]), rows: 1, channels: 2, gamma: [1, 0], beta: [0, 1] }), /not an integer within ±2\^52/, kernel.backend);
    await assert.rejects(kernel.run({ x: Int32Array.from([1, 2, 3]), rows: 1, channels: 2, gamma: ones(2), beta: zeros(2) }), /rows·channels = 2/, kernel.backend);
    await assert.rejects(kernel.run({ x: Int32Array.from([1, 2]), rows: 1, channels: 2, gamma: ones(3), beta: zeros(2) }), /one of each per channel/, kernel.backend);
  }
});

// Spec §1.5 sink-metric vector (T = 4, one layer, two heads, ε = 0.3): the maps come out of each
// backend's softmax kernel with q = k = 0 and a bias of ln w (−1000 where w = 0: e^−1000 is 0 in
// float32 while the key stays visible, so it counts as seen as in the spec's causal α), and α comes
// from the kernel's own instrumentation (Σ weight / query count per key).
const H1 = [[1, 0, 0, 0], [0.7, 0.3, 0, 0], [0.6, 0.2, 0.2, 0], [0.5, 0.1, 0.1, 0.3]];
const H2 = [[1, 0, 0, 0], [0.1, 0.9, 0, 0], [0, 0.1, 0.9, 0], [0, 0.1, 0.1, 0.8]];

test('spec §1.5 sink-metric vector from the kernels\' instrumentation on js, native and wasm', async () => {
  const bias = Float32Array.from([H1, H2].flatMap((h) => h.flatMap((row) => row.map((w) => (w > 0 ? Math.log(w) : -1000)))));
  const input: AttentionInput = {
    q: new Float32Array(2 * 4), k: new Float32Array(2 * 4), v: new Float32Array(2 * 4), qHeads: 2, kvHeads: 2, tq: 4, tk: 4,
    headDim: 1, headDimV: 1, scale: 1, mask: { causal: true, bias, biasHeads: 2 },
  };
  for (const id of BACKENDS) {
    const backend = await getBackend(id);
    const r = await backend.run({ input, variant: parseVariant('softmax'), captureHeads: [0, 1] });
    const imp = keyImportanceFromStats(r.stats, 2, 4);
    [0.7, 0.2, 0.15, 0.3, 0.275, 0.366667, 0.5, 0.8].forEach((a, x) => assert.ok(Math.abs(imp.alpha[x] - a) <= 1e-6, `${id} α[${x}] = ${imp.alpha[x]}, want ${a}`));
    // k = 1..3 are far from ε; k = 4's H1 α is the 0.3 tie, which float32 weights may put a few ulps either side,
    // so strict > is checked at ε ± 1e-6: not counted just above, counted just below.
    assert.deepEqual(Array.from(sinkRate([imp], 0.3 + 1e-6), (s) => s * 100), [50, 50, 50, 50], id);
    assert.deepEqual(Array.from(sinkRate([imp], 0.3 - 1e-6), (s) => s * 100), [50, 50, 50, 100], id);
  }
});
