// One head's kernel input for the panel: the GQA kv head and the bias slice it reads, the
// validator the panel runs on it, and the variant setting with its parameters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headInput } from '../../runtime/engine/head-input';
import { headInputProblem } from '../../runtime/protocol/headInput';
import { variantLabel, variantSpec } from '../../extension/variantPicks';
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
  assert.deepEqual([...h.bias!.data], [318, 319, 320, 321, 322, 323]);
  assert.equal(headInputProblem(h, tq, tk), null);
  assert.equal(headInputProblem(h, tq + 1, tk), 'input rows are q 2, k 3, v 3 for a 3 × 3 map');
  assert.equal(headInputProblem({ ...h, variant: '' }, tq, tk), 'input.variant must be a variant string');
  assert.match(headInputProblem({ ...h, q: { shape: [2, 2], data: [1, 2, 3, 4] } }, tq, tk) ?? '', /input\.q data is not a float32 typed array/);
  const shared = headInput({ ...input, mask: { causal: false, bias: seq(tq * tk, 0), biasHeads: 1 } }, 2, 'softmax');
  assert.deepEqual([...shared.bias!.data], [0, 1, 2, 3, 4, 5]);
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
