// The runtime client against the real runtime process (runtime/server.ts run through tsx): binary
// round trips, typed errors, and recovery from a real crash (SIGKILL), a real hang (SIGSTOP) and a
// real out-of-memory exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { RuntimeClient } from '../../extension/runtime/client';
import { classifyExit, type RuntimeFailure } from '../../extension/runtime/exitReason';
import { referenceAttention } from '../../runtime/kernels/reference/dispatch';
import { type AttentionInput, VARIANT_IDS } from '../../runtime/kernels/types';
import type { RpcError } from '../../runtime/protocol/errors';

const root = join(import.meta.dirname, '..', '..');

function client(hangLimitMs = 20_000): RuntimeClient {
  return new RuntimeClient({ serverPath: join(root, 'runtime/server.ts'), execArgv: ['--import', 'tsx'], cwd: root, hangLimitMs, maxHeapMb: 512 });
}

function randomInput(qHeads: number, kvHeads: number, t: number, d: number): AttentionInput {
  let s = 7;
  const rnd = (n: number) => Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1);
  return { q: rnd(qHeads * t * d), k: rnd(kvHeads * t * d), v: rnd(kvHeads * t * d), qHeads, kvHeads, tq: t, tk: t, headDim: d, headDimV: d, scale: 1 / Math.sqrt(d), mask: { causal: true } };
}

function nextFailure(c: RuntimeClient): Promise<RuntimeFailure> {
  return new Promise((resolve) => { const off = c.onFailure((f) => { off(); resolve(f); }); });
}

test('hello reports the protocol, the pid and the kernels the runtime can run', async () => {
  const c = client();
  try {
    const info = await c.start();
    assert.equal(info.pid, c.pid);
    assert.notEqual(info.pid, process.pid);
    assert.ok(info.kernels.some((k) => k.backend === 'js' && k.variants.includes('softmax') && k.variants.includes('shiftmax')));
  } finally { c.dispose(); }
});

test('runCore sends Float32Arrays as bytes and returns the same numbers as the kernel in-process', async () => {
  const c = client();
  try {
    const input = randomInput(4, 2, 16, 8);
    const r = await c.request('runCore', { input, variant: { id: 'softmax', params: {} }, backend: 'js', captureHeads: [3] });
    const want = referenceAttention(input, { id: 'softmax', params: {} }, [3]);
    assert.ok(r.output instanceof Float32Array && r.stats.keyAttentionSum instanceof Float32Array);
    assert.deepEqual([...r.output], [...want.output]);
    assert.deepEqual([...r.maps[0].weights], [...want.maps[0].weights]);
    assert.equal(r.maps[0].head, 3);
  } finally { c.dispose(); }
});

test('bad params and missing kernels come back as typed one-line errors', async () => {
  const c = client();
  try {
    const input = randomInput(4, 2, 8, 4);
    await assert.rejects(c.request('runCore', { input: { ...input, q: new Float32Array(3) }, variant: { id: 'softmax', params: {} }, backend: 'js', captureHeads: [] }),
      (e: RpcError) => e.code === 'bad-request' && /input\.q has 3 elements, the sizes need 128/.test(e.message));
    await assert.rejects(c.request('runCore', { input, variant: { id: 'softmax', params: {} }, backend: 'js', captureHeads: [4] }),
      (e: RpcError) => e.code === 'bad-request' && /captureHeads holds 4, the core has 4 query heads/.test(e.message));
    // A (backend, variant) pair this build lacks must be refused as unsupported, naming where it is.
    const info = await c.start();
    const missing = (['native', 'wasm'] as const).flatMap((b) => VARIANT_IDS.filter((v) => !info.kernels.some((k) => k.backend === b && k.variants.includes(v))).map((v) => [b, v] as const));
    for (const [backend, id] of missing.slice(0, 2)) {
      await assert.rejects(c.request('runCore', { input, variant: { id, params: {} }, backend, captureHeads: [] }),
        (e: RpcError) => e.code === 'unsupported' && new RegExp(`${id} is not available on the ${backend} backend in this runtime \\(it is on: .*js`).test(e.message));
    }
    await assert.rejects(c.request('runCore', { input, variant: { id: 'sigmoid', params: { q: 1 } }, backend: 'js', captureHeads: [] }),
      (e: RpcError) => e.code === 'bad-request' && /variant sigmoid has no parameter "q"/.test(e.message));
  } finally { c.dispose(); }
});

