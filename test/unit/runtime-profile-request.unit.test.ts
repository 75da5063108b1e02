// The runtime's `profile` request (the panel's Profile action): the real runtime process runs the
// profile command on the last inspected prompt of a fixture model and returns the CLI's --json
// report with its Chrome trace, reports progress per run, and refuses bad requests in one line.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { RuntimeClient } from '../../extension/runtime/client';
import type { RpcError } from '../../runtime/protocol/errors';
import { traceProblems } from '../../runtime/profile/chromeTrace';
import { profileProblem } from '../../extension/protocol/analyses';
import { fixture, ids, runtimeClient } from './runtime-process';

let c: RuntimeClient;

before(() => { c = runtimeClient(120_000); });
after(() => c.dispose());

test('profile runs on the last inspected prompt and returns the report, its trace and progress', async () => {
  await c.request('loadModel', { path: join(fixture, 'model.onnx') });
  await assert.rejects(c.request('profile', { variants: ['model'], backends: ['wasm'], repeat: 1 }), (e: RpcError) => e.code === 'not-ready' && /Inspect Selection first/.test(e.message));
  await c.request('inspect', { prompt: { ids }, variant: null, backend: 'js', epsilon: 0.3 });
  const progress: string[] = [];
  const r = await c.request('profile', { variants: ['model', 'sigmoid'], backends: ['wasm', 'js'], repeat: 2 }, { onProgress: (p) => progress.push(p.message) });
  // 2 variants × 2 backends, each one warm-up and 2 measured runs.
  assert.deepEqual(progress, Array.from({ length: 12 }, (_, i) => `profile: run ${i + 1} of 12`));
  assert.equal(r.report.tokens, ids.length);
  assert.equal(r.report.repeat, 2);
  assert.deepEqual(r.report.configs.map((k) => k.label), ['model · wasm · 1 thread', 'model · js · 1 thread', 'sigmoid · wasm · 1 thread', 'sigmoid · js · 1 thread']);
  for (const k of r.report.configs) {
    assert.deepEqual(k.layers.map((l) => l.layer), [0, 1]);
    assert.ok(k.layers.every((l) => l.kernelMs.samples === 2 && l.kernelMs.median > 0 && l.flops > 0));
  }
  assert.equal(profileProblem(r), null, 'the panel accepts what the runtime returns');
  assert.ok(r.trace);
  assert.deepEqual(traceProblems(r.trace), []);
  assert.equal(r.report.trace?.path, 'trace.json', 'no temporary path leaks into the report');
  const kernelSlices = r.trace.traceEvents.filter((e) => e.ph === 'X' && typeof e.args?.layer === 'number' && e.args?.worker === undefined);
  assert.equal(kernelSlices.length, 4 * 2 * 2, 'a kernel slice per configuration, run and layer');
  // wasm computes on one thread: its track "· worker 0" holds one slice per wasm configuration, run and layer (js gives no timeline).
  const workerSlices = r.trace.traceEvents.filter((e) => e.ph === 'X' && e.args?.worker === 0);
  assert.deepEqual(workerSlices.map((e) => e.args?.backend), Array(2 * 2 * 2).fill('wasm'));
  await assert.rejects(c.request('profile', { variants: ['nope'], backends: ['js'], repeat: 1 }), (e: RpcError) => e.code === 'bad-request' && /nope/.test(e.message) && !e.message.includes('\n'));
  await assert.rejects(c.request('profile', { variants: ['model'], backends: ['js'], repeat: 0 } as never), (e: RpcError) => e.code === 'bad-request' && /repeat must be an integer from 1 to 1000/.test(e.message));
});
