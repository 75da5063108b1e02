/**
 * Records the payloads of the panel's analysis tabs from real CLI runs of a fixture model (the
 * same commands and --json objects the runtime serves the panel):
 *   node --import tsx scripts/e2e/record-analysis-payloads.ts [fixture-name]
 * writes test/webview/<fixture-name>.{profile,compare,drift,stream}.json. The profile holds the CLI's
 * --json report and the Chrome trace it wrote with --trace.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const name = process.argv[2] ?? 'gqa-decoder-contrib';
const model = `test/fixtures/models/${name}/model.onnx`;
const { inputIds } = JSON.parse(readFileSync(join(root, 'test/fixtures/models', name, 'case.json'), 'utf8')) as { inputIds: number[] };
const ids = inputIds.join(',');

function cli(args: string[]): unknown {
  return JSON.parse(execFileSync(process.execPath, [join(root, 'bin/attnscope.js'), ...args, '--json'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 }));
}

mkdirSync(join(root, 'test/.tmp'), { recursive: true });
const tracePath = 'test/.tmp/profile-trace.json';
const profileArgs = ['profile', '--model', model, '--ids', ids, '--variant', 'softmax,sigmoid', '--backend', 'native,wasm', '--repeat', '3', '--head-ranges', '2', '--trace', tracePath];
const report = cli(profileArgs);
const trace = JSON.parse(readFileSync(join(root, tracePath), 'utf8')) as unknown;
rmSync(join(root, tracePath));
const out = (kind: string, body: unknown): void => {
  const path = join(root, 'test/webview', `${name}.${kind}.json`);
  writeFileSync(path, JSON.stringify(body, null, 1) + '\n');
  console.log(`wrote ${path}`);
};
out('profile', { source: `attnscope ${profileArgs.join(' ')} --json`, profile: { report, trace } });
const driftArgs = ['drift', '--model', model, '--ids', ids, '--quant', 'ivit', '--backend', 'native'];
out('drift', { source: `attnscope ${driftArgs.join(' ')} --json`, drift: cli(driftArgs) });
// As the runtime serves it (runtime/server.ts compare): labels from the two runs, the rest as the CLI gives it.
const compareArgs = ['compare', '--model', model, '--ids', ids, '--variant', 'softmax', '--variant', 'sigmoid:b=0', '--backend', 'native'];
const cmp = cli(compareArgs) as { runs: { label: string }[]; tokens: number; heads: unknown; output: unknown; topK: unknown; sink: unknown };
out('compare', { source: `attnscope ${compareArgs.join(' ')} --json`, compare: { model, tokens: cmp.tokens, labels: cmp.runs.map((r) => r.label), heads: cmp.heads, output: cmp.output, topK: cmp.topK, sink: cmp.sink } });
const streamArgs = ['stream', '--model', model, '--ids', ids, '--sinks', '2', '--window', '6', '--backend', 'native'];
out('stream', { source: `attnscope ${streamArgs.join(' ')} --json`, stream: cli(streamArgs) });
