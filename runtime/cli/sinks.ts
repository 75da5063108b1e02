import { parseVariant, formatVariant } from '../kernels/variants';
import { BACKEND_IDS, DEFAULT_BACKEND } from '../engine/backends';
import type { BackendId } from '../kernels/types';
import { keyImportanceFromStats } from '../analysis/sinks/keyImportance';
import { rankSinkTokens, sinkReport, type SinkReport } from '../analysis/sinks/sinkReport';
import { datasetSinkRate } from '../analysis/sinks/datasetSinkRate';
import { fmt, percent, showToken, table } from '../analysis/format/table';
import { parseArgs, type ParsedArgs } from './analysisArgs';
import { loadCodec, readDataset, resolvePrompt } from './analysisPrompt';
import { openModel, tracePrompt } from './analysisRun';
import { modelOrDemo } from './demo-model';

export const SINKS_USAGE = `attnscope sinks [--model PATH] (--prompt TEXT | --prompt-file PATH | --ids LIST) [--variant ID]
  [--backend native|wasm|js] [--epsilon 0.3] [--threshold 0.1] [--min-queries 8] [--top 10] [--json]
attnscope sinks --model PATH --dataset FILE.jsonl [--samples 100] [--tokens 64] [--variant ID] [--epsilon 0.3] [--json]
Attention sinks (spec §1.1-1.2): α₁ per layer and head, Sink₁^ε, per-token sink scores, sink tokens
beyond the first, key/value norms of the sinks. With --dataset: Sink_k^ε over the first --tokens
tokens of --samples sequences (JSONL lines {"text": …} or {"ids": […]}), as Gu et al. measure it.`;

const PROXY_NOTE = 'non-softmax variant: the sink metric uses the proxy normalization of spec §1.1 (weights / row sum)';

/** `attnscope sinks`: prints a readable report (or one JSON object with --json). */
export async function sinksCommand(argv: string[]): Promise<string> {
  if (argv.includes('--help')) return SINKS_USAGE;
  const args = parseArgs('sinks', argv, {
    values: ['model', 'tokenizer', 'prompt', 'prompt-file', 'ids', 'dataset', 'samples', 'tokens', 'variant', 'backend', 'epsilon', 'threshold', 'min-queries', 'top', 'threads'],
    flags: ['json'],
  });
  const modelPath = modelOrDemo(args.get('model'), 'sinks');
  const variant = args.has('variant') ? parseVariant(args.get('variant') ?? '') : null;
  const backend = args.get('backend') ?? DEFAULT_BACKEND;
  if (!(BACKEND_IDS as readonly string[]).includes(backend)) throw new Error(`attnscope sinks: unknown backend "${backend}"; choose one of ${BACKEND_IDS.join(', ')}`);
  const epsilon = args.number('epsilon', 0.3, { min: 0, max: 1 });
  const model = openModel(modelPath, args.has('threads') ? args.number('threads', 1, { integer: true, min: 1 }) : undefined);
  const runOptions = { backend: backend as BackendId, variant };
  const variantLabel = variant ? formatVariant(variant) : 'the model\'s own normalizer';
  try {
    const codec = loadCodec(args, modelPath);
    if (args.has('dataset')) return await datasetReport(args, modelPath, epsilon, variantLabel, async (ids) => {
      const run = await model.run(ids, { ...runOptions, keepInputs: false });
      return run.cores.map((c) => keyImportanceFromStats(c.stats, c.input.qHeads, c.input.tk));
    }, codec);
    const prompt = resolvePrompt(args, codec, 'sinks');
    const t0 = performance.now();
    const trace = await tracePrompt(model, prompt, variantLabel, runOptions);
    const minQueries = args.number('min-queries', 8, { integer: true, min: 1 });
    const report = sinkReport(trace, { epsilon, threshold: args.number('threshold', 0.1, { min: 0, max: 1 }), minQueries });
    const ms = performance.now() - t0;
    if (args.has('json')) return JSON.stringify({ model: modelPath, variant: variantLabel, backend, ...report, timings: { totalMs: ms } });
    return promptText(report, model.name, args.number('top', 10, { integer: true, min: 1 }), minQueries, ms);
  } finally {
    await model.release();
  }
}

