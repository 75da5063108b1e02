// Spec §4.1: FlashDecoding++ asynchronized softmax, φ = 6, guard (−3, 3) strict, splits of 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rowInput, run } from '../unit/variants-fixtures';

const v = [1, 2, 3, 4];
const fdpp = 'unified-max:phi=6,ag=-3,bg=3,split=2';

test('x = [4,5,6,7] stays in the guard: async result = exact softmax·v = 3.492653', async () => {
  const r = await run(rowInput([4, 5, 6, 7], v), fdpp);
  assert.ok(Math.abs(r.output[0] - 3.492653) <= 1e-5, `${r.output[0]}`);
  assert.equal(r.stats.recomputedRows, 0);
});

test('y = [3,6,9,6] leaves the strict guard (y1 − φ = −3): recomputed, exact 2.995502', async () => {
  const r = await run(rowInput([3, 6, 9, 6], v), fdpp);
  assert.ok(Math.abs(r.output[0] - 2.995502) <= 1e-5, `${r.output[0]}`);
  assert.equal(r.stats.recomputedRows, 1);
});

test("y' = [3.5,6,8.5,6] stays inside: async 2.988491 with no recompute", async () => {
  const r = await run(rowInput([3.5, 6, 8.5, 6], v), fdpp);
  assert.ok(Math.abs(r.output[0] - 2.988491) <= 1e-5, `${r.output[0]}`);
  assert.equal(r.stats.recomputedRows, 0);
});

test('a φ whose e^{x−φ} overflows float32 is caught by the default guard and recomputed', async () => {
  const r = await run(rowInput([4, 5, 6, 7], v), 'unified-max:phi=-100');
  assert.equal(r.stats.recomputedRows, 1);
  assert.ok(Math.abs(r.output[0] - 3.492653) <= 1e-5);
});