test('a killed runtime fails the request in flight, is reported in one line, and is restarted', async () => {
  const c = client();
  try {
    await c.start();
    const first = c.pid!;
    const failure = nextFailure(c);
    const big = randomInput(8, 8, 384, 64); // long enough to be in flight when the kill lands
    const inflight = c.request('runCore', { input: big, variant: { id: 'softmax', params: {} }, backend: 'js', captureHeads: [] });
    setTimeout(() => process.kill(first, 'SIGKILL'), 100);
    await assert.rejects(inflight, (e: RpcError) => e.code === 'runtime-crashed');
    const f = await failure;
    assert.equal(f.code, 'runtime-crashed');
    assert.match(f.message, /killed \(SIGKILL.*\)\. It was restarted\.$/);
    assert.ok(!f.message.includes('\n'));
    const info = await c.start();
    assert.notEqual(info.pid, first);
    const r = await c.request('runCore', { input: randomInput(1, 1, 4, 2), variant: { id: 'softmax', params: {} }, backend: 'js', captureHeads: [] });
    assert.equal(r.output.length, 8);
  } finally { c.dispose(); }
});

test('a runtime that stops answering is stopped after the hang limit and replaced', async () => {
  const c = client(1500);
  try {
    await c.start();
    const first = c.pid!;
    const failure = nextFailure(c);
    process.kill(first, 'SIGSTOP'); // a real hang: the process is alive and never answers
    await assert.rejects(c.request('hello', {}), (e: RpcError) => e.code === 'runtime-hung' && /did not answer hello within 2 s/.test(e.message));
    assert.equal((await failure).code, 'runtime-hung');
    const info = await c.start();
    assert.notEqual(info.pid, first);
  } finally { c.dispose(); }
});

test('cancelling a call rejects it at once and leaves the runtime usable', async () => {
  const c = client();
  try {
    await c.start();
    const ac = new AbortController();
    const p = c.request('runCore', { input: randomInput(8, 8, 256, 64), variant: { id: 'softmax', params: {} }, backend: 'js', captureHeads: [] }, { signal: ac.signal });
    ac.abort();
    await assert.rejects(p, (e: RpcError) => e.code === 'cancelled');
    const info = await c.request('hello', {});
    assert.equal(info.pid, c.pid);
  } finally { c.dispose(); }
});

test('a real V8 out-of-memory exit is classified as out of memory', () => {
  const r = spawnSync(process.execPath, ['--max-old-space-size=24', '-e', 'const a = []; for (;;) a.push({ x: [1, 2, 3] });'], { encoding: 'utf8' });
  const f = classifyExit(r.status, r.signal, r.stderr);
  assert.equal(f.code, 'runtime-oom', `stderr was: ${r.stderr.slice(-300)}`);
  assert.match(f.message, /ran out of memory/);
  const crash = classifyExit(1, null, 'Error: Cannot find module \'/x/server.js\'\n    at Module._resolveFilename (node:internal)\n');
  assert.equal(crash.message, "The AttnScope runtime crashed (exit code 1: Error: Cannot find module '/x/server.js').");
});

test('after too many failures in the window the client stops restarting and says how to recover', async () => {
  const c = new RuntimeClient({ serverPath: join(root, 'runtime/server.ts'), execArgv: ['--import', 'tsx'], cwd: root, hangLimitMs: 20_000, maxRestarts: 1 });
  try {
    await c.start();
    let f = nextFailure(c);
    process.kill(c.pid!, 'SIGKILL');
    assert.match((await f).message, /It was restarted\.$/);
    await c.start();
    f = nextFailure(c);
    process.kill(c.pid!, 'SIGKILL');
    assert.match((await f).message, /run AttnScope: Restart Runtime\.$/);
    assert.equal(c.pid, undefined);
    const info = await c.restart();
    assert.equal(info.pid, c.pid);
  } finally { c.dispose(); }
});
