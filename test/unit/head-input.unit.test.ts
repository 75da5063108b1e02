// One head's kernel input for the panel: the GQA kv head and the bias slice it reads, the
// validator the panel runs on it, and the variant setting with its parameters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headInput } from '../../runtime/engine/head-input';
import { headInputProblem } from '../../runtime/protocol/headInput';
import { expandBias, isRelativeBias, relativeBias } from '../../runtime/protocol/relativeBias';
import { variantLabel, variantSpec } from '../../extension/variantPicks';
import { headWeights } from '../../webview/headKernels';
import { referenceBackend } from '../../runtime/kernels/variants';
import type { AttentionInput } from '../../runtime/kernels/types';

const seq = (n: number, base: number): Float32Array => Float32Array.from({ length: n }, (_, i) => base + i);

test('headInput slices query head h, kv head h / (qHeads / kvHeads) and the per-head bias', () => {
  const [qHeads, kvHeads, tq, tk, d, dv] = [4, 2, 2, 3, 2, 1];
  const input: AttentionInput = {
    q: seq(qHeads * tq * d, 0), k: seq(kvHeads * tk * d, 100), v: seq(kvHeads * tk * dv, 200),
    qHeads, kvHeads, tq, tk, headDim: d, headDimV: dv, scale: 0.5, softcap: 0,
    mask: { causal: true, bias: seq(qHeads * tq * tk, 300), biasHeads: qHeads },
  };
  const h = headInput(input, 3, 'sigmoid:b=0');
  assert.deepEqual([...h.q.data], [12, 13, 14, 15]);
  assert.deepEqual(h.k.shape, [3, 2]);
  assert.deepEqual([...h.k.data], [106, 107, 108, 109, 110, 111]);
  assert.deepEqual([...h.v.data], [203, 204, 205]);
  assert.ok(h.bias && !isRelativeBias(h.bias)); // 318 + 3 i + j is not a function of j - i: the matrix
  assert.deepEqual([...h.bias.data], [318, 319, 320, 321, 322, 323]);
  assert.equal(headInputProblem(h, tq, tk), null);
  assert.equal(headInputProblem(h, tq + 1, tk), 'input rows are q 2, k 3, v 3 for a 3 × 3 map');
  assert.equal(headInputProblem({ ...h, variant: '' }, tq, tk), 'input.variant must be a variant string');
  assert.match(headInputProblem({ ...h, q: { shape: [2, 2], data: [1, 2, 3, 4] } }, tq, tk) ?? '', /input\.q data is not a float32 typed array/);
  const shared = headInput({ ...input, mask: { causal: false, bias: Float32Array.of(1, 2, 3, 0, 1, 2), biasHeads: 1 } }, 2, 'softmax');
  assert.ok(shared.bias && isRelativeBias(shared.bias)); // 1 + j - i: by key offset
  assert.deepEqual([...expandBias(shared.bias, tq, tk)], [1, 2, 3, 0, 1, 2]);
  assert.equal(headInputProblem(shared, tq, tk), null);
  assert.equal(headInput({ ...input, mask: { causal: true } }, 0, 'softmax').bias, null);
});

test('the variant setting with its parameters: parsed by the registry, one-line errors', () => {
  assert.equal(variantSpec('model', 'b=0'), null);
  assert.deepEqual(variantSpec('sigmoid', ''), { id: 'sigmoid', params: {} });
  assert.deepEqual(variantSpec('sigmoid', ' b=0 '), { id: 'sigmoid', params: { b: 0 } });
  assert.deepEqual(variantSpec('lssar', 'p=2'), { id: 'lssar', params: { p: 2, warm: 3 } });
  assert.throws(() => variantSpec('sigmoid', 'p=2'), /^Error: Variant parameters: variant sigmoid has no parameter "p"; its parameters: b\.$/);
  assert.equal(variantLabel('sigmoid', ''), 'sigmoid');
  assert.equal(variantLabel('sigmoid', 'b=0'), 'sigmoid:b=0');
  assert.equal(variantLabel('model', 'b=0'), 'model');
});

/** An ALiBi head's bias: slope · (j − i) on the keys a causal row sees, `hidden` + i above the diagonal. */
function alibi(t: number, slope: number, hidden: number): Float32Array {
  const b = new Float32Array(t * t);
  for (let i = 0; i < t; i++) for (let j = 0; j < t; j++) b[i * t + j] = j <= i ? slope * (j - i) : hidden + i;
  return b;
}

