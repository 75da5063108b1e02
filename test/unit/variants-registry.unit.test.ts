import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VARIANTS, formatVariant, parseVariant, referenceBackend, resolveVariant } from '../../runtime/kernels/variants';
import { VARIANT_IDS } from '../../runtime/kernels/types';
import { rowInput } from './variants-fixtures';

test('every variant id of the kernel contract is registered, with a description', () => {
  assert.deepEqual(Object.keys(VARIANTS).sort(), [...VARIANT_IDS].sort());
  for (const id of VARIANT_IDS) {
    assert.equal(VARIANTS[id].id, id);
    assert.ok(VARIANTS[id].description.length > 10, id);
    for (const p of VARIANTS[id].params) assert.ok(p.doc.length > 5, `${id}.${p.name} doc`);
  }
  assert.deepEqual([...referenceBackend.variants], [...VARIANT_IDS]);
});

test('parseVariant fills defaults and leaves input-dependent ones unset', () => {
  assert.deepEqual(parseVariant('softmax'), { id: 'softmax', params: {} });
  assert.deepEqual(parseVariant('sigmoid'), { id: 'sigmoid', params: {} });
  assert.deepEqual(parseVariant('sigmoid:b=0'), { id: 'sigmoid', params: { b: 0 } });
  assert.deepEqual(parseVariant('lssar').params, { p: 15, warm: 3 });
  assert.deepEqual(parseVariant('shiftmax:bits=16,x0=tvm').params, { n: 15, bits: 16, x0: 1, exp: 0, div: 31 });
  assert.deepEqual(parseVariant('soft-nystrom:norm=on').params, { m: 16, iters: 20, safety: 0.9, reg: 0.01, norm: 1, errorRows: 128 });
  assert.deepEqual(parseVariant('sink-logit:logit=1,logit.3=-2').params, { logit: 1, 'logit.3': -2 });
  assert.deepEqual(parseVariant(' unified-max : phi=6 , ag=-3, bg=3, split=2 ').params, { phi: 6, ag: -3, bg: 3, split: 2 });
});

test('formatVariant round-trips through parseVariant', () => {
  for (const text of ['softmax', 'sigmoid:b=-2', 'shiftmax:bits=16,x0=tvm', 'sink-logit:logit.2=1.5']) {
    const spec = parseVariant(text);
    assert.deepEqual(parseVariant(formatVariant(spec)), spec);
  }
});

const bad: [string, RegExp][] = [
  ['softmaxx', /unknown variant "softmaxx"; known variants: softmax, softmax1/],
  ['sigmoid:c=1', /variant sigmoid has no parameter "c"; its parameters: b/],
  ['softmax:t=1', /variant softmax has no parameter "t"; its parameters: none/],
  ['sigmoid:b=abc', /variant sigmoid: b must be a number, got "abc"/],
  ['sigmoid:b=', /b must be a number, got ""/],
  ['sigmoid:b', /expected param=value, got "b"/],
  ['shiftmax:bits=12', /bits must be one of 8, 16, got 12/],
  ['shiftmax:x0=floor', /x0 must be one of qat, tvm, got "floor"/],
  ['soft-nystrom:m=2.5', /m must be an integer, got 2.5/],
  ['soft-nystrom:m=0', /m must be ≥ 1, got 0/],
  ['soft-nystrom:safety=2', /safety must be ≤ 1, got 2/],
  ['unified-max:ag=3,bg=-3', /the guard needs ag < bg/],
  ['sigmoid:b=Infinity', /b must be a finite number/],
  ['softmax1:logit.1=2', /has no parameter "logit.1"/],
];
for (const [text, want] of bad) {
  test(`parseVariant rejects ${text} with a one-line message`, () => {
    assert.throws(() => parseVariant(text), (e: Error) => want.test(e.message) && !e.message.includes('\n'));
  });
}

test('resolveVariant checks programmatic specs the same way', () => {
  assert.throws(() => resolveVariant({ id: 'lssar', params: { q: 1 } }), /no parameter "q"/);
  assert.deepEqual(resolveVariant({ id: 'elu1' }), { id: 'elu1', params: { normalize: 0 } });
});

test('the reference backend rejects malformed inputs with a clear message', async () => {
  const input = rowInput([1, 2, 3]);
  await assert.rejects(referenceBackend.run({ input: { ...input, kvHeads: 2 }, variant: { id: 'softmax', params: {} } }), /qHeads \(1\) must be a multiple of kvHeads \(2\)/);
  await assert.rejects(referenceBackend.run({ input: { ...input, tk: 4 }, variant: { id: 'softmax', params: {} } }), /k has 3 values, expected 4/);
  await assert.rejects(referenceBackend.run({ input, variant: { id: 'nope' as 'softmax', params: {} } }), /unknown variant "nope"/);
});
