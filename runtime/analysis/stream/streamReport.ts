import { mean } from '../drift/outputDrift';
import type { StreamingWindow } from './streamingCache';

/** One way of attending over a long prompt: full attention, sinks + window, or the window alone. */
export interface StreamRun {
  label: string;
  window?: StreamingWindow;
  /** [t − 1] loss (nats) of predicting token i + 1 from row i; rows before `from` may be NaN. */
  tokenLoss: Float64Array;
}

export interface StreamReport {
  tokens: number;
  /** Loss is averaged over rows [from, t − 1): the predictions made after the cache first evicts. */
  evaluatedFrom: number;
  runs: { label: string; window?: StreamingWindow; loss: number; perplexity: number; tokenLoss: Float64Array }[];
}

/** The first row whose query no longer sees every key: the widest cache (sinks + window) among the runs. */
export function firstEvictedRow(t: number, windows: StreamingWindow[]): number {
  const widest = Math.max(0, ...windows.map((w) => w.sinks + w.window));
  if (t - 1 <= widest) throw new Error(`stream report: the prompt has ${t} tokens, but the cache holds ${widest}; use a longer prompt or a smaller --window so that tokens get evicted`);
  return widest;
}

/** Mean loss and perplexity of each run over the rows after the first eviction. */
export function streamReport(t: number, from: number, runs: StreamRun[]): StreamReport {
  if (!runs.length) throw new Error('stream report: no runs given');
  return {
    tokens: t,
    evaluatedFrom: from,
    runs: runs.map((r) => {
      if (r.tokenLoss.length !== t - 1) throw new Error(`stream report: run "${r.label}" has ${r.tokenLoss.length} token losses for ${t} tokens`);
      const loss = mean(r.tokenLoss.subarray(from));
      if (!Number.isFinite(loss)) throw new Error(`stream report: run "${r.label}" has no loss for some row after ${from}`);
      return { label: r.label, window: r.window, loss, perplexity: Math.exp(loss), tokenLoss: r.tokenLoss };
    }),
  };
}
