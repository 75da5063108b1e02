// The runtime process serving the real engine to the extension client: a fixture model exported
// by torch/onnx is loaded, inspected and a head recomputed, all over the typed IPC protocol.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RuntimeClient } from '../../extension/runtime/client';
import { keyImportanceFromStats } from '../../runtime/analysis/sinks/keyImportance';
import { SegmentedModel } from '../../runtime/engine/runner';
import type { RpcError } from '../../runtime/protocol/errors';
import { fixture, ids, runtimeClient } from './runtime-process';

const root = join(import.meta.dirname, '..', '..');
let c: RuntimeClient;

before(() => { c = runtimeClient(60_000); });
after(() => c.dispose());

test('before a model is loaded, inspect and headMap say what to do first', async () => {
  await assert.rejects(c.request('inspect', { prompt: { ids }, variant: null, backend: 'js', epsilon: 0.3 }), (e: RpcError) => e.code === 'not-ready' && /no model is loaded/.test(e.message));
  await assert.rejects(c.request('headMap', { layer: 0, head: 0 }), (e: RpcError) => e.code === 'not-ready');
  await assert.rejects(c.request('loadModel', { path: join(fixture, 'missing.onnx') }), (e: RpcError) => e.code === 'model-error' && /missing\.onnx/.test(e.message) && !e.message.includes('\n'));
});

test('loadModel reports the attention cores the detector found', async () => {
  const s = await c.request('loadModel', { path: join(fixture, 'model.onnx') });
  assert.equal(s.name, 'model.onnx');
  assert.deepEqual(s.cores.map((k) => [k.layer, k.kind, k.normalizer]), [[0, 'gqa', 'softmax'], [1, 'gqa', 'softmax']]);
  assert.equal(s.tokenizer, null);
  await assert.rejects(c.request('inspect', { prompt: { text: 'hello' }, variant: null, backend: 'js', epsilon: 0.3 }), (e: RpcError) => e.code === 'not-ready' && /no tokenizer\.json/.test(e.message));
});

test('inspect returns α per layer, head and token exactly as the engine computes it in-process', async () => {
  const r = await c.request('inspect', { prompt: { ids }, variant: null, backend: 'js', epsilon: 0.3 });
  const m = SegmentedModel.open(join(fixture, 'model.onnx'));
  const run = await m.run(ids, { backend: 'js' });
  assert.deepEqual(r.alpha.shape, [run.cores.length, run.cores[0].input.qHeads, ids.length]);
  assert.ok(r.alpha.data instanceof Float32Array && r.sinkScore.data instanceof Float32Array);
  run.cores.forEach((core, l) => {
    const want = keyImportanceFromStats(core.stats, core.input.qHeads, ids.length).alpha;
    const got = r.alpha.data.subarray(l * want.length, (l + 1) * want.length);
    want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) < 1e-6, `layer ${l} entry ${i}: ${got[i]} vs ${w}`));
  });
  assert.deepEqual(r.variants, ['softmax', 'softmax']);
  assert.equal(r.sinkScore.shape[0], ids.length);
  assert.deepEqual(r.tokens, ids.map((id) => ({ id, text: String(id), start: null, end: null })));
  // A causal LM: next-token top-5 and the loss of each predicted token.
  assert.equal(r.outputs?.topK.length, 5);
  assert.equal(r.outputs?.tokenLoss.shape[0], ids.length - 1);
  const losses = [...r.outputs!.tokenLoss.data];
  assert.ok(losses.every((l) => Number.isFinite(l) && l >= 0));
  assert.ok(Math.abs(r.outputs!.loss - losses.reduce((a, b) => a + b, 0) / losses.length) < 1e-6);
  assert.ok([...r.sinkScore.data].every((s) => s >= 0 && s <= 1));
});

test('headMap recomputes one head of the last inspection: causal rows that sum to 1', async () => {
  const h = await c.request('headMap', { layer: 1, head: 2 });
  const [tq, tk] = h.weights.shape;
  assert.deepEqual([tq, tk], [ids.length, ids.length]);
  for (let q = 0; q < tq; q++) {
    let sum = 0;
    for (let k = 0; k < tk; k++) {
      const w = h.weights.data[q * tk + k];
      if (k > q) assert.equal(w, 0, `masked weight at ${q},${k}`);
      sum += w;
    }
    assert.ok(Math.abs(sum - 1) < 1e-5, `row ${q} sums to ${sum}`);
  }
  await assert.rejects(c.request('headMap', { layer: 2, head: 0 }), (e: RpcError) => e.code === 'bad-request' && /has 2 attention cores/.test(e.message));
  await assert.rejects(c.request('headMap', { layer: 0, head: 9 }), (e: RpcError) => e.code === 'bad-request' && /layer 0 has 4 heads/.test(e.message));
});

