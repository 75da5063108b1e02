import { formatVariant, parseVariant } from '../kernels/variants';
import { BACKEND_IDS, DEFAULT_BACKEND, getBackend } from '../engine/backends';
import { nativeVariant, type SegmentedModel } from '../engine/runner';
import type { AttentionBackend, BackendId, VariantSpec } from '../kernels/types';
import { computerBackend } from '../analysis/backends';
import { parseQuantMode, quantKernel, type QuantMode } from '../analysis/quant/quantCore';
import { CapturedMaps, LiveHeadDrift } from '../analysis/drift/liveHeadDrift';
import { outputDrift } from '../analysis/drift/outputDrift';
import { topK } from '../analysis/compare/topK';
import { keyImportanceFromStats } from '../analysis/sinks/keyImportance';
import { sinkRate } from '../analysis/sinks/sinkRate';
import { fmt, percent, showToken, table } from '../analysis/format/table';
import type { PromptTrace } from '../analysis/trace';
import { parseArgs, parseDivergence } from './analysisArgs';
import { loadCodec, resolvePrompt, type TextCodec } from './analysisPrompt';
import { callLayers, MAP_BUDGET_BYTES, openModel, recomputeWith, tracePrompt } from './analysisRun';
import { headsJson, headsTable, outputJson, outputLines, tokenDriftRows, tokenDriftTable } from './analysisOutput';
import { modelOrDemo } from './demo-model';

export const COMPARE_USAGE = `attnscope compare [--model PATH] [--model PATH2] [--variant A] [--variant B] [--backend X] [--backend Y] [--quant fp32|ivit|int8 …]
  (--prompt TEXT | --prompt-file PATH | --ids LIST) [--divergence js|kl] [--top 10] [--k 5] [--epsilon 0.3]
  [--tokenizer PATH] [--threads N] [--json]
Two runs of one prompt side by side: run A takes the first --model/--variant/--backend, run B the
second (or the first when only one is given); --quant runs a quantised softmax path (fp32 = none). Heads ranked by divergence of their attention rows,
per-token Δ loss, next-token top-k of each, and the change in the first-token sink rate.
Without --variant each model runs its own normalizer (softmax, sigmoid, ...).`;

interface RunSpec {
  model: SegmentedModel;
  modelPath: string;
  variant: VariantSpec | null;
  /** A quantised attention path in every core (softmax models), or null for the kernels in fp32. */
  quant: QuantMode | null;
  backend: BackendId;
  label: string;
}

function pick<T>(list: T[], i: number): T {
  return list[Math.min(i, list.length - 1)];
}

/** The variant a run computes: the given one, or the model's own normalizer. */
function variantOf(run: RunSpec): VariantSpec {
  return run.variant ?? nativeVariant(run.model.cores[0]);
}

function firstTokenRate(trace: PromptTrace, epsilon: number): number {
  return sinkRate(trace.cores.map((c) => keyImportanceFromStats(c.stats, c.input.qHeads, c.input.tk)), epsilon)[0];
}

