import { test } from 'node:test';
import assert from 'node:assert/strict';
import { directValues, driftValues, queryValues } from '../../extension/overlay/metricValues';
import { panelHostEventValidators } from '../../extension/protocol/panel';
import type { InspectResult } from '../../runtime/protocol/runtime';
import { tensor } from '../../runtime/protocol/tensor';
import { kernelStatsOf } from '../../runtime/cli/kernel-stats';

// 1 layer × 2 heads × 3 tokens.
const r: InspectResult = {
  tokens: [{ id: 1, text: 'a', start: 0, end: 1 }, { id: 2, text: 'b', start: 1, end: 2 }, { id: 3, text: 'c', start: 2, end: 3 }],
  layers: 1, heads: 2, alpha: tensor(Float32Array.from([0.9, 0.1, 0.2, 0.3, 0.6, 0.7]), [1, 2, 3]), sinkScore: tensor(Float32Array.from([0.5, 0, 0]), [3]),
  variants: ['softmax'], totalMs: 1, kernelMs: 1, ortMs: 0, outputs: null, kernelStats: kernelStatsOf([], []),
};

test('the overlay shows the sink score, or α of the head the panel picked', () => {
  assert.deepEqual([...directValues(r, { metric: 'sink' })!.values], [0.5, 0, 0]);
  const a = directValues(r, { metric: 'alpha', layer: 0, head: 1 })!;
  assert.deepEqual([...a.values].map((x) => x.toFixed(1)), ['0.3', '0.6', '0.7']);
  assert.equal(a.label, 'α in layer 0 head 1');
  assert.equal(directValues(r, { metric: 'query', layer: 0, head: 0, query: 2 }), null);
  assert.throws(() => directValues(r, { metric: 'alpha', layer: 1, head: 0 }), /not in this inspection \(1 layers × 2 heads\)/);
});

test('attention from a query token is its row of the head map, keys it cannot see at 0', () => {
  const w = Float32Array.from([1, 0, 0, 0.5, 0.5, 0, 0.2, 0.3, 0.5]);
  assert.deepEqual([...queryValues(w, 3, 3, { metric: 'query', layer: 0, head: 0, query: 1 }).values], [0.5, 0.5, 0]);
  assert.throws(() => queryValues(w, 3, 3, { metric: 'query', layer: 0, head: 0, query: 3 }), /token 3 is not a query of this map/);
});

test('setMetric from the panel is validated', () => {
  const v = panelHostEventValidators.setMetric;
  assert.equal(v({ metric: 'sink' }), null);
  assert.equal(v({ metric: 'query', layer: 0, head: 1, query: 4 }), null);
  assert.equal(v({ metric: 'alpha', layer: 0 }), 'alpha needs layer and head');
  assert.equal(v({ metric: 'query', layer: 0, head: 1 }), 'query needs the query token index');
  assert.equal(v({ metric: 'drift' }), null);
  assert.equal(v({ metric: 'loss' }), 'metric must be sink, drift, alpha or query');
});

test('drift values: |Δ attention received| scaled by the largest, the label keeps the scale', () => {
  const d = driftValues(Float32Array.from([0.02, -0.04, 0, 0.01]), 'ivit vs fp32');
  assert.deepEqual([...d.values], [0.5, 1, 0, 0.25]);
  assert.equal(d.label, 'drift (ivit vs fp32, relative to the largest 0.0400)');
  assert.deepEqual([...driftValues(new Float32Array(3), 'x').values], [0, 0, 0]);
});
