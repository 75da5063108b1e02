import { nativeVariant, type SegmentedModel } from '../engine/runner';
import type { BackendId, VariantSpec } from '../kernels/types';
import { formatVariant } from '../kernels/variants';
import { coreFacts, type CoreFacts } from './core-facts';
import { meanNextTokenLoss, nextTokenTopk } from './lm-outputs';
import { logitsOf } from './model-facts';
import type { CliToken, ResolvedPrompt } from './prompt';
import { sinkSummary, type SinkSummary } from './sink-summary';
import { hiddenCollector, inspectSinkFields, type InspectSinkFields } from './analysisRun';
import type { HiddenState } from '../analysis/trace';
import type { KernelStats } from '../protocol/kernelStats';
import { kernelStatsOf } from './kernel-stats';

export interface InspectReport {
  model: { path: string; layers: number; heads: number; cores: CoreFacts[] };
  tokens: CliToken[];
  variant: string;
  backend: BackendId;
  sink: SinkSummary;
  /** Per-token sink scores, sink tokens beyond the first, massive activations, K/V norms (analyses). */
  sinks: InspectSinkFields;
  /** Causal LMs only (null otherwise). */
  nextToken: { topk: { id: number; text: string; prob: number }[] } | null;
  loss: number | null;
  /** What the kernels measured of themselves: invalid rows, unified-max's recomputed rows, soft-nystrom's residual and error. */
  kernel: KernelStats;
  timings: { totalMs: number; kernelMs: number };
}

const TOPK = 5;

/** Runs one prompt segmented through the kernels and summarizes it. */
export async function runInspect(model: SegmentedModel, modelPath: string, prompt: ResolvedPrompt, variant: VariantSpec | null, backend: BackendId): Promise<InspectReport> {
  const hidden: HiddenState[] = [];
  const run = await model.run(prompt.ids, { backend, variant, onSegmentOutputs: hiddenCollector(model, prompt.ids.length, hidden) });
  const cores = model.cores.map((c) => coreFacts(c, run.cores.find((r) => r.layer === c.layer)));
  const causal = cores.every((c) => c.causal);
  const logits = causal ? logitsOf(model, run.outputs, prompt.ids.length) : null;
  const text = (id: number): string => (prompt.tokenizer ? prompt.tokenizer.tokenText(id) : `#${id}`);
  return {
    model: { path: modelPath, layers: cores.length, heads: Math.max(...cores.map((c) => c.qHeads ?? 0)), cores },
    tokens: prompt.tokens,
    variant: variant ? formatVariant(variant) : [...new Set(model.cores.map((c) => c.normalizer))].join(','),
    backend,
    sink: sinkSummary(run.cores),
    sinks: inspectSinkFields(run.cores, prompt.ids, hidden),
    nextToken: logits ? { topk: nextTokenTopk(logits, TOPK).map((t) => ({ ...t, text: text(t.id) })) } : null,
    loss: logits ? meanNextTokenLoss(logits, prompt.ids) : null,
    kernel: kernelStatsOf(run.cores, run.cores.map((r) => variant ?? nativeVariant(model.cores.find((c) => c.layer === r.layer)!))),
    timings: { totalMs: run.totalMs, kernelMs: run.kernelMs },
  };
}
