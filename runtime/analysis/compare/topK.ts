import { softmaxRow } from '../drift/rowDivergence';
import type { LogitRows } from '../drift/outputDrift';

export interface TokenProb {
  id: number;
  prob: number;
}

/** The k most likely next tokens after row `row` (default: the last row, what generation would use). */
export function topK(run: LogitRows, k: number, row = run.t - 1): TokenProb[] {
  if (row < 0 || row >= run.t) throw new Error(`top-k: row ${row} is outside 0..${run.t - 1}`);
  const p = softmaxRow(run.logits, row * run.vocab, run.vocab);
  const ids = Array.from(p.keys()).sort((x, y) => p[y] - p[x] || x - y);
  return ids.slice(0, Math.max(0, k)).map((id) => ({ id, prob: p[id] }));
}
