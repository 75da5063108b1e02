import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dyadicFromRatio, frexp, requantize } from '../../runtime/analysis/quant/dyadic';
import { quantizeHeads, symmetricScale } from '../../runtime/analysis/quant/symmetric';
import { roundHalf } from '../../runtime/analysis/quant/rounding';
import { ivitAttention } from '../../runtime/analysis/quant/ivitAttention';
import { int8FakeQuantAttention } from '../../runtime/analysis/quant/int8FakeQuant';
import { iLayerNorm, isqrtNewton } from '../../runtime/analysis/quant/iLayerNorm';
import { iLayerNormDrift } from '../../runtime/analysis/quant/iLayerNormDrift';
import { iLayerNormKernel } from '../../runtime/kernels/ilayernorm';
import { softmaxReference } from '../../runtime/kernels/reference/softmax';
import type { AttentionInput } from '../../runtime/kernels/types';
import { mulberry } from './variants-fixtures';

test('dyadic requantisation reproduces spec §2.8, half-even and half-up', () => {
  assert.deepEqual(dyadicFromRatio(0.05 / 0.2), { m: 2 ** 30, k: 32 });
  assert.equal(requantize(1234, dyadicFromRatio(0.25), 'half-even'), 308);
  assert.equal(requantize(1234, dyadicFromRatio(0.25), 'half-up'), 309);
  const d = dyadicFromRatio(0.0123 / 0.0456);
  assert.deepEqual(d, { m: 1158510915, k: 32 });
  assert.equal(requantize(1234, d, 'half-even'), 333);
  // negative ties: −308.5 → −308 (even) / −308 (half up = toward +∞)
  assert.equal(requantize(-1234, dyadicFromRatio(0.25), 'half-even'), -308);
  assert.equal(requantize(-1235, dyadicFromRatio(0.25), 'half-even'), -309);
  assert.equal(requantize(-1234, dyadicFromRatio(0.25), 'half-up'), -308);
  // beyond 2^53 the BigInt path keeps it exact: (2^31 − 1)·2^30 / 2^32 = 536870911.75 → 536870912
  assert.equal(requantize(2 ** 31 - 1, { m: 2 ** 30, k: 32 }, 'half-even'), 536870912);
  assert.equal(requantize(3 * 2 ** 40 + 2, { m: 2 ** 30 + 1, k: 32 }, 'half-even'), Number((BigInt(3 * 2 ** 40 + 2) * BigInt(2 ** 30 + 1) + (1n << 31n)) >> 32n));
  assert.deepEqual(frexp(0.75), { mant: 0.75, exp: 0 });
  assert.throws(() => dyadicFromRatio(0), /positive/);
});

test('I-LayerNorm and its integer square root reproduce spec §2.5/§2.8 exactly', () => {
  const isqrt: [number, number][] = [[1, 64], [100, 64], [12345, 118], [89999, 300], [999999, 1000], [1e6, 1000], [98000000, 9899], [2 ** 31 - 1, 46340], [2 ** 40, 1048576]];
  for (const [v, want] of isqrt) assert.equal(isqrtNewton(v), want, `isqrt(${v})`);
  const r = iLayerNorm([10000, -3000, 7000, 2000], [1, 1, 1, 1], [0, 0, 0, 0]);
  assert.equal(r.mean, 4000);
  assert.equal(r.variance, 98000000);
  assert.equal(r.std, 9899);
  assert.deepEqual(r.out, [650817000, -759286500, 325408500, -216939000]);
  const real = r.out.map((x, i) => x * r.scale[i]);
  [1.212241, -1.414281, 0.606121, -0.404080].forEach((w, i) => assert.ok(Math.abs(real[i] - w) < 5e-7, `${real[i]} vs ${w}`));
  const g = iLayerNorm([10000, -3000, 7000, 2000], [2, 0.5, 1, 1], [0.1, 0, -0.2, 0]);
  const realG = g.out.map((x, i) => x * g.scale[i]);
  [2.524482, -0.707141, 0.406121, -0.404080].forEach((w, i) => assert.ok(Math.abs(realG[i] - w) < 5e-7, `${realG[i]} vs ${w}`));
  // A constant row: variance 0, the code's square root stops at 64, the output is the bias alone.
  const flat = iLayerNorm([5, 5], [1, 1], [0, 0]);
  assert.deepEqual([flat.std, ...flat.out], [64, 0, 0]);
  assert.throws(() => iLayerNorm([1, 2], [1], [0, 0]), /one of each per channel/);
});

