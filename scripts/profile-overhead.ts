/**
 * What profiling costs, split by source, in CPU time (process.cpuUsage: all threads of this process,
 * so time a shared machine gives other processes does not count):
 *   node --import tsx scripts/profile-overhead.ts [--model PATH] [--prompt-file PATH | --tokens N] [--backend native|wasm|js]
 *     [--variant ID] [--rounds N]
 * Three ways to run the same prompt, rotated round by round (ABC, BCA, CAB) after one warm-up each:
 * the engine's plain SegmentedModel.run; the profiler's run with the kernels' own timers and timelines
 * but ONNX Runtime's profiler off; and the profiler's run as `attnscope profile` makes it (ORT profiler
 * on). Prints the median and minimum CPU time of each and the medians' ratios to the plain run.
 */
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { SegmentedModel } from '../runtime/engine/runner';
import { getBackend } from '../runtime/engine/backends';
import { ProfiledRunner } from '../runtime/profile/profiledRunner';
import { median } from '../runtime/profile/stats';
import { demoModelPath } from '../runtime/cli/demo-model';
import { loadTokenizer, tokenizerBeside } from '../runtime/tokenizer/tokenizer';
import type { BackendId, VariantId } from '../runtime/kernels/types';

const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const modelPath = opt('model') ?? demoModelPath() ?? '';
const tokens = Number(opt('tokens') ?? 512);
const rounds = Number(opt('rounds') ?? 30);
const backendId = (opt('backend') ?? 'native') as BackendId;
const variant = { id: (opt('variant') ?? 'softmax') as VariantId, params: {} };

function promptIds(): number[] {
  const file = opt('prompt-file');
  if (!file) return Array.from({ length: tokens }, (_, i) => (i * 7919 + 13) % 1000);
  const tokenizer = tokenizerBeside(modelPath);
  if (!tokenizer) throw new Error(`no tokenizer.json beside ${modelPath}; give --tokens N instead of --prompt-file`);
  return loadTokenizer(tokenizer).encode(readFileSync(file, 'utf8')).slice(0, tokens).map((t) => t.id);
}

// The ORT-profiler-off runner gets its sessions from the same options with enableProfiling dropped.
let profilerOff = false;
type Create = (model: unknown, options?: ort.InferenceSession.SessionOptions) => Promise<ort.InferenceSession>;
const create = ort.InferenceSession.create.bind(ort.InferenceSession) as Create;
(ort.InferenceSession as unknown as { create: Create }).create = (model, options) => create(model, profilerOff ? { ...options, enableProfiling: false } : options);

async function main(): Promise<void> {
  if (!modelPath) throw new Error('no bundled demo model here; give --model PATH');
  const ids = promptIds();
  const model = SegmentedModel.open(modelPath);
  const kernel = await getBackend(backendId);
  const timersOnly = new ProfiledRunner(model);
  const full = new ProfiledRunner(model);
  // Profiled runners build their sessions before the plain run frees the decoded weights.
  await full.run(ids, { backend: kernel, variant, threads: 1 });
  profilerOff = true;
  await timersOnly.run(ids, { backend: kernel, variant, threads: 1 });
  profilerOff = false;
  await model.run(ids, { kernel, variant, threads: 1, keepInputs: false });
  const ways: [string, () => Promise<unknown>][] = [
    ['plain run', () => model.run(ids, { kernel, variant, threads: 1, keepInputs: false })],
    ['kernel timers + timelines', () => timersOnly.run(ids, { backend: kernel, variant, threads: 1 })],
    ['+ ORT profiler (attnscope profile)', () => full.run(ids, { backend: kernel, variant, threads: 1 })],
  ];
  const cpu = ways.map((): number[] => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < ways.length; k++) {
      const w = (r + k) % ways.length;
      const c0 = process.cpuUsage();
      await ways[w][1]();
      const d = process.cpuUsage(c0);
      cpu[w].push((d.user + d.system) / 1000);
    }
  }
  console.log(`${model.name}, ${ids.length} tokens, ${variant.id} on ${kernel.id}, ${rounds} rounds; CPU time per run (ms)`);
  const base = median(cpu[0]);
  ways.forEach(([name], w) => {
    const m = median(cpu[w]);
    console.log(`${name.padEnd(36)} median ${m.toFixed(2)}  min ${Math.min(...cpu[w]).toFixed(2)}  ${w ? `${m >= base ? '+' : ''}${(100 * (m / base - 1)).toFixed(1)}%` : ''}`);
  });
  await full.close();
  // Its sessions wrote no profile, so close() says so after releasing its folder: expected here.
  await timersOnly.close().catch(() => undefined);
  await model.release();
}

main().catch((e: unknown) => {
  console.error(`profile-overhead: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
