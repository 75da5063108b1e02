// Pooling of large head maps for the runtime → panel level of detail (runtime/protocol/lod.ts):
// the level the runtime sends equals that level of the panel's own mipmap pyramid (so colours
// agree), tiles are exact sub-blocks of the pooled level, odd sizes and non-positive/NaN weights
// pool as the pyramid pools them, and malformed tile requests are refused; the runtime's one-head
// kernel call (what it pools from) gives the map the whole core captures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LOD_MAX_SIDE, lodLevel, maxPool, maxPoolRegion, poolTile, TILE, tileRequestProblem, tileResultProblem, tileShape } from '../../runtime/protocol/lod';
import { buildPyramid } from '../../webview/views/mipmap';
import { oneHead } from '../../runtime/engine/head-input';
import { headMapProblem } from '../../extension/protocol/panel';
import { getBackend } from '../../runtime/kernels/backends';
import type { AttentionInput } from '../../runtime/kernels/types';
import { parseVariant } from '../../runtime/kernels/variants';

function randomMap(rows: number, cols: number, seed: number): Float32Array {
  const m = new Float32Array(rows * cols);
  let s = seed;
  for (let i = 0; i < m.length; i++) { s = (s * 1103515245 + 12345) >>> 0; m[i] = (s % 1000) / 999 - 0.1; }
  m[3] = NaN;
  return m;
}

test('lodLevel: whole maps up to LOD_MAX_SIDE, then the first level that fits', () => {
  assert.equal(lodLevel(LOD_MAX_SIDE, LOD_MAX_SIDE), 0);
  assert.equal(lodLevel(1, LOD_MAX_SIDE + 1), 1);
  assert.equal(lodLevel(4096, 4096), 2);
  assert.equal(lodLevel(5000, 5000), 3);
});

test('maxPool equals the mipmap pyramid level, odd sizes, negative and NaN weights included', () => {
  for (const [rows, cols] of [[37, 53], [64, 64], [130, 7], [1, 9]] as const) {
    const m = randomMap(rows, cols, rows * 31 + cols);
    const pyr = buildPyramid(m, rows, cols, 1);
    for (let level = 1; level < pyr.length; level++) {
      assert.deepEqual(maxPool(m, rows, cols, level), pyr[level].data, `${rows} × ${cols} level ${level}`);
    }
  }
  // Hand-checked: the max of each 2 × 2 block, a block of only negatives and NaN is 0.
  const m = Float32Array.from([0.1, 0.5, -1, NaN, 0.2, 0.3, -2, -3, 0.9, 0, 0, 0.4]);
  assert.deepEqual([...maxPool(m, 3, 4, 1)], [0.5, 0, 0.9, 0.4].map(Math.fround));
});

test('tiles are exact sub-blocks of the pooled levels, clipped at the edges', () => {
  const rows = 600;
  const cols = 530;
  const m = randomMap(rows, cols, 7);
  for (const level of [0, 1, 2]) {
    const whole = maxPool(m, rows, cols, level);
    const rl = Math.ceil(rows / 2 ** level);
    const cl = Math.ceil(cols / 2 ** level);
    for (let i = 0; i * TILE < rl; i++) {
      for (let j = 0; j * TILE < cl; j++) {
        const t = poolTile(m, rows, cols, level, i, j);
        const s = tileShape(rows, cols, level, i, j);
        assert.equal(t.length, s.rows * s.cols);
        for (let r = 0; r < s.rows; r++) for (let c = 0; c < s.cols; c++) {
          const want = whole[(i * TILE + r) * cl + j * TILE + c];
          if (!Object.is(t[r * s.cols + c], want)) assert.fail(`level ${level} tile ${i},${j} cell ${r},${c}: ${t[r * s.cols + c]} != ${want}`);
        }
      }
    }
  }
  assert.deepEqual(tileShape(rows, cols, 0, 2, 2), { rows: 600 - 512, cols: 530 - 512 });
  assert.deepEqual([...maxPoolRegion(Float32Array.from([1, 2, 3, 4]), 2, 2, 4, 0, 0, 4, 4)], [4]);
});

