import { parseVariant, formatVariant } from '../kernels/variants';
import { BACKEND_IDS, DEFAULT_BACKEND, getBackend } from '../engine/backends';
import type { SegmentedModel } from '../engine/runner';
import type { AttentionBackend, BackendId, VariantSpec } from '../kernels/types';
import { streamingBackend } from '../analysis/backends';
import { checkWindow, type StreamingWindow } from '../analysis/stream/streamingCache';
import { recomputeChunks } from '../analysis/stream/recomputePlan';
import { firstEvictedRow, streamReport, type StreamRun } from '../analysis/stream/streamReport';
import { mean, rowLoss, tokenLoss } from '../analysis/drift/outputDrift';
import { fmt, table } from '../analysis/format/table';
import { parseArgs } from './analysisArgs';
import { loadCodec, resolvePrompt, type Prompt } from './analysisPrompt';
import { logitsOf, openModel, tracePrompt } from './analysisRun';
import { modelOrDemo } from './demo-model';

export const STREAM_USAGE = `attnscope stream [--model PATH] (--prompt-file PATH | --prompt TEXT | --ids LIST) [--sinks 4] [--window 252]
  [--mode auto|mask|recompute] [--stride 16] [--variant ID] [--backend native|wasm|js] [--threads N] [--tokenizer PATH] [--json]
StreamingLLM simulation (spec §6.1): attention sees only a StartRecent KV cache, the first --sinks
tokens plus the --window most recent. Reports the loss per token with the sinks, without them (the
window alone) and with full attention, over the predictions made after the cache first evicts.
  mask: one pass, every core masked by the kernels' streaming mask, text positions 0..T−1;
  recompute: the cache's tokens re-run as a prompt with positions 0..len−1 (as StreamingLLM re-assigns
    them), --stride rows per run (each row sees the sinks + window−stride+1..window recent tokens);
    full attention becomes the model's whole context (its position limit) sliding the same way;
  auto (default): mask when the prompt fits the model's positions, recompute otherwise.`;

const NOTES = {
  mask: 'mode mask: one pass with the kernels\' streaming mask at text positions 0..T−1 (a StartRecent cache re-numbers the cached keys 0..len−1; with RoPE the sink-to-query distance here is the text distance)',
  recompute: 'mode recompute: the cache contents re-run as a prompt at positions 0..len−1 (hidden states of cached tokens recomputed within the cache)',
};

