import { checkWindow, type StreamingWindow } from './streamingCache';

/**
 * One model run of the streaming simulation in recompute mode: the tokens a StartRecent cache holds
 * (the first `sinks` tokens, then a run of recent tokens) fed as a fresh prompt with positions
 * 0..len−1, as the model expects them, and the rows whose next-token predictions it supplies.
 */
export interface StreamChunk {
  /** Text positions of the prompt's tokens, ascending. */
  positions: number[];
  /** Rows t (predicting token t + 1) this run answers: rows [rowStart, rowEnd). */
  rowStart: number;
  rowEnd: number;
  /** Index within the prompt of row rowStart (the rest follow consecutively). */
  promptRow: number;
}

/**
 * Chunks covering rows [from, t − 1) of a prompt of t tokens: each run ends at its last row, holds the
 * sinks plus the `window` tokens before it, and answers `stride` consecutive rows, so every row sees
 * the sinks plus between window − stride + 1 and window recent tokens (a cache that evicts `stride`
 * tokens at a time; stride 1 is the exact StartRecent cache, recomputed).
 */
export function recomputeChunks(t: number, w: StreamingWindow, stride: number, from: number): StreamChunk[] {
  checkWindow(w);
  if (!Number.isInteger(stride) || stride < 1 || stride > w.window) throw new Error(`streaming: --stride must be an integer in 1..window (${w.window}), got ${stride}`);
  const chunks: StreamChunk[] = [];
  for (let rowStart = from; rowStart < t - 1; rowStart += stride) {
    const rowEnd = Math.min(rowStart + stride, t - 1);
    const recentStart = Math.max(w.sinks, rowEnd - w.window);
    const positions: number[] = [];
    for (let j = 0; j < Math.min(w.sinks, recentStart); j++) positions.push(j);
    for (let j = recentStart; j < rowEnd; j++) positions.push(j);
    chunks.push({ positions, rowStart, rowEnd, promptRow: positions.indexOf(rowStart) });
  }
  return chunks;
}