async function datasetReport(args: ParsedArgs, modelPath: string, epsilon: number, variant: string,
  run: Parameters<typeof datasetSinkRate>[1], codec: ReturnType<typeof loadCodec>): Promise<string> {
  const sequences = readDataset(args.get('dataset') ?? '', codec);
  const t0 = performance.now();
  const r = await datasetSinkRate(sequences, run, {
    tokens: args.number('tokens', 64, { integer: true, min: 2 }),
    samples: args.number('samples', 100, { integer: true, min: 1 }),
    epsilon,
  });
  const ms = performance.now() - t0;
  if (args.has('json')) {
    return JSON.stringify({ model: modelPath, dataset: args.get('dataset'), variant, ...r, rate: Array.from(r.rate), firstTokenPercent: r.firstToken * 100, timings: { totalMs: ms } });
  }
  const lines = [
    `Sink₁^${epsilon} = ${percent(r.firstToken)} on ${modelPath} (${variant}): first ${r.tokens} tokens of ${r.samplesUsed} sequences` +
      (r.samplesTooShort ? ` (${r.samplesTooShort} shorter sequences skipped)` : ''),
    r.proxy ? PROXY_NOTE : '',
    `Sink_k^${epsilon} for k = 1..8: ${Array.from(r.rate.subarray(0, 8), (x) => percent(x)).join(', ')}`,
    `(${fmt(ms)} ms)`,
  ];
  return lines.filter(Boolean).join('\n');
}

function promptText(r: SinkReport, modelName: string, top: number, minQueries: number, ms: number): string {
  const layers = [...new Set(r.heads.map((h) => h.layer))];
  const heads = Math.max(...r.heads.map((h) => h.head)) + 1;
  const grid = layers.map((l) => [l, ...Array.from({ length: heads }, (_, h) => {
    const x = r.heads.find((y) => y.layer === l && y.head === h);
    return x ? `${fmt(x.alphaFirst)}${x.sink ? '*' : ''}` : '';
  })]);
  const tokens = rankSinkTokens(r.tokens, minQueries).slice(0, top);
  return [
    `sinks on ${modelName} (${r.label}), ${r.tokens.length} tokens, ε = ${r.epsilon}`,
    r.proxy ? PROXY_NOTE : '',
    `first-token sink rate Sink₁^${r.epsilon}: ${percent(r.firstTokenRate)} of ${r.heads.length} heads`,
    `sink tokens beyond the first: ${r.secondary.length ? r.secondary.map((k) => `${k} "${showToken(r.tokens[k].text, r.tokens[k].id)}"`).join(', ') : 'none'}`,
    '',
    'α₁ per layer (rows) and head (columns); * = sink (α₁ > ε):',
    table(['layer', ...Array.from({ length: heads }, (_, h) => `h${h}`)], grid),
    '',
    `tokens by sink score (share of heads where the token is a sink, mean α; keys seen by fewer than ${minQueries} queries last):`,
    table(['pos', 'token', 'share', 'mean α'], tokens.map((t) => [t.index, showToken(t.text, t.id), percent(t.share), t.meanAlpha])),
    '',
    'key/value norms, sink tokens vs the others (Gu et al. §1.2: sinks have small values):',
    table(['layer', '‖k‖ sink', '‖k‖ other', '‖v‖ sink', '‖v‖ other'], r.keyValue.map((kv) => [kv.layer, kv.sinkKeyNorm, kv.otherKeyNorm, kv.sinkValueNorm, kv.otherValueNorm])),
    r.massiveActivation.length ? `massive activation ‖h₁‖/mean‖h_t‖ at the input of each layer: ${r.massiveActivation.map((m) => `${m.boundary}: ${fmt(m.ratio)}`).join(', ')}` : 'massive activation: no residual-stream tensor found between the segments',
    `(${fmt(ms)} ms)`,
  ].filter((line, i, all) => line !== '' || all[i - 1] !== '').join('\n');
}
