// loadOnce (runtime/kernels/loadOnce.ts), behind getBackend, dyadicKernel and iLayerNormKernel: one
// load per key shared by every caller, and a failed load forgotten so the next call retries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadOnce } from '../../runtime/kernels/loadOnce';

test('loadOnce: callers of a key share one load; other keys load on their own', async () => {
  const once = loadOnce<string, number>();
  let loads = 0;
  const load = async (): Promise<number> => ++loads;
  const [a, b] = await Promise.all([once('wasm', load), once('wasm', load)]);
  assert.equal(a, 1);
  assert.equal(b, 1);
  assert.equal(await once('native', load), 2);
  assert.equal(await once('wasm', load), 1);
  assert.equal(loads, 2);
});

test('loadOnce: a failed load is forgotten, the next call loads again', async () => {
  const once = loadOnce<string, string>();
  await assert.rejects(once('native', async () => { throw new Error('not built'); }), /not built/);
  assert.equal(await once('native', async () => 'built'), 'built');
});
