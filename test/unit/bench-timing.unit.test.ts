// The bench's round-robin (runtime/kernels/bench/timing.ts): each round a new, reproducible order
// of the contenders, every contender timed once per round.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measureRoundRobin, shuffler, type Contender } from '../../runtime/kernels/bench/timing';

test('shuffler: permutations, a new order per call, the same sequence for the same seed', () => {
  const xs = Array.from({ length: 14 }, (_, i) => i);
  const a = shuffler(7), b = shuffler(7);
  const orders = Array.from({ length: 6 }, () => a(xs));
  for (const o of orders) assert.deepEqual([...o].sort((p, q) => p - q), xs);
  assert.deepEqual(xs, Array.from({ length: 14 }, (_, i) => i), 'the input is left as it was');
  assert.equal(new Set(orders.map((o) => o.join(','))).size, orders.length, 'each round a new order');
  assert.deepEqual(orders, Array.from({ length: 6 }, () => b(xs)));
  // the first contender is not always the same one (what a fixed or reversed order does)
  assert.ok(new Set(Array.from({ length: 40 }, () => a(xs)[0])).size > 3);
});

test('measureRoundRobin: every contender one timed sample per round, after its own untimed call', async () => {
  const calls: string[] = [];
  const contenders: Contender[] = ['a', 'b', 'c'].map((key) => ({ key, run: async () => { calls.push(key); } }));
  const times = await measureRoundRobin(contenders, 4, 1, 0);
  assert.deepEqual([...times.keys()].sort(), ['a', 'b', 'c']);
  for (const ms of times.values()) assert.ok(ms >= 0 && Number.isFinite(ms));
  assert.equal(calls.length, 3 + 3 * 4 * 2);
  const rounds = calls.slice(3);
  for (let i = 0; i < rounds.length; i += 2) assert.equal(rounds[i], rounds[i + 1], 'a sample is the second of two calls in a row');
  for (let r = 0; r < 4; r++) assert.deepEqual(rounds.slice(6 * r, 6 * r + 6).filter((_, i) => i % 2 === 0).sort(), ['a', 'b', 'c']);
});