test('relativeBias: ALiBi (any slope, or BLOOM\'s form) and key padding go by offset and key, bit for bit on every visible key', () => {
  const t = 64;
  for (const slope of [2 ** -1, 2 ** -0.5, 0.3]) { // ALiBi's slopes for 12 heads include 2^-0.5 ...
    const b = alibi(t, slope, 12345); // the values above the diagonal are hidden by the causal mask: never compared
    const r = relativeBias(b, t, t, true)!;
    assert.deepEqual([r.byOffset.shape, r.byKey.shape], [[2 * t - 1], [t]]);
    const e = expandBias(r, t, t);
    for (let i = 0; i < t; i++) for (let j = 0; j <= i; j++) assert.equal(e[i * t + j], b[i * t + j], `slope ${slope} (${i}, ${j})`);
    assert.equal(relativeBias(b, t, t, false), null); // without the mask the hidden values count
  }
  // right padding (the last 3 keys -inf in every row) with ALiBi, no causal mask; then left padding
  const pad = new Float32Array(t * t);
  for (let i = 0; i < t; i++) for (let j = 0; j < t; j++) pad[i * t + j] = j >= t - 3 ? -Infinity : 0.3 * (j - i);
  assert.deepEqual([...expandBias(relativeBias(pad, t, t, false)!, t, t)].map(String), [...pad].map(String));
  const left = pad.map((_, x) => (x % t < 2 ? -Infinity : 0.3 * ((x % t) - Math.floor(x / t))));
  const lr = relativeBias(left, t, t, false)!;
  assert.deepEqual([...lr.byKey.data.subarray(0, 4)], [-Infinity, -Infinity, 0, 0]);
  assert.deepEqual([...expandBias(lr, t, t)].map(String), [...left].map(String));
  // BLOOM's ALiBi: slope · j (softmax ignores a term by row), the causal mask as -inf in the bias
  const bloom = new Float32Array(t * t);
  for (let i = 0; i < t; i++) for (let j = 0; j < t; j++) bloom[i * t + j] = j <= i ? 0.3 * j : -Infinity;
  assert.deepEqual([...expandBias(relativeBias(bloom, t, t, false)!, t, t)].map(String), [...bloom].map(String));
  // no such bias: one entry off, a NaN, a key at -inf in one row only: kept whole
  const noisy = alibi(t, 0.5, 0);
  noisy[5 * t + 2] += 1e-3;
  assert.equal(relativeBias(noisy, t, t, true), null);
  noisy[5 * t + 2] = NaN;
  assert.equal(relativeBias(noisy, t, t, true), null);
  const once = alibi(t, 0.5, 0);
  once[(t - 1) * t + 3] = -Infinity;
  assert.equal(relativeBias(once, t, t, true), null);
  // fewer queries than keys (a continued prompt): row i sees keys up to i + tk - tq
  const [tq, tk] = [4, 9];
  const cont = new Float32Array(tq * tk);
  for (let i = 0; i < tq; i++) for (let j = 0; j < tk; j++) cont[i * tk + j] = j <= i + tk - tq ? 0.3 * (j - i - (tk - tq)) : 7;
  const ec = expandBias(relativeBias(cont, tq, tk, true)!, tq, tk);
  for (let i = 0; i < tq; i++) for (let j = 0; j <= i + tk - tq; j++) assert.equal(ec[i * tk + j], cont[i * tk + j]);
});

test('headInputProblem checks a bias by offset and key: float32 [tq + tk - 1] and [tk]', () => {
  const [tq, tk] = [2, 3];
  const base = headInput({
    q: seq(tq * 2, 0), k: seq(tk * 2, 0), v: seq(tk, 0), qHeads: 1, kvHeads: 1, tq, tk, headDim: 2, headDimV: 1, scale: 1,
    mask: { causal: true, bias: Float32Array.of(0, 9, 9, -1, 0, 9), biasHeads: 1 },
  }, 0, 'softmax');
  assert.ok(base.bias && isRelativeBias(base.bias));
  assert.equal(headInputProblem(base, tq, tk), null);
  const byOffset = { shape: [tq + tk], data: new Float32Array(tq + tk) };
  assert.equal(headInputProblem({ ...base, bias: { ...base.bias, byOffset } }, tq, tk), 'input.bias has 5 offsets and 3 keys, expected 4 and 3');
  assert.match(headInputProblem({ ...base, bias: { ...base.bias, byKey: { shape: [tk], data: new Uint8Array(tk) } } }, tq, tk) ?? '', /^input\.bias\.byOffset or \.byKey data is not a float32 typed array/);
});

test('the panel recomputes a head the same from a bias by offset and key as from its matrix', async () => {
  const [tq, tk, d] = [24, 24, 8];
  const q = Float32Array.from({ length: tq * d }, (_, i) => Math.sin(i * 0.7));
  const k = Float32Array.from({ length: tk * d }, (_, i) => Math.cos(i * 0.3));
  const v = Float32Array.from({ length: tk * 4 }, (_, i) => Math.sin(i * 0.11));
  const bias = new Float32Array(tq * tk);
  for (let i = 0; i < tq; i++) for (let j = 0; j < tk; j++) bias[i * tk + j] = j < 2 ? -Infinity : 2 ** -0.5 * (j - i);
  const input: AttentionInput = { q, k, v, qHeads: 1, kvHeads: 1, tq, tk, headDim: d, headDimV: 4, scale: 0.35, mask: { causal: true, bias, biasHeads: 1 } };
  const relative = headInput(input, 0, 'sigmoid:b=0');
  assert.ok(relative.bias && isRelativeBias(relative.bias));
  const whole = { ...relative, bias: { shape: [tq, tk], data: bias } };
  for (const variant of ['softmax', 'sigmoid:b=0']) {
    assert.deepEqual(await headWeights(referenceBackend, relative, 0, variant), await headWeights(referenceBackend, whole, 0, variant));
  }
});

test('relativeBias keeps a bias with +inf or NaN whole', () => {
  const b = new Float32Array(16);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) b[i * 4 + j] = 0.5 * (j - i);
  assert.ok(relativeBias(b, 4, 4, false));
  for (const x of [Infinity, NaN]) {
    const c = b.slice();
    for (let i = 0; i < 4; i++) c[i * 4 + i] = x; // the whole diagonal: one offset, the same value
    assert.equal(relativeBias(c, 4, 4, false), null, String(x));
  }
});