/** `attnscope compare`: prints a readable report (or one JSON object with --json). */
export async function compareCommand(argv: string[]): Promise<string> {
  if (argv.includes('--help')) return COMPARE_USAGE;
  const args = parseArgs('compare', argv, {
    values: ['tokenizer', 'prompt', 'prompt-file', 'ids', 'divergence', 'top', 'k', 'epsilon', 'threads'],
    repeat: ['model', 'variant', 'backend', 'quant'],
    flags: ['json'],
  });
  const given = args.all('model');
  const models = given.length ? given : [modelOrDemo(undefined, 'compare')];
  const variants = args.all('variant').map(parseVariant);
  const backends = args.all('backend');
  const quants = args.all('quant').map((q) => (q === 'fp32' ? null : parseQuantMode(q)));
  if (quants.length && variants.some((v) => v.id !== 'softmax')) throw new Error('attnscope compare: --quant replaces softmax attention; do not combine it with a non-softmax --variant');
  for (const [name, list] of [['model', models], ['variant', variants], ['backend', backends], ['quant', quants]] as const) {
    if (list.length > 2) throw new Error(`attnscope compare: --${name} given ${list.length} times; compare exactly two runs`);
  }
  if (Math.max(models.length, variants.length, backends.length, quants.length) < 2) {
    throw new Error('attnscope compare: nothing differs between the two runs; give two --variant, two --backend, two --quant (fp32|ivit|int8) or two --model');
  }
  for (const b of backends) if (!(BACKEND_IDS as readonly string[]).includes(b)) throw new Error(`attnscope compare: unknown backend "${b}"; choose one of ${BACKEND_IDS.join(', ')}`);
  const divergence = parseDivergence(args, 'js');
  const top = args.number('top', 10, { integer: true, min: 1 });
  const k = args.number('k', 5, { integer: true, min: 1 });
  const epsilon = args.number('epsilon', 0.3, { min: 0, max: 1 });
  const threads = args.has('threads') ? args.number('threads', 1, { integer: true, min: 1 }) : undefined;

  const opened = models.map((p) => openModel(p, threads));
  try {
    const codec: TextCodec | null = loadCodec(args, models[0]);
    const prompt = resolvePrompt(args, codec, 'compare');
    const runs: RunSpec[] = [0, 1].map((i) => {
      const quant = quants.length ? pick(quants, i) : null;
      const variant = variants.length ? pick(variants, i) : quants.length ? { id: 'softmax' as const, params: {} } : null;
      const backend = (backends.length ? pick(backends, i) : DEFAULT_BACKEND) as BackendId;
      const modelPath = pick(models, i);
      const parts = [
        models.length > 1 ? modelPath : '',
        variants.length > 1 || (variants.length === 1 && i === 0) ? formatVariant(variant as VariantSpec) : '',
        backends.length > 1 ? backend : '',
        quants.length > 1 || (quants.length === 1 && i === 0) ? quant ?? 'fp32' : '',
      ].filter(Boolean);
      return { model: pick(opened, i), modelPath, variant, quant, backend, label: parts.join(' ') || `run ${i + 1}` };
    });
    if (runs[0].label === runs[1].label) runs[1].label += ' (B)';
    const t0 = performance.now();
    const kernelOf = async (r: RunSpec): Promise<AttentionBackend> => {
      const backend = await getBackend(r.backend);
      return r.quant ? computerBackend(quantKernel(r.quant, {}, backend), backend.id) : backend;
    };
    const backendA = await kernelOf(runs[0]);
    const captured = new CapturedMaps(MAP_BUDGET_BYTES, recomputeWith(backendA, variantOf(runs[0])));
    const a = await tracePrompt(runs[0].model, prompt, runs[0].label, { kernel: captured.wrap(backendA), variant: runs[0].variant, threads });
    const live = new LiveHeadDrift(a, callLayers(runs[1].model), captured.get, divergence);
    const b = await tracePrompt(runs[1].model, prompt, runs[1].label, { kernel: live.wrap(await kernelOf(runs[1])), variant: runs[1].variant, threads });
    if (a.logits.vocab !== b.logits.vocab) throw new Error(`attnscope compare: the models have different vocabularies (${a.logits.vocab} vs ${b.logits.vocab}); compare models that share a tokenizer`);
    const { heads, tokens } = live.result();
    const output = outputDrift(a.logits, b.logits, prompt.ids);
    const topA = topK(a.logits, k);
    const topB = topK(b.logits, k);
    const sink = [firstTokenRate(a, epsilon), firstTokenRate(b, epsilon)];
    const proxy = [...a.cores, ...b.cores].some((c) => c.stats.proxy);
    const ms = performance.now() - t0;
    const text = (id: number): string | undefined => codec?.tokenText(id);
    const worst = Array.from(output.deltaTokenLoss, (d, i) => ({ position: i + 1, id: prompt.ids[i + 1], text: prompt.tokens?.[i + 1], deltaLoss: d }))
      .sort((x, y) => Math.abs(y.deltaLoss) - Math.abs(x.deltaLoss)).slice(0, top);
    if (args.has('json')) {
      return JSON.stringify({
        runs: runs.map((r) => ({ label: r.label, model: r.modelPath, variant: r.variant ? formatVariant(r.variant) : null, backend: r.backend, quant: r.quant ?? 'fp32' })),
        tokens: prompt.ids.length, divergence, epsilon, proxy,
        heads: headsJson(heads),
        tokenDrift: Array.from(tokens, (d, index) => ({ index, text: prompt.tokens?.[index], deltaAttention: d })),
        output: outputJson(output),
        topK: [topA, topB].map((list) => list.map((t) => ({ ...t, text: text(t.id) }))),
        sink: { a: sink[0], b: sink[1], delta: sink[1] - sink[0] },
        timings: { totalMs: ms },
      });
    }
    const topRows = Array.from({ length: k }, (_, i) => [
      i + 1, showToken(text(topA[i].id), topA[i].id), topA[i].prob, showToken(text(topB[i].id), topB[i].id), topB[i].prob,
    ]);
    return [
      `compare A = ${runs[0].label} with B = ${runs[1].label}, ${prompt.ids.length} tokens`,
      proxy ? 'non-softmax weights: rows renormalised and sink metric on the proxy map of spec §1.1' : '',
      '',
      `heads ranked by divergence (of ${heads.length}):`,
      headsTable(heads, top),
      '',
      'tokens whose received attention moved most (B − A, mean over heads):',
      tokenDriftTable(tokenDriftRows(tokens, prompt, top)),
      '',
      'per-token loss, largest |Δ| (B − A):',
      table(['pos', 'token', 'Δ loss'], worst.map((w) => [w.position, showToken(w.text, w.id), w.deltaLoss])),
      '',
      'next token after the prompt:',
      table(['rank', 'A token', 'A prob', 'B token', 'B prob'], topRows),
      '',
      outputLines(output, ['A', 'B']),
      `first-token sink rate Sink₁^${epsilon}: A ${percent(sink[0])}, B ${percent(sink[1])}, Δ ${percent(sink[1] - sink[0])}`,
      `(${fmt(ms)} ms)`,
    ].filter((line, i, all) => line !== '' || all[i - 1] !== '').join('\n');
  } finally {
    for (const m of opened) await m.release();
  }
}
