import { mean, tokenLoss, type LogitRows } from '../drift/outputDrift';
import type { StreamingWindow } from './streamingCache';

/** One way of attending over a long prompt: full attention, sinks + window, or the window alone. */
export interface StreamRun {
  label: string;
  window?: StreamingWindow;
  logits: LogitRows;
}

export interface StreamReport {
  tokens: number;
  /** Loss is averaged over predictions made after the cache first evicts (positions ≥ sinks + window). */
  evaluatedFrom: number;
  runs: { label: string; window?: StreamingWindow; loss: number; perplexity: number; tokenLoss: Float64Array }[];
}

/**
 * Per-token loss of each run and its mean (and perplexity) over the positions where a StartRecent
 * cache differs from full attention: the first prediction whose query can no longer see every key.
 */
export function streamReport(ids: number[], runs: StreamRun[]): StreamReport {
  if (!runs.length) throw new Error('stream report: no runs given');
  const widest = Math.max(0, ...runs.map((r) => (r.window ? r.window.sinks + r.window.window : 0)));
  if (ids.length - 1 <= widest) throw new Error(`stream report: the prompt has ${ids.length} tokens, but the cache holds ${widest}; use a longer prompt or a smaller --window so that tokens get evicted`);
  const from = widest;
  return {
    tokens: ids.length,
    evaluatedFrom: from,
    runs: runs.map((r) => {
      const tl = tokenLoss(r.logits, ids);
      const loss = mean(tl.subarray(from));
      return { label: r.label, window: r.window, loss, perplexity: Math.exp(loss), tokenLoss: tl };
    }),
  };
}
