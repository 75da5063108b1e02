import type { PromptTrace } from '../trace';
import { keyImportanceFromStats, type KeyImportance } from './keyImportance';
import { keyValueNorms } from './keyValueNorms';
import { massiveActivationRatio } from './massiveActivation';
import { DEFAULT_SINK_EPSILON, secondarySinks, tokenSinkScores, type SecondarySinkOptions } from './sinkRate';

export interface SinkReportOptions extends SecondarySinkOptions {
  epsilon?: number;
}

/** Everything the sink analysis says about one prompt (spec §1.1–1.2). */
export interface SinkReport {
  label: string;
  epsilon: number;
  /** A non-softmax variant's stats used the proxy map of spec §1.1. */
  proxy: boolean;
  /** Per key position; `queries` is the fewest queries that see it in any core and head (α averages over them). */
  tokens: { index: number; id: number; text?: string; share: number; meanAlpha: number; queries: number }[];
  /** Sink₁^ε as a fraction: share of (layer, head) where the first token is a sink. */
  firstTokenRate: number;
  /** Sink tokens beyond the first. */
  secondary: number[];
  /** Per layer and head: α of the first key and whether the head has it as a sink. */
  heads: { layer: number; head: number; alphaFirst: number; sink: boolean }[];
  /** ‖h₁‖ / mean ‖h_t‖ at each layer boundary where hidden states were recorded. */
  massiveActivation: { boundary: number; ratio: number }[];
  /** Per core: mean key/value norms of the sink tokens (the first + secondary) against the others. */
  keyValue: { layer: number; sinkKeyNorm: number; otherKeyNorm: number; sinkValueNorm: number; otherValueNorm: number }[];
}

/** The fewest queries that see key k in any core and head. */
function fewestQueries(layers: KeyImportance[], k: number): number {
  let seen = Infinity;
  for (const l of layers) for (let h = 0; h < l.qHeads; h++) seen = Math.min(seen, l.queryCount[h * l.tk + k]);
  return seen;
}

/**
 * Tokens by sink score, the strongest first: share of sink heads, then mean α. Keys seen by fewer
 * than `minQueries` queries (the last few of a causal prompt, whose α averages one or a few rows,
 * spec §1.1) rank after all the others, as secondarySinks leaves them out.
 */
export function rankSinkTokens<T extends { share: number; meanAlpha: number; queries: number }>(tokens: T[], minQueries = 8): T[] {
  const settled = (t: T): number => (t.queries >= minQueries ? 1 : 0);
  return [...tokens].sort((a, b) => settled(b) - settled(a) || b.share - a.share || b.meanAlpha - a.meanAlpha);
}

export function sinkReport(trace: PromptTrace, options: SinkReportOptions = {}): SinkReport {
  const epsilon = options.epsilon ?? DEFAULT_SINK_EPSILON;
  if (!trace.cores.length) throw new Error(`sink report: run "${trace.label}" recorded no attention cores; is the model's attention detected (attnscope inspect)?`);
  const layers: KeyImportance[] = trace.cores.map((c) => keyImportanceFromStats(c.stats, c.input.qHeads, c.input.tk));
  const scores = tokenSinkScores(layers, epsilon);
  const secondary = secondarySinks(layers, scores, options);
  const heads: SinkReport['heads'] = [];
  trace.cores.forEach((c, i) => {
    for (let h = 0; h < layers[i].qHeads; h++) {
      const a = layers[i].alpha[h * layers[i].tk];
      heads.push({ layer: c.layer, head: h, alphaFirst: a, sink: a > epsilon });
    }
  });
  const sinkTokens = [0, ...secondary];
  return {
    label: trace.label, epsilon,
    proxy: layers.some((l) => l.proxy),
    tokens: scores.map((s, index) => ({ index, id: trace.ids[index], text: trace.tokens?.[index], ...s, queries: fewestQueries(layers, index) })),
    firstTokenRate: scores[0].share,
    secondary, heads,
    massiveActivation: (trace.hidden ?? []).filter((h) => h.t >= 2).map((h) => ({ boundary: h.boundary, ratio: massiveActivationRatio(h.data, h.t, h.d) })),
    keyValue: trace.cores.map((c) => {
      const { kvHeads, tk, headDim, headDimV } = c.input;
      const kv = keyValueNorms(c.input.k, c.input.v, { kvHeads, tk, headDim, headDimV }, sinkTokens.filter((t) => t < tk));
      return { layer: c.layer, sinkKeyNorm: kv.sinkKeyNorm, otherKeyNorm: kv.otherKeyNorm, sinkValueNorm: kv.sinkValueNorm, otherValueNorm: kv.otherValueNorm };
    }),
  };
}
