import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hoverLines } from '../../extension/overlay/hoverText';
import { levelOf, OVERLAY_LEVELS, parseIdPrompt, tokenSpans } from '../../extension/overlay/tokenSpans';
import type { InspectResult } from '../../runtime/protocol/runtime';
import { tensor } from '../../runtime/protocol/tensor';
import { kernelStatsOf } from '../../runtime/cli/kernel-stats';

test('overlay levels: 0 is unpainted, (0, 1] maps onto 1..OVERLAY_LEVELS', () => {
  assert.deepEqual([0, NaN, 0.01, 0.2, 0.21, 0.5, 1, 3].map(levelOf), [0, 0, 1, 1, 2, 3, OVERLAY_LEVELS, OVERLAY_LEVELS]);
});

test('id prompts are parsed with their character offsets; text is refused with the position', () => {
  assert.deepEqual(parseIdPrompt(' 12, 7\n99'), { ids: [12, 7, 99], offsets: [[1, 3], [5, 6], [7, 9]] });
  assert.throws(() => parseIdPrompt('12 x 9'), /no tokenizer\.json: select token ids such as "12 7 99" \(found "x" at character 4\)/);
  assert.throws(() => parseIdPrompt(' , '), /holds no token ids/);
});

test('token spans come from the tokenizer offsets or the id offsets, shifted to the document', () => {
  const tokens = [{ id: 1, text: '<s>', start: 0, end: 0 }, { id: 5, text: 'Hi', start: 0, end: 2 }, { id: 6, text: ' there', start: 2, end: 8 }];
  assert.deepEqual(tokenSpans(tokens, 100), [{ index: 1, start: 100, end: 102 }, { index: 2, start: 102, end: 108 }]);
  const ids = [{ id: 12, text: '12', start: null, end: null }, { id: 7, text: '7', start: null, end: null }];
  assert.deepEqual(tokenSpans(ids, 10, [[0, 2], [3, 4]]), [{ index: 0, start: 10, end: 12 }, { index: 1, start: 13, end: 14 }]);
});

test('the hover names the token, its sink score, α per layer and the heads where it is a sink', () => {
  // 2 layers × 2 heads × 3 tokens.
  const alpha = Float32Array.from([0.9, 0.05, 0.05, 0.2, 0.5, 0.3, 0.6, 0.2, 0.2, 0.1, 0.1, 0.8]);
  const r: InspectResult = {
    tokens: [{ id: 1, text: '<s>', start: 0, end: 0 }, { id: 5, text: 'Hi', start: 0, end: 2 }, { id: 6, text: ' x', start: 2, end: 4 }],
    layers: 2, heads: 2, alpha: tensor(alpha, [2, 2, 3]), sinkScore: tensor(Float32Array.from([0.5, 0.25, 0.25]), [3]),
    variants: ['softmax', 'softmax'], totalMs: 1, kernelMs: 1, ortMs: 0, outputs: null, kernelStats: kernelStatsOf([], []),
  };
  assert.deepEqual(hoverLines(r, 0, 0.3), [
    'token #0 · id 1 · "<s>"',
    'sink score 0.500 (share of heads with α > 0.3)',
    'α per layer (mean over heads): L0 0.550 · L1 0.350',
    'sink in 2 heads: L0h0, L1h0',
  ]);
  assert.equal(hoverLines(r, 1, 0.3)[3], 'sink in 1 head: L0h1');
});
