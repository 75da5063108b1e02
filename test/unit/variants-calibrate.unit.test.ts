import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibrateUnifiedMax } from '../../runtime/kernels/reference/calibrate';
import { parseVariant } from '../../runtime/kernels/variants';
import { referenceAttention } from '../../runtime/kernels/reference/dispatch';
import { assertClose, randomInput, rowInput } from './variants-fixtures';

test('the calibrated range cuts equal tails; φ is its low end and the guard keeps sums finite', () => {
  const c = calibrateUnifiedMax([rowInput([5, -3, 0, 1, 2, 9, -8, 4])], 0.5);
  assert.equal(c.count, 8);
  assert.equal(c.low, 0); // sorted [-8, -3, 0, 1, 2, 4, 5, 9]: two cut on each side
  assert.equal(c.high, 4);
  assert.equal(c.phi, 0);
  assert.ok(Math.abs(c.bg - (88.7 - Math.log(8))) < 1e-12);
  assert.equal(c.fits, true);
  const all = calibrateUnifiedMax([rowInput([5, -3, 0, 1])]);
  assert.deepEqual([all.low, all.high], [-3, 5]);
});

test('masked keys are not calibrated on', () => {
  const input = rowInput([1, 100, 2], [1, 2, 3], { causal: false, bias: Float32Array.from([0, -Infinity, 0]) });
  const c = calibrateUnifiedMax([input], 1);
  assert.deepEqual([c.low, c.high, c.count], [1, 2, 2]);
});

test('unified-max with calibrated parameters matches softmax and recomputes nothing on the calibration prompt', () => {
  const input = randomInput({ qHeads: 2, kvHeads: 1, tq: 16, tk: 16, d: 8, seed: 21 });
  const c = calibrateUnifiedMax([input], 1);
  const variant = parseVariant(`unified-max:phi=${c.phi},ag=${c.ag},bg=${c.bg},split=4`);
  const r = referenceAttention(input, variant);
  assert.equal(r.stats.recomputedRows, 0);
  assertClose(r.output, referenceAttention(input, parseVariant('softmax')).output, 1e-6, 'unified-max');
  // A logit far above the calibrated range leaves the guard: that row is recomputed.
  const q = input.q.slice();
  for (let c2 = 0; c2 < 8; c2++) q[3 * 8 + c2] *= 400;
  const out = referenceAttention({ ...input, q }, variant);
  assert.ok(out.stats.recomputedRows >= 1);
});

test('calibration rejects empty inputs and a bad coverage with a one-line message', () => {
  const hidden = rowInput([1, 2], [1, 2], { causal: false, bias: Float32Array.from([-Infinity, -Infinity]) });
  assert.throws(() => calibrateUnifiedMax([hidden]), /no visible finite logit/);
  assert.throws(() => calibrateUnifiedMax([hidden], 0), /coverage must be in \(0, 1\]/);
});
