import type { KeyImportance } from './keyImportance';
import { DEFAULT_SINK_EPSILON, sinkRate } from './sinkRate';

/** Runs one prompt (token ids) through the model and returns α for every attention core. */
export type CoreImportanceRunner = (ids: number[]) => Promise<KeyImportance[]>;

export interface DatasetSinkOptions {
  /** Each sample is truncated to its first `tokens` tokens; shorter samples are skipped (spec §1.1: 64). */
  tokens?: number;
  /** How many samples to use (spec §1.1: 100). */
  samples?: number;
  epsilon?: number;
}

export interface DatasetSinkRate {
  /** [tokens] Sink_k^ε as a fraction, averaged uniformly over samples × layers × heads. */
  rate: Float64Array;
  /** Sink₁^ε as a fraction: the headline number (first token). */
  firstToken: number;
  samplesUsed: number;
  /** Samples skipped because they had fewer than `tokens` tokens. */
  samplesTooShort: number;
  tokens: number;
  epsilon: number;
  /** Some core used the proxy map of spec §1.1 (non-softmax variant). */
  proxy: boolean;
}

/**
 * Dataset-level sink rate as Gu et al. measure it (spec §1.1): the first `tokens` tokens of each of
 * `samples` sequences, indicator averaged over samples, layers and heads.
 */
export async function datasetSinkRate(sequences: number[][], run: CoreImportanceRunner, options: DatasetSinkOptions = {}): Promise<DatasetSinkRate> {
  const tokens = options.tokens ?? 64;
  const samples = options.samples ?? 100;
  const epsilon = options.epsilon ?? DEFAULT_SINK_EPSILON;
  if (!Number.isInteger(tokens) || tokens < 2) throw new Error(`dataset sink rate: tokens must be an integer ≥ 2, got ${tokens}`);
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`dataset sink rate: samples must be a positive integer, got ${samples}`);
  const rate = new Float64Array(tokens);
  let used = 0;
  let tooShort = 0;
  let proxy = false;
  for (const ids of sequences) {
    if (used === samples) break;
    if (ids.length < tokens) { tooShort++; continue; }
    const layers = await run(ids.slice(0, tokens));
    const r = sinkRate(layers, epsilon);
    for (let k = 0; k < tokens; k++) rate[k] += r[k];
    proxy ||= layers.some((l) => l.proxy);
    used++;
  }
  if (!used) throw new Error(`dataset sink rate: no sample has ${tokens} tokens (${tooShort} too short); use longer texts or a smaller --tokens`);
  for (let k = 0; k < tokens; k++) rate[k] /= used;
  return { rate, firstToken: rate[0], samplesUsed: used, samplesTooShort: tooShort, tokens, epsilon, proxy };
}
