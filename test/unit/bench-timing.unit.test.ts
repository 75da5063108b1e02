// The bench's round-robin (runtime/kernels/bench/timing.ts): each round a new, reproducible order
// of the contenders, every contender timed once per round.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measureRoundRobin, shuffler, type Contender } from '../../runtime/kernels/bench/timing';
import { NOISY_MAD, table } from '../../runtime/kernels/bench/table';
import type { BenchRow } from '../../runtime/kernels/bench/run';

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
  for (const t of times.values()) {
    assert.equal(t.samples, 4);
    assert.ok(t.median >= 0 && Number.isFinite(t.median) && t.mad >= 0 && t.min <= t.median && t.median <= t.max);
  }
  assert.equal(calls.length, 3 + 3 * 4 * 2);
  const rounds = calls.slice(3);
  for (let i = 0; i < rounds.length; i += 2) assert.equal(rounds[i], rounds[i + 1], 'a sample is the second of two calls in a row');
  for (let r = 0; r < 4; r++) assert.deepEqual(rounds.slice(6 * r, 6 * r + 6).filter((_, i) => i % 2 === 0).sort(), ['a', 'b', 'c']);
});

test('the printed table: each row with its MAD, rows spread past NOISY_MAD marked ~ with a footnote', () => {
  const row = (variant: BenchRow['variant'], ms: number, madMs: number): BenchRow =>
    ({ backend: 'native', variant, instrumented: true, threads: 2, T: 1024, ms, madMs, ratioVsOrt: ms / 28, ratioVsOrtWeb: null, pctPeak: 0.5 });
  const calm = table([row('softmax', 6.4, 0.2), row('lssa', 9.2, 0.3)]);
  assert.doesNotMatch(calm, /~/);
  assert.match(calm.split('\n')[0], /ms\s+±MAD\s+vs ORT/);
  assert.match(calm.split('\n')[1], /6\.40\s+0\.20\s+0\.23x/);
  const busy = table([row('softmax', 6.4, 0.2), row('lssar', 13.3, 13.3 * NOISY_MAD + 0.01)]).split('\n');
  assert.equal(busy.length, 4);
  assert.doesNotMatch(busy[1], /~/);
  assert.match(busy[2], /lssar .* 1\.34 ~/);
  assert.match(busy[3], /^~ samples spread by more than 10% of the median \(MAD\)/);
});
