// The head view's level-of-detail pyramid: every level is the 2 × 2 max-pool of the one before
// (odd edges pool what they have), and the signed pyramid of a difference map keeps the value of
// largest magnitude with its sign.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPyramid, levelFor } from '../../webview/views/mipmap';

function naive(data: Float32Array, rows: number, cols: number, signed: boolean): Float32Array {
  const r2 = Math.ceil(rows / 2);
  const c2 = Math.ceil(cols / 2);
  const out = new Float32Array(r2 * c2);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = data[r * cols + c];
      const o = (r >> 1) * c2 + (c >> 1);
      if (signed ? Math.abs(v) > Math.abs(out[o]) : v > out[o]) out[o] = v;
    }
  }
  return out;
}

test('pyramid levels are 2 × 2 max-pools, odd sizes included, down to 64', () => {
  let seed = 7;
  const rand = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  for (const [rows, cols] of [[300, 301], [129, 64], [65, 1000]]) {
    for (const signed of [false, true]) {
      const w = Float32Array.from({ length: rows * cols }, () => (signed ? rand() - 0.5 : rand()));
      const levels = buildPyramid(w, rows, cols, 64, signed);
      for (let i = 1; i < levels.length; i++) {
        const prev = levels[i - 1];
        assert.deepEqual(levels[i].data, naive(prev.data, prev.rows, prev.cols, signed), `level ${i} of ${rows} × ${cols}${signed ? ', signed' : ''}`);
      }
      const last = levels[levels.length - 1];
      assert.ok(last.rows <= 64 && last.cols <= 64);
    }
  }
  assert.deepEqual([...buildPyramid(Float32Array.from([0.1, -3, 0.2, 0.05]), 2, 2, 1, true)[1].data], [-3]);
  assert.deepEqual([...buildPyramid(Float32Array.from([0.1, NaN, 0.2, 0.05]), 2, 2, 1)[1].data], [Math.fround(0.2)]);
  assert.equal(levelFor(1, 6), 0);
  assert.equal(levelFor(4096 / 768, 7), 2);
});