test('symmetric int8 quantisation: scale max|R|/127, half-even, per head', () => {
  assert.equal(symmetricScale([-2.54, 1], 8), 0.02);
  assert.equal(roundHalf(2.5, 'half-even'), 2);
  assert.equal(roundHalf(-2.5, 'half-even'), -2);
  assert.equal(roundHalf(2.5, 'half-up'), 3);
  const q = quantizeHeads([1, -0.25, 0.12, 0.2], 2, 2, 8, 'head');
  assert.deepEqual([...q.ints], [127, -32, 76, 127]);
  const t = quantizeHeads([1, -0.25, 0.12, 0.2], 2, 2, 8, 'tensor');
  assert.deepEqual([...t.ints], [127, -32, 15, 25]);
});

function randomInput(seed: number, qHeads: number, kvHeads: number, t: number, d: number, spread: number): AttentionInput {
  const rnd = mulberry(seed);
  const gen = (n: number): Float32Array => Float32Array.from({ length: n }, () => rnd() * spread);
  return { q: gen(qHeads * t * d), k: gen(kvHeads * t * d), v: gen(kvHeads * t * d), qHeads, kvHeads, tq: t, tk: t, headDim: d, headDimV: d, scale: 1 / Math.sqrt(d), mask: { causal: true } };
}

test('I-ViT attention core tracks fp32 softmax and its output is exactly the dequantised P·V', () => {
  const input = randomInput(3, 4, 2, 16, 8, 4);
  const heads = [0, 1, 2, 3];
  const fp = softmaxReference(input, heads);
  const iv = ivitAttention(input, { captureHeads: heads });
  let maxDelta = 0;
  for (const h of heads) for (let x = 0; x < 16 * 16; x++) maxDelta = Math.max(maxDelta, Math.abs(fp.maps[h].weights[x] - iv.maps[h].weights[x]));
  assert.ok(maxDelta < 0.15 && maxDelta > 0, `max |ΔA| ${maxDelta}`);
  // Causal: no weight above the diagonal; row 0 sees one key and gets 127/128 of it.
  for (let i = 0; i < 16; i++) for (let j = i + 1; j < 16; j++) assert.equal(iv.maps[1].weights[i * 16 + j], 0);
  assert.equal(iv.maps[0].weights[0], 127 / 128);
  // Output = Σ_j (O_j / 128) · (V_int · S_v), recomputed from the captured map.
  const vq = quantizeHeads(input.v, 2, 16 * 8, 8, 'tensor');
  const h = 3; const i = 9; const c = 5;
  let want = 0;
  for (let j = 0; j < 16; j++) want += iv.maps[h].weights[i * 16 + j] * vq.ints[(1 * 16 + j) * 8 + c] * vq.scales[1];
  assert.ok(Math.abs(iv.output[(h * 16 + i) * 8 + c] - want) < 1e-5);
  assert.equal(iv.stats.keyQueryCount[0], 16);
  assert.equal(iv.scales.weight, 1 / 128);
});

test('I-ViT pipeline is bit-exact end to end: int8 Q/K, int32 Q·Kᵀ, dyadic requant, Shiftmax, int8 V', () => {
  // q = [1] and k = [127, 61, 5, −61]/127 quantise to 127 and k·127; with the attention scale 0.9 the
  // requantised logits are I = [127, 61, 5, −61] at S = 0.9/127 (x0 = −142). Expected outputs from the
  // spec's own script (shared/spec/vectors/ivit_vectors.py, shiftmax_torch / shiftmax_tvm):
  //   QAT n=15: int8 [53, 35, 23, 14], int16 [13703, 9167, 6055, 3763]; TVM n=16: int8 [53, 35, 23, 14].
  const input: AttentionInput = {
    q: Float32Array.from([1]), k: Float32Array.from([127, 61, 5, -61].map((x) => x / 127)),
    v: Float32Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]),
    qHeads: 1, kvHeads: 1, tq: 1, tk: 4, headDim: 1, headDimV: 4, scale: 0.9, mask: { causal: true },
  };
  const cases: [Parameters<typeof ivitAttention>[1], number[], number][] = [
    [{}, [53, 35, 23, 14], 128],
    [{ outBits: 16 }, [13703, 9167, 6055, 3763], 32768],
    [{ n: 16, convention: 'tvm' }, [53, 35, 23, 14], 128],
    [{ rounding: 'half-up', granularity: 'head' }, [53, 35, 23, 14], 128],
  ];
  for (const [options, ints, unit] of cases) {
    const r = ivitAttention(input, { ...options, captureHeads: [0] });
    // the attention scale enters as float32, as the kernels receive it
    assert.ok(Math.abs(r.scales.logit[0] - Math.fround(0.9) / 127) < 1e-15);
    assert.deepEqual([...r.maps[0].weights], ints.map((x) => Math.fround(x / unit)), JSON.stringify(options));
    // One-hot V: the output is the weight row itself (V_int = 127, S_v = 1/127).
    ints.forEach((x, c) => assert.ok(Math.abs(r.output[c] - x / unit) < 1e-7));
  }
});

