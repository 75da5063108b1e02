import { CapturedMaps, LiveHeadDrift } from '../analysis/drift/liveHeadDrift';
import { BACKEND_IDS, DEFAULT_BACKEND, getBackend } from '../engine/backends';
import type { BackendId } from '../kernels/types';
import { outputDrift } from '../analysis/drift/outputDrift';
import { computerBackend } from '../analysis/backends';
import { parseQuantMode, quantKernel } from '../analysis/quant/quantCore';
import type { IvitOptions } from '../analysis/quant/ivitAttention';
import { keyImportanceFromStats } from '../analysis/sinks/keyImportance';
import { sinkRate } from '../analysis/sinks/sinkRate';
import { fmt, percent, table } from '../analysis/format/table';
import type { PromptTrace } from '../analysis/trace';
import { parseArgs, parseDivergence, type ParsedArgs } from './analysisArgs';
import { loadCodec, resolvePrompt } from './analysisPrompt';
import { callLayers, MAP_BUDGET_BYTES, openModel, recomputeWith, tracePrompt } from './analysisRun';
import { headsJson, headsTable, outputJson, outputLines, tokenDriftRows, tokenDriftTable } from './analysisOutput';
import { modelOrDemo } from './demo-model';
import type { SegmentedModel } from '../engine/runner';
import { iLayerNormDrift, RESIDUAL_BITS, type ILayerNormBoundaryError } from '../analysis/quant/iLayerNormDrift';
import { iLayerNormKernel } from '../kernels/ilayernorm';

export const DRIFT_USAGE = `attnscope drift [--model PATH] (--prompt TEXT | --prompt-file PATH | --ids LIST) --quant ivit|int8
  [--granularity tensor|head] [--n 15] [--out-bits 8|16] [--logit-bits 8] [--convention qat|tvm]
  [--rounding half-even|half-up] [--divergence kl|js] [--epsilon 0.3] [--top 10] [--backend native|wasm|js] [--threads N]
  [--tokenizer PATH] [--json]
Quantisation drift of every softmax attention core against fp32 (spec §2): per head (mean KL of the
attention rows, max |ΔA|, Δα₁), per token (Δ attention received) and end to end (logits, top-1, loss).
With --quant ivit also the I-LayerNorm error per layer: the fp32 residual stream entering each layer,
quantised to 16 bits per tensor, through I-LayerNorm (γ=1, β=0) on the chosen backend against float
LayerNorm of the same rows (max and mean |Δ|).`;

function ivitOptions(args: ParsedArgs): IvitOptions {
  const choice = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const v = args.get(name) ?? fallback;
    if (!(allowed as readonly string[]).includes(v)) throw new Error(`attnscope drift: --${name} must be one of ${allowed.join(', ')}, got "${v}"`);
    return v as T;
  };
  return {
    granularity: choice('granularity', ['tensor', 'head'] as const, 'tensor'),
    n: args.number('n', 15, { integer: true, min: 1, max: 30 }),
    outBits: args.number('out-bits', 8, { integer: true, min: 2, max: 16 }),
    logitBits: args.number('logit-bits', 8, { integer: true, min: 2, max: 16 }),
    convention: choice('convention', ['qat', 'tvm'] as const, 'qat'),
    rounding: choice('rounding', ['half-even', 'half-up'] as const, 'half-even'),
  };
}

/** The I-LayerNorm error of a run: per boundary, or why the model gave no residual stream to measure. */
type ILayerNormReport =
  | { backend: BackendId; inputBits: number; modelLayerNorms: number; ms: number; boundaries: ILayerNormBoundaryError[] }
  | { unavailable: string };

async function iLayerNormReport(trace: PromptTrace, backend: BackendId, model: SegmentedModel): Promise<ILayerNormReport> {
  if (!trace.hidden?.length) return { unavailable: `no residual-stream hidden state was recorded for ${model.name} (no segment outputs a [1, T, D] float tensor besides attention inputs and model outputs), so there is no LayerNorm input to measure` };
  const t0 = performance.now();
  const boundaries = await iLayerNormDrift(trace.hidden, await iLayerNormKernel(backend));
  const modelLayerNorms = model.graph.nodes.filter((n) => n.op_type === 'LayerNormalization').length;
  return { backend, inputBits: RESIDUAL_BITS, modelLayerNorms, ms: performance.now() - t0, boundaries };
}

function iLayerNormLines(r: ILayerNormReport): string[] {
  if ('unavailable' in r) return [`I-LayerNorm: not measured: ${r.unavailable}`];
  return [
    `I-LayerNorm on the residual stream entering each layer (${r.inputBits}-bit per tensor, γ=1, β=0, vs float LayerNorm without ε; ${r.backend}):`,
    ...(r.modelLayerNorms ? [] : ['(the model has no LayerNormalization node, e.g. an RMSNorm model: this is I-LayerNorm on its residual stream, not an op it runs)']),
    table(['layer', 'channels', 'input scale', 'max |Δ|', 'mean |Δ|'], r.boundaries.map((b) => [b.boundary, b.channels, b.inputScale, b.maxAbsDelta, b.meanAbsDelta])),
  ];
}

