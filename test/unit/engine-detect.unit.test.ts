// Attention-core detection on graphs built here: the unfused pattern (softmax, sigmoid, softplus-sum;
// causal Where mask, additive bias, GQA repeat), the ONNX Attention op in 3-D and 4-D, and the
// no-attention error that lists what was looked for and the near misses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphIndex } from '../../runtime/model/graph';
import { detectCores } from '../../runtime/model/detect/detect';
import { ModelError } from '../../runtime/model/errors';
import { onnx } from '../../runtime/model/onnx/proto';
import { buildLm, GraphBuilder, weights, type LmOptions } from './engine-graphs';

function detect(o: LmOptions) {
  const { bytes, opset } = buildLm(o);
  const g = new GraphIndex(onnx.ModelProto.decode(bytes).graph!, opset);
  return { g, ...detectCores(g, 'test.onnx') };
}

test('unfused softmax: one core per layer with Q, Kᵀ, V, scale and the causal Where', () => {
  const { cores, g } = detect({ style: 'unfused', layers: 3 });
  assert.equal(cores.length, 3);
  assert.deepEqual(cores.map((c) => c.layer), [0, 1, 2]);
  const c = cores[0];
  assert.equal(c.kind, 'unfused');
  assert.equal(c.normalizer, 'softmax');
  assert.equal(c.k.layout, 'bhdt');
  assert.equal(g.producerOf(c.k.name)?.op_type, 'Transpose');
  assert.ok(Math.abs((c.scale ?? 0) - 1 / Math.sqrt(8)) < 1e-7);
  assert.deepEqual(c.terms.map((t) => t.op), ['div', 'where']);
  assert.equal(c.nodes.length, 5);
});

test('unfused GQA: the K tensor before the Expand repeat is recorded for kv head counting', () => {
  const { cores, g } = detect({ style: 'unfused', heads: 4, kvHeads: 2 });
  assert.equal(cores.length, 2);
  const src = cores[0].kvSource;
  assert.ok(src, 'kvSource found');
  assert.equal(g.producerOf(src!)?.op_type, 'Transpose');
});

test('unfused with an additive bias (ALiBi-like) records an add term', () => {
  const { cores } = detect({ style: 'unfused', bidirectional: true });
  assert.deepEqual(cores[0].terms.map((t) => t.op), ['div', 'add']);
});

test('a Gemma-style softcap cap·tanh(s / cap) becomes the kernel softcap, the mask stays a term', () => {
  const c = detect({ style: 'unfused', softcap: 30 }).cores[0];
  assert.equal(c.softcap, 30);
  assert.deepEqual(c.terms.map((t) => t.op), ['div', 'where']);
  assert.equal(c.nodes.length, 8, 'MatMul, Div, Div, Tanh, Mul, Where, Softmax, MatMul');
});

test('sigmoid and softplus-sum normalizers are found in the softmax slot', () => {
  assert.equal(detect({ style: 'unfused', normalizer: 'sigmoid' }).cores[0].normalizer, 'sigmoid');
  const sp = detect({ style: 'unfused', normalizer: 'softplus-sum' });
  assert.equal(sp.cores.length, 2);
  assert.equal(sp.cores[0].normalizer, 'softplus-sum');
  assert.equal(sp.cores[0].nodes.length, 7, 'MatMul, Div, Where, Softplus, ReduceSum, Div, MatMul');
});

test('the ONNX Attention op, 4-D and 3-D, with its attributes', () => {
  const four = detect({ style: 'attention-op-4d', kvHeads: 2 }).cores;
  assert.equal(four.length, 2);
  assert.equal(four[0].kind, 'attention-op');
  assert.equal(four[0].causal, true);
  assert.equal(four[0].q.layout, 'bhtd');
  const three = detect({ style: 'attention-op-3d', heads: 4, kvHeads: 2 }).cores;
  assert.equal(three[0].q.layout, 'packed');
  assert.equal(three[0].qHeads, 4);
  assert.equal(three[0].kvHeads, 2);
});

test('SiLU sigmoids are not attention and are not listed as near misses', () => {
  const b = new GraphBuilder();
  const x = b.input('x', onnx.TensorProto.DataType.FLOAT, [1, 4, 8]);
  const h = b.node('MatMul', [x, b.init('w', [8, 8], weights(64, 1))]);
  b.output(b.node('Mul', [h, b.node('Sigmoid', [h])]));
  const g = new GraphIndex(onnx.ModelProto.decode(b.encode(17)).graph!, 17);
  assert.throws(() => detectCores(g, 'mlp.onnx'), (err: unknown) => {
    assert.ok(err instanceof ModelError);
    assert.equal(err.code, 'no-attention');
    assert.match(err.message, /no attention core found in mlp\.onnx\. Looked for: MatMul\(Q, Kᵀ\)/);
    assert.match(err.message, /no Softmax, Sigmoid-over-scores or Attention node/);
    return true;
  });
});

test('a Softmax that is not attention is listed with the reason', () => {
  const b = new GraphBuilder();
  const x = b.input('x', onnx.TensorProto.DataType.FLOAT, [1, 4, 8]);
  const logits = b.node('MatMul', [x, b.init('w', [8, 8], weights(64, 1))]);
  b.output(b.node('Softmax', [logits], [{ name: 'axis', i: -1 }]));
  const g = new GraphIndex(onnx.ModelProto.decode(b.encode(17)).graph!, 17);
  assert.throws(() => detectCores(g, 'classifier.onnx'), (err: unknown) => {
    assert.ok(err instanceof ModelError);
    assert.match(err.message, /nodes that did not match: Softmax_1 \(Softmax\): Softmax output does not feed a MatMul with V/);
    assert.ok(!err.message.includes('\n'));
    return true;
  });
});
