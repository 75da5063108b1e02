import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rowDivergence, softmaxRow } from '../../runtime/analysis/drift/rowDivergence';
import { headDrift, rankHeadDrift, tokenDrift, type HeadMap } from '../../runtime/analysis/drift/headDrift';
import { outputDrift, tokenLoss } from '../../runtime/analysis/drift/outputDrift';
import { topK } from '../../runtime/analysis/compare/topK';
import { compareRuns } from '../../runtime/analysis/compare/compareRuns';
import { keyImportanceFromCausalMaps } from '../../runtime/analysis/sinks/keyImportance';

const H1 = [[1, 0, 0, 0], [0.7, 0.3, 0, 0], [0.6, 0.2, 0.2, 0], [0.5, 0.1, 0.1, 0.3]];
const H2 = [[1, 0, 0, 0], [0.1, 0.9, 0, 0], [0, 0.1, 0.9, 0], [0, 0.1, 0.1, 0.8]];
const map = (layer: number, head: number, rows: number[][]): HeadMap => ({ layer, head, tq: 4, tk: 4, weights: rows.flat() });

test('row KL and JS: known values, renormalisation, zero-floor, symmetry of JS', () => {
  const p = [0.5, 0.5];
  const q = [0.25, 0.75];
  const kl = 0.5 * Math.log(0.5 / 0.25) + 0.5 * Math.log(0.5 / 0.75);
  assert.ok(Math.abs(rowDivergence(p, q, 'kl') - kl) < 1e-15);
  assert.ok(Math.abs(rowDivergence([1, 1], [1, 3], 'kl') - kl) < 1e-15, 'rows are renormalised');
  assert.equal(rowDivergence(p, p, 'kl'), 0);
  assert.ok(Math.abs(rowDivergence(p, q, 'js') - rowDivergence(q, p, 'js')) < 1e-15);
  assert.ok(Math.abs(rowDivergence([1, 0], [0, 1], 'js') - Math.log(2)) < 1e-15, 'JS is bounded by ln 2');
  assert.ok(rowDivergence([0.5, 0.5], [1, 0], 'kl') > 10, 'a weight rounded to 0 gives a large, finite KL');
  const s = softmaxRow([2, 1, 0.1, -1]);
  [0.638066, 0.234731, 0.095435, 0.031767].forEach((w, j) => assert.ok(Math.abs(s[j] - w) < 1e-6));
});

test('head drift: identical maps are 0; H1 vs H2 gives max |ΔA|, Δα₁ and per-token Δα', () => {
  const same = headDrift(map(0, 0, H1), map(0, 0, H1));
  assert.equal(same.meanRowDivergence, 0);
  assert.equal(same.maxAbsDelta, 0);
  const d = headDrift(map(0, 0, H1), map(0, 0, H2), 'js');
  assert.ok(Math.abs(d.maxAbsDelta - 0.7) < 1e-12); // row 2, key 2 (0-based): 0.2 vs 0.9
  assert.ok(Math.abs(d.deltaSinkAlpha - (0.275 - 0.7)) < 1e-12);
  const want = [0.275 - 0.7, 0.36666666666666664 - 0.2, 0.5 - 0.15, 0.8 - 0.3];
  want.forEach((x, j) => assert.ok(Math.abs(d.deltaAlpha[j] - x) < 1e-12, `Δα${j}`));
  assert.ok(d.meanRowDivergence > 0 && d.meanRowDivergence === d.meanRowJs && d.meanRowKl > d.meanRowJs);
  assert.throws(() => headDrift(map(0, 0, H1), { ...map(0, 0, H1), tq: 2, tk: 8 }), /differ in shape/);
});

test('proxy maps (weights that do not sum to 1) are compared row-normalised, as spec §1.1', () => {
  const doubled = { ...map(0, 0, H2.map((r) => r.map((w) => 2 * w))), proxy: true };
  const d = headDrift(map(0, 0, H2), doubled, 'kl');
  assert.ok(d.meanRowDivergence < 1e-15 && d.maxAbsDelta < 1e-15 && Math.abs(d.deltaSinkAlpha) < 1e-15);
  const raw = headDrift(map(0, 0, H2), { ...doubled, proxy: false }, 'kl');
  assert.ok(raw.maxAbsDelta > 0.5, 'without the proxy the raw weights differ');
});

test('heads are ranked by divergence and per-token drift averages heads', () => {
  const a = [map(0, 0, H1), map(0, 1, H1), map(1, 0, H1)];
  const b = [map(0, 0, H1), map(0, 1, H2), map(1, 0, H1)];
  const ranked = rankHeadDrift(a, b);
  assert.deepEqual([ranked[0].layer, ranked[0].head], [0, 1]);
  assert.equal(ranked[1].meanRowDivergence, 0);
  const tok = tokenDrift(ranked);
  assert.ok(Math.abs(tok[0] - (0.275 - 0.7) / 3) < 1e-12);
  assert.throws(() => rankHeadDrift(a, b.slice(1)), /no map for layer 0 head 0/);
});

test('output drift: loss, Δ loss, top-1 agreement and logit drift on hand-made logits', () => {
  const ids = [0, 1, 2];
  const a = { t: 3, vocab: 3, logits: [0, 5, 0, 0, 0, 5, 5, 0, 0] };
  const b = { t: 3, vocab: 3, logits: [0, 5, 0, 5, 0, 0, 5, 0, 0] };
  const la = tokenLoss(a, ids);
  const ce = -Math.log(Math.exp(5) / (Math.exp(5) + 2));
  assert.ok(Math.abs(la[0] - ce) < 1e-12 && Math.abs(la[1] - ce) < 1e-12);
  const d = outputDrift(a, b, ids);
  assert.ok(Math.abs(d.top1Agreement - 2 / 3) < 1e-12);
  assert.equal(d.maxAbsDeltaLogit, 5);
  assert.ok(Math.abs(d.meanAbsDeltaLogit - 10 / 9) < 1e-12);
  assert.ok(d.deltaLoss > 0 && d.deltaTokenLoss[0] === 0 && d.deltaTokenLoss[1] > 2);
  assert.ok(d.meanNextTokenKl > 0);
  assert.throws(() => tokenLoss(a, [0, 1]), /3 logit rows/);
  assert.throws(() => tokenLoss(a, [0, 7, 1]), /outside the vocabulary/);
});

test('top-k and a full two-run comparison with the change in sink rate', () => {
  const logits = { t: 1, vocab: 4, logits: [2, 1, 0.1, -1] };
  const top = topK(logits, 2);
  assert.deepEqual(top.map((x) => x.id), [0, 1]);
  assert.ok(Math.abs(top[0].prob - 0.638066) < 1e-6);
  const a = { label: 'softmax', maps: [map(0, 0, H1), map(0, 1, H2)], importance: [keyImportanceFromCausalMaps([H1, H2])], logits: { t: 4, vocab: 4, logits: Array(16).fill(0) } };
  const b = { label: 'sigmoid', maps: [map(0, 0, H2), map(0, 1, H2)], importance: [keyImportanceFromCausalMaps([H2, H2], true)], logits: { t: 4, vocab: 4, logits: Array(16).fill(0) } };
  const c = compareRuns(a, b, [0, 1, 2, 3]);
  assert.deepEqual(c.labels, ['softmax', 'sigmoid']);
  assert.deepEqual(c.sinkRate, [0.5, 0]);
  assert.equal(c.deltaSinkRate, -0.5);
  assert.equal(c.proxy, true);
  assert.deepEqual([c.heads[0].head, c.heads[1].head], [0, 1]);
  assert.equal(c.output.deltaLoss, 0);
});
