// Compare, drift and streaming reports from the real runtime process, converted for the panel's tabs
// (Compare, Drift, Streaming): the panel's validators accept them, and each streaming run's loss per token
// averages to its reported loss over the evaluated tokens.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { RuntimeClient } from '../../extension/runtime/client';
import { compareForPanel, driftForPanel, streamForPanel } from '../../extension/panel/analysisViews';
import { compareProblem, driftProblem, streamProblem } from '../../extension/protocol/analyses';
import { fixture, ids, runtimeClient } from './runtime-process';

let c: RuntimeClient;

before(() => { c = runtimeClient(120_000); });
after(() => c.dispose());

test('compare, drift and stream reports reach the panel in the shape its tabs validate', async () => {
  await c.request('loadModel', { path: join(fixture, 'model.onnx') });
  await c.request('inspect', { prompt: { ids }, variant: null, backend: 'js', epsilon: 0.3 });
  const compare = compareForPanel(await c.request('compare', { variantA: 'softmax', variantB: 'sigmoid:b=0', backend: 'js', epsilon: 0.3 }), 'model.onnx');
  assert.equal(compareProblem(compare), null);
  assert.deepEqual([compare.tokens, compare.labels, compare.heads.length], [ids.length, ['softmax', 'sigmoid:b=0'], 8]);
  const drift = driftForPanel(await c.request('drift', { quant: 'ivit', backend: 'js', epsilon: 0.3 }), 'model.onnx');
  assert.equal(driftProblem(drift), null);
  assert.equal(drift.tokens, ids.length);
  assert.equal(drift.heads.length, 2 * 4);
  const stream = streamForPanel(await c.request('stream', { sinks: 2, window: 6, backend: 'js' }), 'model.onnx');
  assert.equal(streamProblem(stream), null);
  assert.equal(stream.tokens, ids.length);
  assert.deepEqual(stream.runs.map((r) => r.label), ['full attention', '2 sinks + 6 window', 'window 6 only']);
  for (const r of stream.runs) {
    const evaluated = r.tokenLoss.slice(stream.evaluatedFrom) as number[];
    assert.ok(evaluated.every((v) => Number.isFinite(v)));
    assert.ok(Math.abs(evaluated.reduce((a, b) => a + b, 0) / evaluated.length - r.loss) < 1e-9, `${r.label}: mean token loss is the run's loss`);
  }
  assert.deepEqual(stream.runs[0].tokenLoss.slice(0, stream.evaluatedFrom), stream.runs[1].tokenLoss.slice(0, stream.evaluatedFrom), 'before the first eviction the runs agree');
  assert.notEqual(streamProblem({ ...stream, runs: [{ ...stream.runs[0], tokenLoss: [] }] }), null, 'an inconsistent report is refused');
});