test('tile requests and results are validated', () => {
  assert.equal(tileRequestProblem({ layer: 0, head: 1, level: 0, tiles: [[0, 1]], inspection: 3 }), null);
  assert.match(tileRequestProblem({ layer: 0, head: 1, level: 0, tiles: [[0, 1]] })!, /needs the inspection/);
  assert.match(tileRequestProblem({ layer: 0, head: 1, level: 0, tiles: [], inspection: 1 })!, /tiles must be a list of 1 to 64/);
  assert.match(tileRequestProblem({ layer: 0, head: 1, level: -1, tiles: [[0, 0]], inspection: 1 })!, /level/);
  assert.match(tileRequestProblem({ layer: 0, head: 1, level: 0, tiles: [[0, 0.5]], inspection: 1 })!, /pairs/);
  assert.match(tileRequestProblem({ layer: 0, head: 1, level: 0, tiles: Array.from({ length: 65 }, () => [0, 0]), inspection: 1 })!, /1 to 64/);
  assert.equal(tileResultProblem({ layer: 0, head: 0, level: 0, tiles: [{ i: 0, j: 0, weights: { shape: [1, 2], data: new Float32Array(2) } }] }), null);
  assert.match(tileResultProblem({ layer: 0, head: 0, level: 0, tiles: [{ i: 0, j: 0, weights: { shape: [300, 1], data: new Float32Array(300) } }] })!, /at most 256/);
});

test('oneHead: a head run alone gives the map the whole core captures (GQA, per-head bias and sink logit)', async () => {
  const qHeads = 4, kvHeads = 2, tq = 40, tk = 40, d = 8;
  const rnd = randomMap(1, qHeads * tq * d * 2 + kvHeads * tk * d * 4 + qHeads * tq * tk, 11).map((x) => x * 2 - 0.5);
  let o = 0;
  const take = (n: number): Float32Array => rnd.slice(o, (o += n));
  const input: AttentionInput = {
    q: take(qHeads * tq * d), k: take(kvHeads * tk * d), v: take(kvHeads * tk * d), qHeads, kvHeads, tq, tk, headDim: d, headDimV: d,
    scale: 1 / Math.sqrt(d), mask: { causal: true, bias: take(qHeads * tq * tk), biasHeads: qHeads },
  };
  for (const backendId of ['js', 'native'] as const) {
    const backend = await getBackend(backendId, () => {});
    for (const text of ['softmax', 'sink-logit:logit=0.5,logit.2=3', 'sigmoid']) {
      const variant = parseVariant(text);
      for (const head of [0, 2, 3]) {
        const whole = (await backend.run({ input, variant, captureHeads: [head] })).maps[0].weights;
        const alone = (await backend.run(oneHead(input, head, variant))).maps[0].weights;
        let worst = 0;
        for (let i = 0; i < whole.length; i++) worst = Math.max(worst, Math.abs(whole[i] - alone[i]));
        assert.ok(worst <= 1e-6, `${backendId} ${text} head ${head}: max |difference| ${worst}`);
      }
    }
  }
});

test('a pooled head map is validated against its full size', () => {
  const map = (rows: number, cols: number, lod?: unknown): unknown => ({ layer: 0, head: 0, weights: { shape: [rows, cols], data: new Float32Array(rows * cols) }, ...(lod ? { lod } : {}) });
  assert.equal(headMapProblem(map(2, 2, { level: 1, tq: 4, tk: 3, inspection: 0 })), null);
  assert.match(headMapProblem(map(2, 3, { level: 1, tq: 4, tk: 3, inspection: 0 }))!, /pooled at level 1 is 2 × 2, weights are 2 × 3/);
  assert.match(headMapProblem(map(2, 2, { level: 0, tq: 2, tk: 2, inspection: 0 }))!, /lod needs level \(1 to 16\)/);
  assert.match(headMapProblem(map(2, 2, { level: 1, tq: 4, tk: 3 }))!, /inspection/);
});
