import type { HeadDrift } from '../analysis/drift/headDrift';
import type { OutputDrift } from '../analysis/drift/outputDrift';
import { fmt, percent, showToken, table } from '../analysis/format/table';
import type { Prompt } from './analysisPrompt';

/** JSON of ranked heads (per-token Δα left out: it is reported per token, averaged over heads). */
export function headsJson(heads: HeadDrift[]): object[] {
  return heads.map((h) => ({ layer: h.layer, head: h.head, divergence: h.divergence, meanRowDivergence: h.meanRowDivergence, meanRowKl: h.meanRowKl, meanRowJs: h.meanRowJs, maxAbsDelta: h.maxAbsDelta, deltaSinkAlpha: h.deltaSinkAlpha }));
}

export function headsTable(heads: HeadDrift[], top: number): string {
  const js = heads[0]?.divergence === 'js';
  const header = js ? ['mean row JS', 'mean row KL'] : ['mean row KL', 'mean row JS'];
  return table(['layer', 'head', ...header, 'max |ΔA|', 'Δα₁'], heads.slice(0, top).map((h) => [
    h.layer, h.head, ...(js ? [h.meanRowJs, h.meanRowKl] : [h.meanRowKl, h.meanRowJs]), h.maxAbsDelta, h.deltaSinkAlpha,
  ]));
}

/** Tokens whose received attention moved most (|Δα| averaged over heads), largest first. */
export function tokenDriftRows(delta: Float64Array, prompt: Prompt, top: number): { index: number; id: number; text?: string; deltaAttention: number }[] {
  return Array.from(delta, (d, index) => ({ index, id: prompt.ids[index], text: prompt.tokens?.[index], deltaAttention: d }))
    .sort((a, b) => Math.abs(b.deltaAttention) - Math.abs(a.deltaAttention)).slice(0, top);
}

export function tokenDriftTable(rows: { index: number; id: number; text?: string; deltaAttention: number }[]): string {
  return table(['pos', 'token', 'Δ attention received'], rows.map((r) => [r.index, showToken(r.text, r.id), r.deltaAttention]));
}

export function outputJson(o: OutputDrift): object {
  const { deltaTokenLoss, ...rest } = o;
  return { ...rest, deltaTokenLoss: Array.from(deltaTokenLoss) };
}

export function outputLines(o: OutputDrift, labels: [string, string]): string {
  return [
    `logits: max |Δ| ${fmt(o.maxAbsDeltaLogit)}, mean |Δ| ${fmt(o.meanAbsDeltaLogit)}`,
    `next-token distributions: mean KL ${fmt(o.meanNextTokenKl)}, top-1 agreement ${percent(o.top1Agreement)}`,
    `loss (nats/token): ${labels[0]} ${fmt(o.lossA)}, ${labels[1]} ${fmt(o.lossB)}, Δ ${fmt(o.deltaLoss)}`,
  ].join('\n');
}