test('I-ViT options: per-head scales differ, 16-bit output is finer, softcap is refused', () => {
  const input = randomInput(5, 2, 2, 8, 4, 3);
  const perHead = ivitAttention(input, { granularity: 'head' });
  assert.notEqual(perHead.scales.q[0], perHead.scales.q[1]);
  const fp = softmaxReference(input, [0, 1]);
  const err = (bits: number): number => {
    const r = ivitAttention(input, { outBits: bits, captureHeads: [0, 1] });
    let s = 0;
    for (let h = 0; h < 2; h++) for (let x = 0; x < 64; x++) s += Math.abs(r.maps[h].weights[x] - fp.maps[h].weights[x]);
    return s;
  };
  assert.ok(err(16) < err(8), 'a 16-bit Shiftmax output rounds less');
  assert.throws(() => ivitAttention({ ...input, softcap: 30 }), /softcap/);
});

test('int8 fake-quant path: close to fp32, not equal, and exact on int8-representable inputs', () => {
  const input = randomInput(11, 2, 2, 8, 4, 2);
  const fp = softmaxReference(input);
  const fq = int8FakeQuantAttention(input);
  let d = 0;
  for (let x = 0; x < fp.output.length; x++) d = Math.max(d, Math.abs(fp.output[x] - fq.output[x]));
  assert.ok(d > 0 && d < 0.05, `max |Δo| ${d}`);
  // Inputs that are multiples of max/127 survive quantisation unchanged.
  const exact: AttentionInput = { ...input, q: Float32Array.from(input.q, (x) => Math.round(x * 127) / 127), k: Float32Array.from({ length: input.k.length }, (_, i) => ((i % 255) - 127) / 127), v: Float32Array.from({ length: input.v.length }, (_, i) => (((i * 37) % 255) - 127) / 127) };
  exact.q[0] = 1;
  const a = softmaxReference(exact).output;
  const b = int8FakeQuantAttention(exact).output;
  for (let x = 0; x < a.length; x++) assert.ok(Math.abs(a[x] - b[x]) < 1e-6);
});

test('I-LayerNorm drift: 16-bit residual rows against float LayerNorm, small error that a massive activation inflates', async () => {
  const t = 6;
  const d = 64;
  const row = (i: number, c: number): number => Math.sin(0.7 * i + 0.31 * c) + 0.2 * Math.cos(1.3 * c);
  const plain = Float32Array.from({ length: t * d }, (_, x) => row(Math.floor(x / d), x % d));
  const spiky = Float32Array.from(plain);
  spiky[5] = 3000; // token 0, channel 5: sets the per-tensor scale, so every other row gets few levels
  const kernel = await iLayerNormKernel('js');
  const [a, b] = await iLayerNormDrift([{ boundary: 1, t, d, data: spiky }, { boundary: 0, t, d, data: plain }], kernel);
  assert.deepEqual([a.boundary, b.boundary], [0, 1]);
  assert.equal(a.inputScale, Math.max(...plain.map(Math.abs)) / 32767);
  // plain: S ≈ 3.7e-5 on unit-variance rows; errors of the order of S/σ·√C, far below 1e-2
  assert.ok(a.maxAbsDelta > 0 && a.maxAbsDelta < 2e-3 && a.meanAbsDelta <= a.maxAbsDelta, JSON.stringify(a));
  assert.ok(b.meanAbsDelta > 10 * a.meanAbsDelta, `spike ${b.meanAbsDelta} vs plain ${a.meanAbsDelta}`);
  // the same numbers on the compiled kernels (integer outputs are exact on every backend)
  for (const backend of ['native', 'wasm'] as const) {
    const [x, y] = await iLayerNormDrift([{ boundary: 0, t, d, data: plain }, { boundary: 1, t, d, data: spiky }], await iLayerNormKernel(backend));
    assert.deepEqual([x, y], [a, b], backend);
  }
});
