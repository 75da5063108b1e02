// Spec §1.5 and §7: the common test row s = [2, 1, 0.1, −1] under every row-normalizer variant.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SPEC_TOL, assertClose, rowInput, run } from '../unit/variants-fixtures';

const s = [2, 1, 0.1, -1];

const rows: [string, number[], number?][] = [
  ['softmax', [0.638066, 0.234731, 0.095435, 0.031767], 1.520903],
  ['softmax1', [0.587347, 0.216073, 0.087849, 0.029242], 1.400008],
  ['sink-logit', [0.587347, 0.216073, 0.087849, 0.029242], 1.400008],
  ['sink-logit:logit=1', [0.516765, 0.190107, 0.077292, 0.025728], 1.231768],
  ['sink-logit:logit=3', [0.233344, 0.085842, 0.034901, 0.011618]],
  ['sigmoid:b=0', [0.880797, 0.731059, 0.524979, 0.268941]],
  ['sigmoid', [0.648786, 0.404610, 0.216481, 0.084224], 2.444342], // b = −ln n, n = 4 keys
  [`sigmoid:b=${-Math.log(1024)}`, [0.007164, 0.002648, 0.001078, 0.000359]],
  ['sigmoid-norm', [0.366118, 0.303876, 0.218216, 0.111790]],
  ['elu1', [3, 2, 1.1, 0.367879]],
  ['elu1:normalize=1', [0.463831, 0.309220, 0.170071, 0.056878]],
  ['unified-max', [0.638066, 0.234731, 0.095435, 0.031767], 1.520903],
];

for (const [variant, want, out] of rows) {
  test(`spec row: ${variant}`, async () => {
    const r = await run(rowInput(s), variant);
    assertClose(r.maps[0].weights, want, SPEC_TOL, variant);
    if (out !== undefined) assert.ok(Math.abs(r.output[0] - out) <= 1e-5, `${variant} output ${r.output[0]} vs ${out}`);
  });
}

test('spec causal row: query 1 sees keys 0..1, logits [2, 1, −∞, −∞] (§7)', async () => {
  // tq = tk = 4, d = 1, every q = 1: row i's logits are k[0..i]; row 1 is the spec's row.
  const input = { ...rowInput([2, 1, -1, 0.5], [1, 2, 3, 4], { causal: true }), tq: 4, q: Float32Array.from([1, 1, 1, 1]) };
  const want: Record<string, number[]> = {
    softmax: [0.731059, 0.268941, 0, 0],
    softmax1: [0.665241, 0.244728, 0, 0],
    [`sigmoid:b=${-Math.log(4)}`]: [0.648786, 0.404610, 0, 0],
  };
  for (const [variant, w] of Object.entries(want)) {
    const r = await run(input, variant);
    assertClose(r.maps[0].weights.slice(4, 8), w, SPEC_TOL, variant);
  }
});

test('spec §7: a fully masked row outputs 0 under every variant', async () => {
  const input = rowInput(s, [1, 2, 3, 4], { causal: false, bias: Float32Array.from([-Infinity, -Infinity, -Infinity, -Infinity]) });
  for (const variant of ['softmax', 'softmax1', 'sink-logit:logit=2', 'sigmoid', 'sigmoid-norm', 'elu1', 'lssa', 'lssar', 'soft-gauss', 'soft-nystrom', 'shiftmax', 'unified-max']) {
    const r = await run(input, variant);
    assert.equal(r.output[0], 0, variant);
    assert.deepEqual(r.stats.invalidRows, [], variant);
  }
});
