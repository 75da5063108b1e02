import { parseVariant, formatVariant } from '../kernels/variants';
import { BACKEND_IDS, getBackend } from '../engine/backends';
import type { BackendId } from '../kernels/types';
import { streamingBackend } from '../analysis/backends';
import { checkWindow, type StreamingWindow } from '../analysis/stream/streamingCache';
import { streamReport, type StreamRun } from '../analysis/stream/streamReport';
import { mean } from '../analysis/drift/outputDrift';
import { fmt, table } from '../analysis/format/table';
import { parseArgs } from './analysisArgs';
import { loadCodec, resolvePrompt } from './analysisPrompt';
import { openModel, tracePrompt } from './analysisRun';

export const STREAM_USAGE = `attnscope stream --model PATH (--prompt-file PATH | --prompt TEXT | --ids LIST) [--sinks 4] [--window 256]
  [--variant ID] [--backend js|native|wasm] [--threads N] [--tokenizer PATH] [--json]
StreamingLLM simulation (spec §6.1): every attention core sees only a StartRecent KV cache, the first
--sinks tokens plus the --window most recent. Reports the loss per token with the sinks, without them
(the window alone) and with full attention, over the predictions made after the cache first evicts.`;

const POSITIONS_NOTE = 'positions: the text positions 0..T−1 in one pass with the kernels\' streaming mask (a StartRecent cache re-numbers the cached keys 0..len−1; with RoPE the sink-to-query distance here is the text distance)';

/** `attnscope stream`: prints a readable report (or one JSON object with --json). */
export async function streamCommand(argv: string[]): Promise<string> {
  if (argv.includes('--help')) return STREAM_USAGE;
  const args = parseArgs('stream', argv, {
    values: ['model', 'tokenizer', 'prompt', 'prompt-file', 'ids', 'sinks', 'window', 'variant', 'backend', 'threads'],
    flags: ['json'],
  });
  const modelPath = args.require('model', 'an ONNX causal LM');
  const sinks = args.number('sinks', 4, { integer: true, min: 0 });
  const window = args.number('window', 256, { integer: true, min: 1 });
  const variant = args.has('variant') ? parseVariant(args.get('variant') ?? '') : null;
  const backendId = args.get('backend') ?? 'js';
  if (!(BACKEND_IDS as readonly string[]).includes(backendId)) throw new Error(`attnscope stream: unknown backend "${backendId}"; choose one of ${BACKEND_IDS.join(', ')}`);
  const threads = args.has('threads') ? args.number('threads', 1, { integer: true, min: 1 }) : undefined;
  const model = openModel(modelPath, threads);
  try {
    const prompt = resolvePrompt(args, loadCodec(args, modelPath), 'stream');
    const withSinks: StreamingWindow = { sinks, window };
    const windowOnly: StreamingWindow = { sinks: 0, window };
    checkWindow(withSinks);
    if (prompt.ids.length <= sinks + window + 1) {
      throw new Error(`attnscope stream: the prompt has ${prompt.ids.length} tokens but the cache holds ${sinks} + ${window}; give a longer prompt (--prompt-file) or a smaller --window so that tokens get evicted`);
    }
    const inner = await getBackend(backendId as BackendId);
    const t0 = performance.now();
    const runs: StreamRun[] = [];
    const base = { variant, threads };
    runs.push({ label: 'full attention', logits: (await tracePrompt(model, prompt, 'full', { ...base, kernel: inner })).logits });
    runs.push({ label: `${sinks} sinks + ${window} window`, window: withSinks, logits: (await tracePrompt(model, prompt, 'sinks', { ...base, kernel: streamingBackend(inner, withSinks) })).logits });
    if (sinks > 0) runs.push({ label: `window ${window} only`, window: windowOnly, logits: (await tracePrompt(model, prompt, 'window', { ...base, kernel: streamingBackend(inner, windowOnly) })).logits });
    const report = streamReport(prompt.ids, runs);
    const ms = performance.now() - t0;
    const variantLabel = variant ? formatVariant(variant) : 'the model\'s own normalizer';
    if (args.has('json')) {
      return JSON.stringify({
        model: modelPath, variant: variantLabel, backend: backendId, tokens: report.tokens, sinks, window, evaluatedFrom: report.evaluatedFrom,
        runs: report.runs.map((r) => ({ label: r.label, window: r.window ?? null, loss: r.loss, perplexity: r.perplexity, tokenLoss: Array.from(r.tokenLoss) })),
        positions: POSITIONS_NOTE, timings: { totalMs: ms },
      });
    }
    // Loss by position range after the first eviction, to show where the window-only run degrades.
    const from = report.evaluatedFrom;
    const n = report.runs[0].tokenLoss.length;
    const buckets = Math.min(6, n - from);
    const edges = Array.from({ length: buckets + 1 }, (_, i) => from + Math.round(((n - from) * i) / buckets));
    const rows = edges.slice(0, -1).map((lo, i) => [`${lo + 1}–${edges[i + 1]}`, ...report.runs.map((r) => mean(r.tokenLoss.subarray(lo, edges[i + 1])))]);
    return [
      `StreamingLLM simulation on ${model.name} (${variantLabel}), ${report.tokens} tokens, cache ${sinks} + ${window}`,
      POSITIONS_NOTE,
      '',
      `loss over the ${n - from} predictions after the first eviction (positions ${from + 1}–${n}, 0-based):`,
      table(['run', 'loss (nats)', 'perplexity'], report.runs.map((r) => [r.label, r.loss, r.perplexity])),
      '',
      'mean loss by predicted-token range:',
      table(['tokens', ...report.runs.map((r) => r.label)], rows),
      `(${fmt(ms)} ms)`,
    ].join('\n');
  } finally {
    await model.release();
  }
}
