import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backendsFor, resolveBackend } from '../../extension/runtime/backendChoice';
import { statusText } from '../../extension/statusText';

const kernels = [
  { backend: 'js' as const, variants: ['softmax' as const, 'sigmoid' as const] },
  { backend: 'wasm' as const, variants: ['softmax' as const] },
];

test('auto picks the fastest backend that has the variant', () => {
  assert.deepEqual(backendsFor('softmax', kernels), ['wasm', 'js']);
  assert.equal(resolveBackend('auto', 'softmax', kernels), 'wasm');
  assert.equal(resolveBackend('auto', 'sigmoid', kernels), 'js');
});

test('a backend without the variant, or a variant nowhere, is a one-line error saying what to pick', () => {
  assert.throws(() => resolveBackend('native', 'softmax', kernels), /^Error: The native backend does not compute the softmax variant in this runtime; it is available on: wasm, js \(AttnScope: Set Backend…\)\.$/);
  assert.throws(() => resolveBackend('auto', 'shiftmax', kernels), /No backend in this runtime computes the shiftmax variant; choose another variant/);
});

test('the status text shows model · variant · backend · last run time, or the problem', () => {
  assert.equal(statusText({ variant: 'softmax', backend: 'auto' }).text, '$(pulse) no model · softmax · auto');
  assert.equal(statusText({ model: 'demo.onnx', variant: 'sigmoid', backend: 'native', lastRunMs: 312.4 }).text, '$(pulse) demo.onnx · sigmoid · native · 312 ms');
  assert.equal(statusText({ model: 'm.onnx', variant: 'softmax', backend: 'js', lastRunMs: 2345 }).text, '$(pulse) m.onnx · softmax · js · 2.35 s');
  const bad = statusText({ variant: 'softmax', backend: 'js', problem: 'The AttnScope runtime crashed (exit code 1).' });
  assert.equal(bad.text, '$(warning) no model · softmax · js · runtime error');
  assert.match(bad.tooltip, /crashed \(exit code 1\)/);
});
