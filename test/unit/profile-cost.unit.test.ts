// What `attnscope profile` counts without measuring: visible pairs, FLOPs and bytes of a core (against
// a brute-force count over the mask), and the median/spread of repeated timings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttentionInput } from '../../runtime/kernels/types';
import { coreCost, visiblePairs } from '../../runtime/profile/cost';
import { median, spread } from '../../runtime/profile/stats';

function input(o: Partial<AttentionInput> & { tq: number; tk: number }): AttentionInput {
  const qHeads = o.qHeads ?? 2;
  const kvHeads = o.kvHeads ?? qHeads;
  const d = o.headDim ?? 4;
  return {
    q: new Float32Array(qHeads * o.tq * d), k: new Float32Array(kvHeads * o.tk * d), v: new Float32Array(kvHeads * o.tk * d),
    qHeads, kvHeads, tq: o.tq, tk: o.tk, headDim: d, headDimV: o.headDimV ?? d, scale: 1, mask: o.mask ?? { causal: false },
  };
}

/** Pairs a query sees, straight from the rules of MaskSpec (types.ts). */
function bruteForce(x: AttentionInput, h: number): number {
  let n = 0;
  for (let i = 0; i < x.tq; i++) {
    const pos = i + (x.tk - x.tq);
    const visible: number[] = [];
    for (let j = 0; j < x.tk; j++) {
      if (x.mask.causal && j > pos) continue;
      const b = x.mask.bias ? x.mask.bias[((x.mask.biasHeads ?? 1) === 1 ? 0 : h) * x.tq * x.tk + i * x.tk + j] : 0;
      if (b === -Infinity) continue;
      visible.push(j);
    }
    const s = x.mask.streaming;
    const lastSeen = x.mask.causal ? Math.min(pos, x.tk - 1) : x.tk - 1;
    n += s ? visible.filter((j) => j < s.sinks || j > lastSeen - s.window).length : visible.length;
  }
  return n;
}

test('full and causal self-attention: T² and T(T+1)/2 pairs, 2·(d+dv) FLOPs each', () => {
  const full = input({ tq: 7, tk: 7 });
  assert.equal(visiblePairs(full, 0), 49);
  const causal = input({ tq: 7, tk: 7, mask: { causal: true }, headDim: 8, headDimV: 4 });
  assert.equal(visiblePairs(causal, 1), 28);
  assert.equal(coreCost(causal).flops, 2 * 2 * 28 * (8 + 4));
  // Q + K + V + O + (2·tk + 1) statistics per head, float32.
  assert.equal(coreCost(causal).bytes, 4 * (2 * 7 * 8 + 2 * 7 * (8 + 4) + 2 * 7 * 4 + 2 * 15));
});

test('a causal query block after past keys, a per-head bias with hidden keys and a streaming window match a brute-force count', () => {
  const tq = 5;
  const tk = 9;
  const bias = new Float32Array(2 * tq * tk).map((_, i) => (i % 7 === 3 ? -Infinity : (i % 5) * 0.1));
  const cases = [
    input({ tq, tk, mask: { causal: true } }),
    input({ tq, tk, mask: { causal: true, bias, biasHeads: 2 } }),
    input({ tq, tk, mask: { causal: false, bias: bias.subarray(0, tq * tk), biasHeads: 1 } }),
    input({ tq, tk, mask: { causal: true, streaming: { sinks: 1, window: 3 } } }),
  ];
  for (const x of cases) for (const h of [0, 1]) assert.equal(visiblePairs(x, h), bruteForce(x, h), JSON.stringify({ mask: { ...x.mask, bias: undefined }, h }));
});

test('a head range counts its own pairs and the K/V heads it reads (GQA)', () => {
  const x = input({ tq: 4, tk: 4, qHeads: 4, kvHeads: 2, mask: { causal: true } });
  const all = coreCost(x);
  const first = coreCost(x, { from: 0, to: 2 });
  const second = coreCost(x, { from: 2, to: 4 });
  assert.equal(first.flops + second.flops, all.flops);
  assert.deepEqual(all.pairsPerHead, [10, 10, 10, 10]);
  // Heads 0-1 read K/V head 0 only: one K/V head's 4·(4+4) floats.
  assert.equal(first.bytes, 4 * (2 * 4 * 4 + 1 * 4 * 8 + 2 * 4 * 4 + 2 * 9));
});

test('median and spread of timings', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.deepEqual(spread([1, 2, 3, 10]), { median: 2.5, min: 1, max: 10, mad: 1, samples: 4 });
  assert.throws(() => median([]), /at least once/);
});
