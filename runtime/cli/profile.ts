import { writeFileSync } from 'node:fs';
import { BACKEND_IDS } from '../engine/backends';
import { parseVariant } from '../kernels/variants';
import type { BackendId, VariantSpec } from '../kernels/types';
import { profileModel, type ProfileConfig } from '../profile/profileRun';
import { aggregate } from '../profile/aggregate';
import { fmaPeak } from '../profile/peak';
import { mergedTimeline } from '../profile/timeline';
import { chromeTrace, DEFAULT_TRACE_EVENTS } from '../profile/chromeTrace';
import { formatProfile, type ProfileReport } from '../profile/format';
import { parseArgs, type ParsedArgs } from './analysisArgs';
import { modelOrDemo } from './demo-model';
import { loadCodec, resolvePrompt } from './analysisPrompt';
import { openModel } from './analysisRun';
import { checkIds, vocabSize } from './model-facts';
import type { SegmentedModel } from '../engine/runner';

export const PROFILE_USAGE = `attnscope profile [--model PATH] [--prompt TEXT | --prompt-file PATH | --ids LIST] [--tokens N]
  [--variant A,B,…] [--backend native,wasm,js] [--threads 1,2] [--repeat N] [--head-ranges N] [--trace FILE] [--trace-events N] [--json]
Times every attention kernel: one warm-up run per configuration (variant × backend × threads), then
--repeat rounds (default 5) of one profiled and one plain run each. Per layer: median ± MAD and
min-max of the kernel's own time, FLOPs, bytes, GFLOP/s, % of the measured FMA peak, and ONNX
Runtime's own time of the segments around the core (its session profiler). --tokens N alone uses N
ids spread over the vocabulary; with a prompt it keeps the first N tokens. --trace writes a Chrome
trace (Perfetto, chrome://tracing) of at most --trace-events slices (default ${DEFAULT_TRACE_EVENTS}).
--head-ranges N also times each core's heads in N ranges (whole GQA groups), each as its own kernel call.
Without --model: the bundled demo model.`;

const CLOCK = 'performance.now() around each call; kernel time = AttentionStats.wallMs (native: steady_clock inside the addon; wasm/js: performance.now() around the kernel); ORT time = model_run of its session profiler';

