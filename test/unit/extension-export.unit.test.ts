import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspectionCsv, inspectionJson } from '../../extension/export/serialize';
import type { InspectResult } from '../../runtime/protocol/runtime';
import { tensor } from '../../runtime/protocol/tensor';
import { kernelStatsOf } from '../../runtime/cli/kernel-stats';

// 1 layer × 2 heads × 3 tokens; α[h][k].
const r: InspectResult = {
  tokens: [{ id: 1, text: '<s>', start: 0, end: 0 }, { id: 5, text: 'a,"b"', start: 0, end: 5 }, { id: 6, text: ' c', start: 5, end: 7 }],
  layers: 1, heads: 2, alpha: tensor(Float32Array.from([0.5, 0.25, 0.25, 1, 0, 0]), [1, 2, 3]), sinkScore: tensor(Float32Array.from([1, 0, 0]), [3]),
  variants: ['softmax'], totalMs: 12, kernelMs: 3, ortMs: 8, outputs: null, kernelStats: kernelStatsOf([], []),
};

test('CSV has one row per token with α per layer and head, and quotes text that needs it', () => {
  assert.equal(inspectionCsv(r), [
    'index,id,text,sink_score,alpha_L0h0,alpha_L0h1',
    '0,1,<s>,1,0.5,1',
    '1,5,"a,""b""",0,0.25,0',
    '2,6, c,0,0.25,0',
    '',
  ].join('\n'));
});

test('JSON holds α as [layer][head][token] and every other number', () => {
  const j = JSON.parse(inspectionJson(r, { model: '/m.onnx', variant: 'softmax', backend: 'native', epsilon: 0.3 }));
  assert.deepEqual(j.alpha, [[[0.5, 0.25, 0.25], [1, 0, 0]]]);
  assert.deepEqual(j.sinkScore, [1, 0, 0]);
  assert.deepEqual(j.timings, { totalMs: 12, kernelMs: 3, ortMs: 8 });
  assert.equal(j.tokens[1].text, 'a,"b"');
  assert.equal(j.backend, 'native');
});