test('a variant swap re-runs every core with it and changes the numbers', async () => {
  const soft = await c.request('inspect', { prompt: { ids }, variant: null, backend: 'js', epsilon: 0.3 });
  const sig = await c.request('inspect', { prompt: { ids }, variant: { id: 'sigmoid', params: { b: 0 } }, backend: 'js', epsilon: 0.3 });
  assert.deepEqual(sig.variants, ['sigmoid:b=0', 'sigmoid:b=0']);
  assert.notDeepEqual([...sig.alpha.data], [...soft.alpha.data]);
  await assert.rejects(c.request('inspect', { prompt: { ids: [] }, variant: null, backend: 'js', epsilon: 0.3 }), (e: RpcError) => e.code === 'bad-request' && /prompt\.ids must be a non-empty list/.test(e.message));
});

test('describeModel summarizes an .onnx file without replacing the loaded model, or says why it cannot be used', async () => {
  const d = await c.request('describeModel', { path: join(root, 'test/fixtures/models/mha-encoder-contrib/model.onnx') });
  assert.equal(d.problem, null);
  assert.ok(d.opset !== null && d.opset >= 17);
  assert.deepEqual(d.cores.map((k) => [k.layer, k.kind]), [[0, 'mha'], [1, 'mha']]);
  assert.ok(d.inputs.length > 0 && d.outputs.length > 0);
  const dir = mkdtempSync(join(tmpdir(), 'attnscope-'));
  const bad = join(dir, 'truncated.onnx');
  writeFileSync(bad, readFileSync(join(fixture, 'model.onnx')).subarray(0, 200));
  const t = await c.request('describeModel', { path: bad });
  assert.ok(t.problem && !t.problem.includes('\n'), `one-line problem: ${t.problem}`);
  assert.deepEqual(t.cores, []);
  // The inspected model is still the one in use.
  const h = await c.request('headMap', { layer: 0, head: 0 });
  assert.deepEqual(h.weights.shape, [ids.length, ids.length]);
});

test('the analyses run on the last inspected prompt: compare, quantization drift, streaming window', async () => {
  await c.request('loadModel', { path: join(fixture, 'model.onnx') });
  await assert.rejects(c.request('compare', { variantA: 'softmax', variantB: 'sigmoid', backend: 'js', epsilon: 0.3 }), (e: RpcError) => e.code === 'not-ready');
  await c.request('inspect', { prompt: { ids }, variant: null, backend: 'js', epsilon: 0.3 });
  const cmp = await c.request('compare', { variantA: 'softmax', variantB: 'sigmoid:b=0', backend: 'js', epsilon: 0.3 });
  assert.deepEqual(cmp.labels, ['softmax', 'sigmoid:b=0']);
  assert.equal(cmp.heads.length, 2 * 4);
  assert.ok(cmp.heads[0].meanRowDivergence >= cmp.heads[cmp.heads.length - 1].meanRowDivergence, 'ranked, largest first');
  assert.ok(cmp.topK[0].length > 0 && Number.isFinite(cmp.output.deltaLoss));
  const same = await c.request('compare', { variantA: 'softmax', variantB: 'softmax', backend: 'js', epsilon: 0.3 });
  assert.ok(same.heads.every((h) => h.maxAbsDelta === 0), 'a variant against itself moves nothing');
  const drift = await c.request('drift', { quant: 'ivit', backend: 'js', epsilon: 0.3 });
  assert.equal(drift.quant, 'ivit');
  assert.equal(drift.heads.length, 8);
  assert.ok(drift.heads.some((h) => h.maxAbsDelta > 0), 'integer attention differs from fp32 somewhere');
  const stream = await c.request('stream', { sinks: 1, window: 4, backend: 'js' });
  assert.equal(stream.runs.length, 3);
  assert.ok(stream.runs.every((r) => Number.isFinite(r.loss)));
  await assert.rejects(c.request('stream', { sinks: 4, window: 20, backend: 'js' }), (e: RpcError) => e.code === 'bad-request' && /must be shorter than the prompt \(14 tokens\)/.test(e.message));
  await assert.rejects(c.request('compare', { variantA: 'softmax', variantB: 'nope', backend: 'js', epsilon: 0.3 }), (e: RpcError) => e.code === 'bad-request' && /unknown variant "nope"/.test(e.message));
});

test('a text prompt is tokenized by the tokenizer.json beside the demo model, with offsets into the text', async () => {
  const demo = join(root, 'media/models/attnscope-demo-softmax.onnx');
  const s = await c.request('loadModel', { path: demo });
  assert.equal(s.tokenizer, join(root, 'media/models/tokenizer.json'));
  const text = 'function add(a, b) {\n  return a + b;\n}\n';
  const r = await c.request('inspect', { prompt: { text }, variant: null, backend: 'js', epsilon: 0.3 });
  const covered = r.tokens.filter((t) => t.start !== null && t.end !== null && t.end > t.start);
  assert.ok(covered.length >= 5);
  assert.equal(covered.map((t) => text.slice(t.start!, t.end!)).join(''), text, 'the tokens tile the prompt');
  assert.equal(r.alpha.shape[2], r.tokens.length);
  assert.equal(r.layers, s.cores.length);
});
