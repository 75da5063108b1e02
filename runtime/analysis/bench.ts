/**
 * `npm run bench -- --analyses`: times each analysis of issue 5 on one prompt of the demo model
 * (inspect with the sink fields, drift --quant ivit and int8, compare softmax/sigmoid, stream 4 sinks
 * + window) in this process, min of --reps runs, and says which are over the 2 s target. Each row
 * gives the command's own analysis time (what it prints, model already open), the wall time of the
 * whole call and the process CPU time of it (all threads: steadier than wall on a shared machine).
 * The prompt is the first --tokens tokens (default 512) of the held-out passage beside the model.
 *   --model PATH  --tokens N  --reps N  --backend native|wasm|js  --window W  --json
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SegmentedModel } from '../engine/runner';
import { loadTokenizer } from '../tokenizer/tokenizer';
import { compareCommand } from '../cli/compare';
import { driftCommand } from '../cli/drift';
import { streamCommand } from '../cli/stream';
import { runInspect } from '../cli/inspect';
import type { ResolvedPrompt } from '../cli/prompt';
import { demoModelPath } from '../cli/demo-model';
import { parseArgs } from '../cli/analysisArgs';
import type { BackendId } from '../kernels/types';

const TARGET_MS = 2000;

interface Row { analysis: string; analysisMs: number; wallMs: number; cpuMs: number; overTarget: boolean }

/** The longest prefix of the held-out passage that encodes to exactly `n` tokens (BOS included). */
function heldOutPrompt(modelPath: string, n: number): { text: string; prompt: ResolvedPrompt } {
  const dir = dirname(modelPath);
  const tokenizer = loadTokenizer(join(dir, 'tokenizer.json'));
  const heldout = join(dir, 'heldout.jsonl');
  if (!existsSync(heldout)) throw new Error(`bench analyses: no heldout.jsonl beside ${modelPath}`);
  const rows = readFileSync(heldout, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind?: string; text: string });
  const passage = (rows.find((r) => r.kind === 'passage') ?? rows[0]).text;
  let lo = 0;
  let hi = passage.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (tokenizer.encode(passage.slice(0, mid)).length <= n) lo = mid; else hi = mid - 1;
  }
  const text = passage.slice(0, lo);
  const tokens = tokenizer.encode(text);
  if (tokens.length !== n) throw new Error(`bench analyses: the held-out passage gives ${tokens.length} tokens, not ${n}`);
  return { text, prompt: { ids: tokens.map((t) => t.id), tokens, tokenizer } };
}

/** Runs `fn` reps times; min of each measure. `fn` returns the analysis's own ms. */
async function timeIt(analysis: string, reps: number, fn: () => Promise<number>): Promise<Row> {
  let best = { analysisMs: Infinity, wallMs: Infinity, cpuMs: Infinity };
  for (let r = 0; r < reps; r++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const analysisMs = await fn();
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    best = { analysisMs: Math.min(best.analysisMs, analysisMs), wallMs: Math.min(best.wallMs, wallMs), cpuMs: Math.min(best.cpuMs, (cpu.user + cpu.system) / 1000) };
  }
  return { analysis, ...best, overTarget: best.analysisMs > TARGET_MS };
}

export async function benchAnalyses(argv: string[]): Promise<string> {
  const args = parseArgs('bench --analyses', argv, { values: ['model', 'tokens', 'reps', 'backend', 'window'], flags: ['json', 'analyses'] });
  const modelPath = args.get('model') ?? demoModelPath();
  if (!modelPath) throw new Error('bench analyses: no demo model; pass --model PATH (with tokenizer.json and heldout.jsonl beside it)');
  const tokens = args.number('tokens', 512, { integer: true, min: 2 });
  const reps = args.number('reps', 3, { integer: true, min: 1 });
  const backend = (args.get('backend') ?? 'native') as BackendId;
  const window = args.number('window', 252, { integer: true, min: 1 });
  const held = heldOutPrompt(modelPath, tokens);
  const dir = mkdtempSync(join(tmpdir(), 'attnscope-bench-'));
  const file = join(dir, 'prompt.txt');
  writeFileSync(file, held.text);
  const common = ['--model', modelPath, '--prompt-file', file, '--backend', backend, '--json'];
  const own = async (command: (a: string[]) => Promise<string>, extra: string[]): Promise<number> => (JSON.parse(await command([...extra, ...common])) as { timings: { totalMs: number } }).timings.totalMs;
  const rows: Row[] = [];
  try {
    const model = SegmentedModel.open(modelPath);
    try {
      rows.push(await timeIt('inspect (sink fields)', reps, async () => (await runInspect(model, modelPath, held.prompt, null, backend)).timings.totalMs));
    } finally {
      await model.release();
    }
    rows.push(await timeIt('drift --quant ivit', reps, () => own(driftCommand, ['--quant', 'ivit'])));
    rows.push(await timeIt('drift --quant int8', reps, () => own(driftCommand, ['--quant', 'int8'])));
    rows.push(await timeIt('compare --variant softmax --variant sigmoid', reps, () => own(compareCommand, ['--variant', 'softmax', '--variant', 'sigmoid'])));
    rows.push(await timeIt(`stream --sinks 4 --window ${window}`, reps, () => own(streamCommand, ['--sinks', '4', '--window', String(window)])));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (args.has('json')) return JSON.stringify({ model: modelPath, tokens, reps, backend, targetMs: TARGET_MS, rows });
  const pad = (s: string, n: number): string => s.padEnd(n);
  return [
    `analyses on ${tokens} tokens of ${modelPath} (${backend}), min of ${reps}; target ${TARGET_MS} ms of analysis time`,
    `${pad('analysis', 46)}  analysis ms   wall ms    cpu ms`,
    ...rows.map((r) => `${pad(r.analysis, 46)}  ${r.analysisMs.toFixed(0).padStart(11)}  ${r.wallMs.toFixed(0).padStart(8)}  ${r.cpuMs.toFixed(0).padStart(8)}${r.overTarget ? '  OVER' : ''}`),
  ].join('\n');
}

if (require.main === module) {
  benchAnalyses(process.argv.slice(2)).then((text) => process.stdout.write(`${text}\n`), (e: unknown) => {
    process.stderr.write(`bench analyses: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  });
}
