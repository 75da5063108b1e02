// Robustness of the runtime's model loader (issue 6, item 7): 1,000 mutated and truncated copies
// of fixture models, each loaded by the real runtime process over IPC. Every one must end in a
// successful load or a clear one-line typed error; the runtime must never crash or hang.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeClient } from '../../extension/runtime/client';
import type { RuntimeFailure } from '../../extension/runtime/exitReason';
import { RpcError } from '../../runtime/protocol/errors';

const root = join(import.meta.dirname, '..', '..');
const FIXTURES = ['gqa-decoder-contrib', 'mha-encoder-contrib', 'mha-decoder-contrib'].map((f) => readFileSync(join(root, 'test/fixtures/models', f, 'model.onnx')));
const CASES = 1000;
/** Errors a bad file may end in: said in one line, typed; never 'internal' (a bug) or a dead runtime. */
const CLEAR = new Set(['model-error', 'bad-request', 'unsupported']);

let client: RuntimeClient;
let dir: string;
const failures: RuntimeFailure[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'attnscope-fuzz-'));
  client = new RuntimeClient({ serverPath: join(root, 'runtime/server.ts'), execArgv: ['--import', 'tsx'], cwd: root, hangLimitMs: 30_000 });
  client.onFailure((f) => failures.push(f));
});
after(() => { client.dispose(); rmSync(dir, { recursive: true, force: true }); });

/** Deterministic mutations: truncation, byte flips, zeroed runs, spliced duplicates. */
function mutate(seed: number): Uint8Array {
  let s = seed * 2654435761 % 4294967296 || 1;
  const rnd = (n: number): number => { s = (s * 1664525 + 1013904223) % 4294967296; return Math.floor((s / 4294967296) * n); };
  const src = FIXTURES[seed % FIXTURES.length];
  const b = Uint8Array.from(src);
  switch (seed % 4) {
    case 0: return b.subarray(0, rnd(b.length));
    case 1: { for (let i = 0, k = 1 + rnd(16); i < k; i++) b[rnd(b.length)] = rnd(256); return b; }
    case 2: { const at = rnd(b.length); b.fill(0, at, Math.min(b.length, at + 1 + rnd(64))); return b; }
    default: { const at = rnd(b.length); const len = 1 + rnd(256); const out = new Uint8Array(b.length + len); out.set(b.subarray(0, at)); out.set(b.subarray(at, at + len), at); out.set(b.subarray(at), at + Math.min(len, b.length - at)); return out; }
  }
}

test(`${CASES} mutated or truncated models: each loads or fails clearly, the runtime never dies`, async () => {
  const first = (await client.start()).pid;
  const outcome: Record<string, number> = {};
  const unclear: string[] = [];
  for (let i = 0; i < CASES; i++) {
    const path = join(dir, `m${i % 8}.onnx`);
    writeFileSync(path, mutate(i + 1));
    try {
      await client.request('loadModel', { path });
      outcome.loaded = (outcome.loaded ?? 0) + 1;
    } catch (e) {
      const code = e instanceof RpcError ? e.code : 'not-rpc';
      outcome[code] = (outcome[code] ?? 0) + 1;
      const msg = e instanceof Error ? e.message : String(e);
      if (!CLEAR.has(code) || !msg || msg.includes('\n')) unclear.push(`case ${i + 1} (${code}): ${msg.slice(0, 200)}`);
    }
  }
  console.log(`fuzz outcomes: ${JSON.stringify(outcome)}`);
  assert.deepEqual(failures, [], 'the runtime never crashed, hung or ran out of memory');
  assert.equal(client.pid, first, 'the same runtime process served every case');
  assert.deepEqual(unclear.slice(0, 10), [], `${unclear.length} cases ended without a clear error; outcomes ${JSON.stringify(outcome)}`);
  assert.ok((outcome.loaded ?? 0) > 0 && (outcome['model-error'] ?? 0) > 0, `both outcomes occur: ${JSON.stringify(outcome)}`);
});
