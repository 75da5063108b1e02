/**
 * The StartRecent KV cache of StreamingLLM (spec §6.1): the first `sinks` tokens plus the `window`
 * most recent ones (the query itself included), everything in between evicted. The kernels' mask
 * `streaming: { sinks, window }` keeps exactly these keys.
 */
export interface StreamingWindow {
  sinks: number;
  window: number;
}

export function checkWindow(w: StreamingWindow): void {
  if (!Number.isInteger(w.sinks) || w.sinks < 0) throw new Error(`streaming: --sinks must be an integer ≥ 0, got ${w.sinks}`);
  if (!Number.isInteger(w.window) || w.window < 1) throw new Error(`streaming: --window must be an integer ≥ 1, got ${w.window}`);
}

/** Text positions held by the cache when the query is the token at position t (0-based), ascending. */
export function cachedPositions(t: number, w: StreamingWindow): number[] {
  checkWindow(w);
  const keep: number[] = [];
  const recentStart = Math.max(0, t - w.window + 1);
  for (let j = 0; j < Math.min(w.sinks, recentStart); j++) keep.push(j);
  for (let j = recentStart; j <= t; j++) keep.push(j);
  return keep;
}

/**
 * Positions inside the cache, as StreamingLLM re-assigns them: the cached keys get 0..len−1 in cache
 * order, so the text positions [0,1,2,3,8,…,15] of T = 16, 4 + 8 become [0..11].
 */
export function cachePositionIds(t: number, w: StreamingWindow): number[] {
  return cachedPositions(t, w).map((_, i) => i);
}

/** Whether query t sees key j under the window (the same rule as the kernels' streaming mask). */
export function keptByWindow(t: number, j: number, w: StreamingWindow): boolean {
  return j <= t && (j < w.sinks || j > t - w.window);
}
