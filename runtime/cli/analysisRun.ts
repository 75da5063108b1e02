import { existsSync } from 'node:fs';
import type * as ort from 'onnxruntime-node';
import { SegmentedModel, type RunOptions } from '../engine/runner';
import type { CoreRun } from '../engine/core-run';
import type { AttentionBackend, VariantSpec } from '../kernels/types';
import { referenceAttention } from '../kernels/reference/dispatch';
import type { AsyncCoreComputer } from '../analysis/drift/liveHeadDrift';
import { rankSinkTokens, sinkReport, type SinkReport } from '../analysis/sinks/sinkReport';
import { fmt, percent } from '../analysis/format/table';
import { coreInputs } from '../model/segment';
import type { HiddenState, PromptTrace } from '../analysis/trace';
import type { LogitRows } from '../analysis/drift/outputDrift';
import type { Prompt } from './analysisPrompt';

/** Opens a model for an analysis command, with a clear error when the path is wrong. */
export function openModel(path: string, threads?: number): SegmentedModel {
  if (!existsSync(path)) throw new Error(`model ${path} does not exist; pass --model PATH of an ONNX transformer`);
  return SegmentedModel.open(path, { threads });
}

/** Runs one prompt through the segmented model and keeps what the analyses read. */
export async function tracePrompt(model: SegmentedModel, prompt: Prompt, label: string, options: RunOptions): Promise<PromptTrace> {
  const t = prompt.ids.length;
  const hidden: HiddenState[] = [];
  const run = await model.run(prompt.ids, { ...options, keepInputs: true, onSegmentOutputs: hiddenCollector(model, t, hidden) });
  return { label, ids: prompt.ids, tokens: prompt.tokens, cores: run.cores, hidden, logits: logitsOf(run.outputs, t, model.name) };
}

/** A RunOptions.onSegmentOutputs that records the residual stream entering each layer into `into`. */
export function hiddenCollector(model: SegmentedModel, t: number, into: HiddenState[]): NonNullable<RunOptions['onSegmentOutputs']> {
  const skip = new Set<string>([...model.cores.flatMap(coreInputs), ...model.graph.outputs.map((o) => o.name ?? '')]);
  return (segment, outputs) => {
    const h = residualStream(outputs, t, skip);
    if (h) into.push({ boundary: segment, t, d: Number(h.dims[2]), data: h.data as Float32Array });
  };
}

/**
 * The sink fields `attnscope inspect` adds to its α₁ summary (issue 5): per-token sink scores, sink
 * tokens beyond the first, the massive-activation ratio per layer and the key/value norms of sinks.
 */
export interface InspectSinkFields {
  /** The stats used the proxy map of spec §1.1 (non-softmax variant). */
  proxy: boolean;
  /** Per token: share of (layer, head) where it is a sink, its mean α, and the fewest queries that see it. */
  tokens: { index: number; share: number; meanAlpha: number; queries: number }[];
  /** Sink tokens beyond the first. */
  secondary: number[];
  /** ‖h₁‖ / mean ‖h_t‖ of the residual stream entering each layer. */
  massiveActivation: SinkReport['massiveActivation'];
  keyValue: SinkReport['keyValue'];
}

export function inspectSinkFields(cores: CoreRun[], ids: number[], hidden: HiddenState[]): InspectSinkFields {
  const r = sinkReport({ label: '', ids, cores, hidden, logits: { t: 0, vocab: 0, logits: [] } });
  return {
    proxy: r.proxy,
    tokens: r.tokens.map((x) => ({ index: x.index, share: x.share, meanAlpha: x.meanAlpha, queries: x.queries })),
    secondary: r.secondary,
    massiveActivation: r.massiveActivation,
    keyValue: r.keyValue,
  };
}

/**
 * The residual stream among a segment's outputs: the widest [1, T, D] float tensor that is neither
 * an attention core's input nor a model output (the hidden state handed to the next segment).
 */
export function residualStream(outputs: Record<string, ort.Tensor>, t: number, skip: Set<string>): ort.Tensor | null {
  let best: ort.Tensor | null = null;
  for (const [name, x] of Object.entries(outputs)) {
    if (skip.has(name) || x.type !== 'float32' || x.dims.length !== 3 || Number(x.dims[0]) !== 1 || Number(x.dims[1]) !== t) continue;
    if (!best || Number(x.dims[2]) > Number(best.dims[2])) best = x;
  }
  return best;
}

/** The next-token logits [T, vocab] among a causal LM's outputs: `logits` by name, else the first [1, T, V] float output. */
export function logitsOf(outputs: Record<string, ort.Tensor>, t: number, modelName: string): LogitRows {
  const entries = Object.entries(outputs);
  const fits = ([, x]: [string, ort.Tensor]): boolean => x.type === 'float32' && x.dims.length === 3 && Number(x.dims[0]) === 1 && Number(x.dims[1]) === t;
  const hit = entries.find((e) => e[0] === 'logits' && fits(e)) ?? entries.find(fits);
  if (!hit) throw new Error(`${modelName} has no [1, ${t}, vocab] float output (outputs: ${entries.map(([n, x]) => `${n} [${x.dims.join(', ')}]`).join('; ')}); this analysis needs a causal LM's next-token logits`);
  const tensor = hit[1];
  return { t, vocab: Number(tensor.dims[2]), logits: tensor.data as Float32Array };
}

/** The readable lines `attnscope inspect` prints for the sink fields. */
export function inspectSinkLines(f: InspectSinkFields, tokenText: (index: number) => string): string[] {
  const top = rankSinkTokens(f.tokens).slice(0, 5);
  return [
    ...(f.proxy ? ['non-softmax variant: sink metric on the proxy normalization of spec §1.1'] : []),
    `sink scores (share of heads, mean α): ${top.map((t) => `${t.index} ${JSON.stringify(tokenText(t.index))} ${percent(t.share)} ${fmt(t.meanAlpha)}`).join('; ')}`,
    `sink tokens beyond the first: ${f.secondary.length ? f.secondary.map((k) => `${k} ${JSON.stringify(tokenText(k))}`).join(', ') : 'none'}`,
    ...(f.massiveActivation.length ? [`massive activation ‖h1‖/mean‖ht‖ entering each layer: ${f.massiveActivation.map((m) => fmt(m.ratio)).join(' ')}`] : []),
    ...f.keyValue.map((kv) => `  layer ${kv.layer} ‖k‖ sinks ${fmt(kv.sinkKeyNorm)} vs ${fmt(kv.otherKeyNorm)}, ‖v‖ sinks ${fmt(kv.sinkValueNorm)} vs ${fmt(kv.otherValueNorm)}`),
  ];
}

/**
 * How many bytes of run A's attention maps drift/compare keep between the two runs instead of
 * recomputing them (GPT-2 small at 512 tokens needs 151 MB; beyond the budget cores are recomputed).
 */
export const MAP_BUDGET_BYTES = 256 * 2 ** 20;

/** The layer of each core in the order the engine runs them (its segment plan). */
export function callLayers(model: SegmentedModel): number[] {
  return model.plan.coresAfter.flat().map((ci) => model.cores[ci].layer);
}

/**
 * Recomputes a core of a recorded run with every head's map: on the given backend, or on the TS
 * reference when that backend returns fewer maps than asked (maps of all heads are an analysis need,
 * not a display one).
 */
export function recomputeWith(backend: AttentionBackend, variant: VariantSpec): AsyncCoreComputer {
  return async (input, heads) => {
    const r = await backend.run({ input, variant, captureHeads: heads });
    return r.maps.length === heads.length ? r : referenceAttention(input, variant, heads);
  };
}