/** `attnscope stream`: prints a readable report (or one JSON object with --json). */
export async function streamCommand(argv: string[]): Promise<string> {
  if (argv.includes('--help')) return STREAM_USAGE;
  const args = parseArgs('stream', argv, {
    values: ['model', 'tokenizer', 'prompt', 'prompt-file', 'ids', 'sinks', 'window', 'mode', 'stride', 'variant', 'backend', 'threads'],
    flags: ['json'],
  });
  const modelPath = modelOrDemo(args.get('model'), 'stream');
  const sinks = args.number('sinks', 4, { integer: true, min: 0 });
  const window = args.number('window', 252, { integer: true, min: 1 });
  const stride = args.number('stride', 16, { integer: true, min: 1 });
  const modeArg = args.get('mode') ?? 'auto';
  if (!['auto', 'mask', 'recompute'].includes(modeArg)) throw new Error(`attnscope stream: --mode must be auto, mask or recompute, got "${modeArg}"`);
  const variant = args.has('variant') ? parseVariant(args.get('variant') ?? '') : null;
  const backendId = args.get('backend') ?? DEFAULT_BACKEND;
  if (!(BACKEND_IDS as readonly string[]).includes(backendId)) throw new Error(`attnscope stream: unknown backend "${backendId}"; choose one of ${BACKEND_IDS.join(', ')}`);
  const threads = args.has('threads') ? args.number('threads', 1, { integer: true, min: 1 }) : undefined;
  const model = openModel(modelPath, threads);
  try {
    const prompt = resolvePrompt(args, loadCodec(args, modelPath), 'stream');
    const t = prompt.ids.length;
    const withSinks: StreamingWindow = { sinks, window };
    const windowOnly: StreamingWindow = { sinks: 0, window };
    checkWindow(withSinks);
    const limit = model.maxPositions;
    const mode = modeArg === 'auto' ? (limit !== null && t > limit ? 'recompute' : 'mask') : modeArg;
    if (mode === 'recompute' && limit !== null && sinks + window > limit) {
      throw new Error(`attnscope stream: the cache (${sinks} + ${window}) is larger than the model's ${limit} positions; use --sinks + --window ≤ ${limit}`);
    }
    const windows = sinks > 0 ? [withSinks, windowOnly] : [withSinks];
    const from = firstEvictedRow(t, windows);
    const inner = await getBackend(backendId as BackendId);
    const t0 = performance.now();
    const runs: StreamRun[] = [];
    const label = (w: StreamingWindow): string => (w.sinks ? `${w.sinks} sinks + ${w.window} window` : `window ${w.window} only`);
    if (mode === 'mask') {
      const lossOf = async (kernel: AttentionBackend): Promise<Float64Array> => tokenLoss((await tracePrompt(model, prompt, '', { variant, threads, kernel })).logits, prompt.ids);
      runs.push({ label: 'full attention', tokenLoss: await lossOf(inner) });
      for (const w of windows) runs.push({ label: label(w), window: w, tokenLoss: await lossOf(streamingBackend(inner, w)) });
    } else {
      const context = limit ?? t;
      runs.push({ label: limit !== null && t > limit ? `full context (${limit} positions, sliding)` : 'full attention', tokenLoss: await recomputeLoss(model, prompt, { sinks: 0, window: Math.min(context, t) }, stride, from, { variant, threads, kernel: inner }) });
      for (const w of windows) runs.push({ label: label(w), window: w, tokenLoss: await recomputeLoss(model, prompt, w, stride, from, { variant, threads, kernel: inner }) });
    }
    const report = streamReport(t, from, runs);
    const ms = performance.now() - t0;
    const variantLabel = variant ? formatVariant(variant) : 'the model\'s own normalizer';
    const note = mode === 'mask' ? NOTES.mask : `${NOTES.recompute}; stride ${stride}: each row sees the sinks + ${Math.max(1, window - stride + 1)}..${window} recent tokens`;
    if (args.has('json')) {
      return JSON.stringify({
        model: modelPath, variant: variantLabel, backend: backendId, tokens: t, sinks, window, mode, stride: mode === 'recompute' ? stride : null,
        evaluatedFrom: from,
        runs: report.runs.map((r) => ({ label: r.label, window: r.window ?? null, loss: r.loss, perplexity: r.perplexity, tokenLoss: Array.from(r.tokenLoss, (x) => (Number.isFinite(x) ? x : null)) })),
        note, timings: { totalMs: ms },
      });
    }
    // Loss by position range after the first eviction, to show where the window-only run degrades.
    const n = t - 1;
    const buckets = Math.min(6, n - from);
    const edges = Array.from({ length: buckets + 1 }, (_, i) => from + Math.round(((n - from) * i) / buckets));
    const rows = edges.slice(0, -1).map((lo, i) => [`${lo + 1}–${edges[i + 1]}`, ...report.runs.map((r) => mean(r.tokenLoss.subarray(lo, edges[i + 1])))]);
    return [
      `StreamingLLM simulation on ${model.name} (${variantLabel}), ${t} tokens, cache ${sinks} + ${window}`,
      note,
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

/** Per-row loss (NaN before `from`) of the cache `w` re-run chunk by chunk at positions 0..len−1. */
async function recomputeLoss(model: SegmentedModel, prompt: Prompt, w: StreamingWindow, stride: number, from: number,
  options: { variant: VariantSpec | null; threads?: number; kernel: AttentionBackend }): Promise<Float64Array> {
  const ids = prompt.ids;
  const out = new Float64Array(ids.length - 1).fill(NaN);
  for (const chunk of recomputeChunks(ids.length, w, Math.min(stride, w.window), from)) {
    const chunkIds = chunk.positions.map((p) => ids[p]);
    const run = await model.run(chunkIds, { ...options, keepInputs: false });
    const logits = logitsOf(run.outputs, chunkIds.length, model.name);
    for (let r = chunk.rowStart; r < chunk.rowEnd; r++) out[r] = rowLoss(logits, chunk.promptRow + (r - chunk.rowStart), ids[r + 1]);
  }
  return out;
}
