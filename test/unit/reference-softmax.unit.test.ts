import { test } from 'node:test';
import assert from 'node:assert/strict';
import { softmaxReference } from '../../runtime/kernels/reference/softmax';
import type { AttentionInput } from '../../runtime/kernels/types';

/** One head, one query, d = 1, q = 1 and k = the spec row so that the logits are s (spec §1.5). */
function rowInput(s: number[], causal = false): AttentionInput {
  const tk = s.length;
  return {
    q: Float32Array.from([1]), k: Float32Array.from(s), v: Float32Array.from([1, 2, 3, 4].slice(0, tk)),
    qHeads: 1, kvHeads: 1, tq: 1, tk, headDim: 1, headDimV: 1, scale: 1, mask: { causal },
  };
}

test('softmax reference reproduces the spec row (§1.5, §7)', () => {
  const r = softmaxReference(rowInput([2, 1, 0.1, -1]), [0]);
  const want = [0.638066, 0.234731, 0.095435, 0.031767];
  want.forEach((w, j) => assert.ok(Math.abs(r.maps[0].weights[j] - w) < 1e-6, `w${j}`));
  assert.ok(Math.abs(r.output[0] - 1.520903) < 1e-5);
});

test('a fully masked row outputs 0 and a NaN row is reported', () => {
  const input = rowInput([2, 1, 0.1, -1]);
  input.mask.bias = Float32Array.from([-Infinity, -Infinity, -Infinity, -Infinity]);
  assert.equal(softmaxReference(input).output[0], 0);
  const nan = rowInput([2, NaN, 0.1, -1]);
  const r = softmaxReference(nan);
  assert.deepEqual(r.stats.invalidRows, [0]);
  assert.equal(r.output[0], 0);
});
