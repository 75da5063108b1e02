// Head ranges of `attnscope profile --head-ranges N`: whole GQA groups per range, views of the right
// heads (each range computed alone gives the same output rows as the full core), and costs that add
// up to the core's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttentionInput } from '../../runtime/kernels/types';
import { referenceBackend } from '../../runtime/kernels/variants';
import { headRanges, sliceHeads, timeHeadRanges } from '../../runtime/profile/headRanges';
import { coreCost } from '../../runtime/profile/cost';

test('ranges hold whole GQA groups and cover every head once', () => {
  assert.deepEqual(headRanges(8, 8, 3), [{ from: 0, to: 2 }, { from: 2, to: 5 }, { from: 5, to: 8 }]);
  assert.deepEqual(headRanges(8, 2, 4), [{ from: 0, to: 4 }, { from: 4, to: 8 }]);
  assert.deepEqual(headRanges(6, 1, 2), [{ from: 0, to: 6 }]);
  assert.deepEqual(headRanges(4, 4, 1), [{ from: 0, to: 4 }]);
});

function gqaInput(): AttentionInput {
  const qHeads = 4;
  const kvHeads = 2;
  const tq = 3;
  const tk = 5;
  const d = 4;
  const r = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed));
  const bias = r(qHeads * tq * tk, 9).map((x, i) => (i % 6 === 1 ? -Infinity : x));
  return {
    q: r(qHeads * tq * d, 1), k: r(kvHeads * tk * d, 2), v: r(kvHeads * tk * d, 3), qHeads, kvHeads, tq, tk, headDim: d, headDimV: d,
    scale: 0.5, mask: { causal: true, bias, biasHeads: qHeads },
  };
}

test('a head range computed alone reproduces those heads of the full core; range costs sum to the core cost', async () => {
  const input = gqaInput();
  const variant = { id: 'softmax' as const, params: {} };
  const full = await referenceBackend.run({ input, variant });
  const rowsPerHead = input.tq * input.headDimV;
  let flops = 0;
  for (const range of headRanges(input.qHeads, input.kvHeads, 2)) {
    const part = await referenceBackend.run({ input: sliceHeads(input, range), variant });
    assert.deepEqual([...part.output], [...full.output.subarray(range.from * rowsPerHead, range.to * rowsPerHead)], `heads ${range.from}-${range.to - 1}`);
    flops += coreCost(input, range).flops;
  }
  assert.equal(flops, coreCost(input).flops);
  const timed = await timeHeadRanges(referenceBackend, input, variant, undefined, 2);
  assert.deepEqual(timed.map((t) => [t.from, t.to]), [[0, 2], [2, 4]]);
  assert.ok(timed.every((t) => t.kernelMs >= 0 && t.callMs >= t.kernelMs - 1e-3 && t.cost.flops > 0));
});
