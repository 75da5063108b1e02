/** Timing helpers of the benchmark: contenders measured round-robin so drift hits all alike. */

/** Something to time: one call of it is one sample. */
export interface Contender {
  key: string;
  run(): Promise<unknown>;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs every contender `warmup` times, then `reps` rounds of one sample each, in turn; returns the
 * median wall time (ms, measured around the awaited call) per contender key. Each sample starts
 * after an idle gap of `gapMs`: ONNX Runtime's worker threads spin for a while after a run, and
 * would otherwise take the CPU from whichever contender comes next. Odd rounds run the contenders
 * in reverse order, so no contender always follows the same one. A sample is the second of two
 * calls in a row: every contender, ONNX Runtime's included, is timed with its own inputs and
 * buffers in cache. Timing the first call instead charged whoever ran after an ONNX Runtime
 * session for refetching 12 MB of inputs and outputs from memory: instrumented softmax read 24 %
 * over the uninstrumented one at 2 threads in the bench, 6 % when each ran alone.
 */
export async function measureRoundRobin(contenders: Contender[], reps: number, warmup = 1, gapMs = 15): Promise<Map<string, number>> {
  for (const c of contenders) for (let w = 0; w < warmup; w++) await c.run();
  const samples = new Map<string, number[]>(contenders.map((c) => [c.key, []]));
  for (let r = 0; r < reps; r++) {
    for (const c of r % 2 ? [...contenders].reverse() : contenders) {
      await pause(gapMs);
      await c.run();
      const t0 = performance.now();
      await c.run();
      samples.get(c.key)!.push(performance.now() - t0);
    }
  }
  return new Map([...samples].map(([k, xs]) => [k, median(xs)]));
}