function firstTokenRate(trace: PromptTrace, epsilon: number): number {
  return sinkRate(trace.cores.map((c) => keyImportanceFromStats(c.stats, c.input.qHeads, c.input.tk)), epsilon)[0];
}

/** `attnscope drift`: prints a readable report (or one JSON object with --json). */
export async function driftCommand(argv: string[]): Promise<string> {
  if (argv.includes('--help')) return DRIFT_USAGE;
  const args = parseArgs('drift', argv, {
    values: ['model', 'tokenizer', 'prompt', 'prompt-file', 'ids', 'quant', 'granularity', 'n', 'out-bits', 'logit-bits', 'convention', 'rounding', 'divergence', 'epsilon', 'top', 'backend', 'threads'],
    flags: ['json'],
  });
  const mode = parseQuantMode(args.require('quant', 'ivit = integer-only I-ViT attention, int8 = int8 Q/K/V with float softmax'));
  const options = ivitOptions(args);
  const epsilon = args.number('epsilon', 0.3, { min: 0, max: 1 });
  const top = args.number('top', 10, { integer: true, min: 1 });
  const modelPath = modelOrDemo(args.get('model'), 'drift');
  const backendId = args.get('backend') ?? DEFAULT_BACKEND;
  if (!(BACKEND_IDS as readonly string[]).includes(backendId)) throw new Error(`attnscope drift: unknown backend "${backendId}"; choose one of ${BACKEND_IDS.join(', ')}`);
  const model = openModel(modelPath, args.has('threads') ? args.number('threads', 1, { integer: true, min: 1 }) : undefined);
  try {
    const other = model.cores.find((c) => c.normalizer !== 'softmax');
    if (other) throw new Error(`attnscope drift: the quantised paths replace softmax attention, but layer ${other.layer} of ${model.name} uses ${other.normalizer}; run drift on a softmax model`);
    const prompt = resolvePrompt(args, loadCodec(args, modelPath), 'drift');
    const t0 = performance.now();
    const softmax = { id: 'softmax' as const, params: {} };
    const backendA = await getBackend(backendId as BackendId);
    const captured = new CapturedMaps(MAP_BUDGET_BYTES, recomputeWith(backendA, softmax));
    const base = await tracePrompt(model, prompt, 'fp32', { kernel: captured.wrap(backendA), variant: softmax });
    const live = new LiveHeadDrift(base, callLayers(model), captured.get, parseDivergence(args, 'kl'));
    // the quantised path on the same kernels: ivit is the compiled integer core on native/wasm
    const quant = await tracePrompt(model, prompt, mode, { kernel: live.wrap(computerBackend(quantKernel(mode, options, backendA), backendA.id)), variant: softmax });
    const { heads, tokens } = live.result();
    const output = outputDrift(base.logits, quant.logits, prompt.ids);
    const sink = { fp32: firstTokenRate(base, epsilon), quant: firstTokenRate(quant, epsilon) };
    const iln = mode === 'ivit' ? await iLayerNormReport(base, backendA.id, model) : null;
    const ms = performance.now() - t0;
    const tokenRows = tokenDriftRows(tokens, prompt, top);
    if (args.has('json')) {
      return JSON.stringify({
        model: modelPath, quant: { mode, ...(mode === 'ivit' ? options : { granularity: options.granularity, bits: 8 }) },
        tokens: prompt.ids.length, epsilon,
        heads: headsJson(heads),
        tokenDrift: Array.from(tokens, (d, index) => ({ index, text: prompt.tokens?.[index], deltaAttention: d })),
        output: outputJson(output),
        sink: { ...sink, delta: sink.quant - sink.fp32 },
        ...(iln ? { iLayerNorm: iln } : {}),
        timings: { totalMs: ms },
      });
    }
    return [
      `drift of ${mode === 'ivit' ? 'I-ViT integer-only attention' : 'int8 Q/K/V (float softmax)'} against fp32 on ${model.name}, ${prompt.ids.length} tokens` +
        (mode === 'ivit' ? ` (${options.granularity}, n=${options.n}, out ${options.outBits}-bit, logits ${options.logitBits}-bit, ${options.convention}, ${options.rounding})` : ` (${options.granularity})`),
      '',
      `heads with the largest drift (of ${heads.length}):`,
      headsTable(heads, top),
      '',
      'tokens whose received attention moved most (mean over heads):',
      tokenDriftTable(tokenRows),
      '',
      outputLines(output, ['fp32', mode]),
      `first-token sink rate Sink₁^${epsilon}: fp32 ${percent(sink.fp32)}, ${mode} ${percent(sink.quant)}`,
      ...(iln ? ['', ...iLayerNormLines(iln)] : []),
      `(${fmt(ms)} ms)`,
    ].join('\n');
  } finally {
    await model.release();
  }
}
