// getBackend/createBackend: every id gives its backend; a native addon that cannot load gives the
// wasm backend and exactly one notice line that says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBackend, getBackend } from '../../runtime/kernels/backends';
import type { BackendId } from '../../runtime/kernels/types';

test('js, native and wasm backends load and say which they are', async () => {
  for (const id of ['js', 'native', 'wasm'] as const) {
    const notices: string[] = [];
    const backend = await getBackend(id, (l) => notices.push(l));
    assert.equal(backend.id, id);
    assert.ok(backend.variants.includes('softmax'), `${id} implements softmax`);
    assert.deepEqual(notices, []);
  }
  assert.equal(await getBackend('native'), await getBackend('native'), 'created once');
});

test('native falls back to wasm with one notice when the addon cannot load', async () => {
  const notices: string[] = [];
  const wasm = await getBackend('wasm');
  const backend = await createBackend('native', (l) => notices.push(l), {
    native: () => { throw new Error('no addon for this platform'); },
    wasm: async () => wasm,
  });
  assert.equal(backend.id, 'wasm');
  assert.equal(notices.length, 1);
  assert.match(notices[0], /native kernels unavailable \(no addon for this platform\); using the wasm kernels/);
  assert.ok(!notices[0].includes('\n'), 'one line');
});

test('an unknown backend id is a one-line error naming the choices', async () => {
  await assert.rejects(getBackend('gpu' as BackendId), /unknown backend "gpu"; backends: js, native, wasm/);
});