/** `attnscope profile`: the per-layer report, or one JSON object with --json. `onProgress` hears every finished run (the panel's progress). */
export async function profileCommand(argv: string[], onProgress?: (done: number, total: number) => void): Promise<string> {
  if (argv.includes('--help')) return PROFILE_USAGE;
  const args = parseArgs('profile', argv, {
    values: ['model', 'tokenizer', 'prompt', 'prompt-file', 'ids', 'tokens', 'variant', 'backend', 'threads', 'repeat', 'trace', 'trace-events', 'head-ranges'],
    flags: ['json'],
  });
  const modelPath = modelOrDemo(args.get('model'), 'profile');
  const variants = variantList(args.get('variant') ?? 'model').map((v): VariantSpec | null => (v === 'model' ? null : parseVariant(v)));
  const backends = listOf(args, 'backend', 'native').map((b) => {
    if (!(BACKEND_IDS as readonly string[]).includes(b)) throw new Error(`attnscope profile: unknown backend "${b}" in --backend; choose from ${BACKEND_IDS.join(', ')}`);
    return b as BackendId;
  });
  const threads = listOf(args, 'threads', '1').map((t) => {
    const n = Number(t);
    if (!Number.isInteger(n) || n < 1 || n > 256) throw new Error(`attnscope profile: --threads takes positive integers separated by commas, got "${t}"`);
    return n;
  });
  const repeat = args.number('repeat', 5, { integer: true, min: 1, max: 1000 });
  const cap = args.number('trace-events', DEFAULT_TRACE_EVENTS, { integer: true, min: 1 });
  const headRanges = args.number('head-ranges', 1, { integer: true, min: 1, max: 1024 });
  const configs: ProfileConfig[] = [];
  for (const variant of variants) {
    for (const backend of backends) {
      // wasm and js run single-threaded: one configuration, not one per --threads value.
      for (const t of backend === 'native' ? threads : [1]) configs.push({ variant, backend, threads: t });
    }
  }
  const model = openModel(modelPath);
  try {
    const ids = promptIds(args, model, modelPath);
    checkIds(model, ids);
    const record = await profileModel(model, ids, {
      configs, repeat, headRanges,
      onProgress: (done, total) => {
        onProgress?.(done, total);
        if (process.stderr.isTTY) process.stderr.write(`\rprofile: run ${done}/${total}${done === total ? '\n' : ''}`);
      },
    });
    const peakThreads = [...new Set(configs.map((c) => (c.backend === 'wasm' ? 1 : c.threads)))].sort((a, b) => a - b);
    const peak = peakThreads.map(fmaPeak);
    const report: ProfileReport = {
      model: modelPath, tokens: ids.length, repeat, warmup: 1, clock: CLOCK, peak,
      configs: aggregate(record, model.plan, (t) => peak.find((p) => p.threads === t)?.gflops ?? null),
      trace: null, headRanges,
    };
    const tracePath = args.get('trace');
    if (tracePath !== undefined) {
      const trace = chromeTrace(mergedTimeline(record), cap);
      const text = JSON.stringify(trace);
      try {
        writeFileSync(tracePath, text);
      } catch (err) {
        throw new Error(`attnscope profile: cannot write --trace ${tracePath} (${err instanceof Error ? err.message : String(err)}); give a writable path`);
      }
      report.trace = { path: tracePath, slices: trace.otherData.slices, keptSlices: trace.otherData.keptSlices, capped: trace.otherData.capped, bytes: Buffer.byteLength(text) };
    }
    return args.has('json') ? JSON.stringify(report) : formatProfile(report);
  } finally {
    await model.release();
  }
}

/** Comma-separated values of an option, or the fallback. */
function listOf(args: ParsedArgs, name: string, fallback: string): string[] {
  const items = (args.get(name) ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);
  if (!items.length) throw new Error(`attnscope profile: --${name} is empty; give a comma-separated list`);
  return [...new Set(items)];
}

/**
 * Splits `--variant softmax,shiftmax:n=15,bits=8,sigmoid` into variants: an item with `=` and no `:`
 * is one more parameter of the variant before it (variant parameters are comma-separated too).
 */
export function variantList(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (raw.includes('=') && !raw.includes(':')) {
      if (!out.length) throw new Error(`attnscope profile: --variant starts with a parameter "${raw}"; write variant:param=value`);
      out[out.length - 1] += `,${raw}`;
    } else out.push(raw);
  }
  if (!out.length) throw new Error('attnscope profile: --variant is empty; give a comma-separated list such as softmax,sigmoid');
  return [...new Set(out)];
}

/** The prompt's ids (first --tokens N of them), or N ids spread over the vocabulary without a prompt. */
function promptIds(args: ParsedArgs, model: SegmentedModel, modelPath: string): number[] {
  const limit = model.maxPositions ?? 1024;
  const hasPrompt = ['ids', 'prompt', 'prompt-file'].some((n) => args.has(n));
  const tokens = args.has('tokens') ? args.number('tokens', 0, { integer: true, min: 1 }) : undefined;
  if (!hasPrompt) {
    const n = tokens ?? Math.min(256, limit);
    const vocab = vocabSize(model) ?? 100;
    return Array.from({ length: n }, (_, i) => (i * 7919 + 13) % vocab);
  }
  const ids = resolvePrompt(args, loadCodec(args, modelPath), 'profile').ids;
  if (tokens === undefined) return ids;
  if (ids.length < tokens) throw new Error(`attnscope profile: the prompt has ${ids.length} tokens but --tokens asks for ${tokens}; give a longer prompt or drop --tokens`);
  return ids.slice(0, tokens);
}
