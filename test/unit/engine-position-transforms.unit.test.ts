// The position transforms the engine applies for fused ops: rotary embedding (GroupQueryAttention
// do_rotary, half-split and interleaved pairs) and com.microsoft Attention's QKV projection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { applyRotary, projectQkv, tokenPositions } from '../../runtime/engine/position-transforms';
import { ModelError } from '../../runtime/model/errors';

const caches = (rows: number, half: number): [ort.Tensor, ort.Tensor] => {
  const cos = new Float32Array(rows * half);
  const sin = new Float32Array(rows * half);
  for (let p = 0; p < rows; p++) for (let j = 0; j < half; j++) {
    const angle = p / 10000 ** ((2 * j) / (2 * half));
    cos[p * half + j] = Math.cos(angle);
    sin[p * half + j] = Math.sin(angle);
  }
  return [new ort.Tensor('float32', cos, [rows, half]), new ort.Tensor('float32', sin, [rows, half])];
};

test('rotary rotates each pair by its position angle (half-split and interleaved), position 0 is identity', () => {
  const [cos, sin] = caches(8, 2);
  for (const interleaved of [false, true]) {
    const x = { data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), heads: 1, t: 2, d: 5 };
    applyRotary(x, cos, sin, [0, 3], interleaved, 'test');
    assert.deepEqual(Array.from(x.data.subarray(0, 5)), [1, 2, 3, 4, 5], 'position 0 unchanged');
    const pairs = interleaved ? [[5, 6], [7, 8]] : [[5, 7], [6, 8]];
    pairs.forEach(([a, b], j) => {
      const angle = 3 / 10000 ** ((2 * j) / 4);
      const x1 = a + 1;
      const x2 = b + 1;
      assert.ok(Math.abs(x.data[a] - (x1 * Math.cos(angle) - x2 * Math.sin(angle))) < 1e-5);
      assert.ok(Math.abs(x.data[b] - (x2 * Math.cos(angle) + x1 * Math.sin(angle))) < 1e-5);
    });
    assert.equal(x.data[9], 10, 'dims beyond the rotary width are left alone');
  }
});

test('rotary positions come from position_ids when given, and past the cache is an error', () => {
  assert.deepEqual(Array.from(tokenPositions(3)), [0, 1, 2]);
  assert.deepEqual(Array.from(tokenPositions(2, new ort.Tensor('int64', BigInt64Array.from([4n, 5n]), [1, 2]))), [4, 5]);
  const [cos, sin] = caches(2, 1);
  const x = { data: new Float32Array(6), heads: 1, t: 3, d: 2 };
  assert.throws(() => applyRotary(x, cos, sin, [0, 1, 2], false, 'layer 0'), (e: unknown) => e instanceof ModelError && /position 2 is beyond the rotary cache of 2 positions/.test(e.message));
});

test('the QKV projection is input·weights + bias split into Q, K, V', () => {
  const input = new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4]), [1, 2, 2]);
  const weights = new ort.Tensor('float32', Float32Array.from([1, 0, 2, 1, 0, 1, 0, 1, 3, 0, 1, 2]), [2, 6]);
  const bias = new ort.Tensor('float32', Float32Array.from([0.5, 0, 0, 0, 0, -1]), [6]);
  const [q, k, v] = projectQkv(input, weights, bias, [], 'test');
  // row 0 = [1, 2]·W = [1, 2, 8, 1, 2, 5]; row 1 = [3, 4]·W = [3, 4, 18, 3, 4, 11]
  assert.deepEqual(Array.from(q.data as Float32Array), [1.5, 2, 3.5, 4]);
  assert.deepEqual(Array.from(k.data as Float32Array), [8, 1, 18, 3]);
  assert.deepEqual(Array.from(v.data as Float32Array), [2, 4, 4, 10]);
  assert.deepEqual(q.dims, [1, 2, 2]);
  const [q2, , v2] = projectQkv(input, weights, undefined, [2, 2, 2], 'test');
  assert.deepEqual(Array.from(q2.data as Float32Array), [1, 2, 3, 4]);
  assert.deepEqual(Array.from(v2.data as Float32Array), [2, 5, 4, 11]);
  assert.throws(() => projectQkv(input, weights, undefined, [2, 2, 3], 'layer 1'), /qkv sizes \[2,2,3\] do not add up to 6/);
});
