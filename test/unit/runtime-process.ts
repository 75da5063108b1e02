// Shared by the tests that talk to the real runtime process over IPC: the gqa-decoder-contrib
// fixture, its case.json prompt, and a client that runs runtime/server.ts through tsx.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeClient } from '../../extension/runtime/client';

const root = join(import.meta.dirname, '..', '..');

/** The fixture model's folder (model.onnx, case.json). */
export const fixture = join(root, 'test/fixtures/models/gqa-decoder-contrib');

/** The token ids of the fixture's recorded prompt. */
export const ids = (JSON.parse(readFileSync(join(fixture, 'case.json'), 'utf8')) as { inputIds: number[] }).inputIds;

/** A client of a fresh runtime process (runtime/server.ts under tsx) that calls a request hung after hangLimitMs. */
export function runtimeClient(hangLimitMs: number): RuntimeClient {
  return new RuntimeClient({ serverPath: join(root, 'runtime/server.ts'), execArgv: ['--import', 'tsx'], cwd: root, hangLimitMs });
}
