/** Timing helpers of the benchmark: contenders measured round-robin so drift hits all alike. */
import { spread, type Spread } from '../../profile/stats';

/** Something to time: one call of it is one sample. */
export interface Contender {
  key: string;
  run(): Promise<unknown>;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Fisher-Yates shuffles of copies, from a xorshift32 stream seeded with `seed` (reproducible orders). */
export function shuffler(seed: number): <T>(xs: readonly T[]) => T[] {
  let x = seed >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
  return <T>(xs: readonly T[]): T[] => {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  };
}

/**
 * Runs every contender `warmup` times, then `reps` rounds of one sample each, in turn; returns the
 * spread of the wall times (ms, measured around the awaited call: median, MAD, ...) per contender key. Each sample starts
 * after an idle gap of `gapMs`: ONNX Runtime's worker threads spin for a while after a run, and
 * would otherwise take the CPU from whichever contender comes next. Each round runs the contenders
 * in a new order (a seeded shuffle, the same in every run of the bench), so no contender always
 * follows the same one, and interference from the rest of a shared host that recurs at a period
 * near a round's length does not land on the same contender round after round. With a fixed
 * order (reversed on odd rounds), one variant's median came out 1.4-1.9x its own in some runs: its
 * samples showed streaks of 25-36 ms against 18-20 ms, in the kernel's own clock as well, while
 * the host was otherwise idle from this machine's view. A sample is the second of two
 * calls in a row: every contender, ONNX Runtime's included, is timed with its own inputs and
 * buffers in cache. Timing the first call instead charged whoever ran after an ONNX Runtime
 * session for refetching 12 MB of inputs and outputs from memory: instrumented softmax read 24 %
 * over the uninstrumented one at 2 threads in the bench, 6 % when each ran alone.
 */
export async function measureRoundRobin(contenders: Contender[], reps: number, warmup = 1, gapMs = 15): Promise<Map<string, Spread>> {
  for (const c of contenders) for (let w = 0; w < warmup; w++) await c.run();
  const samples = new Map<string, number[]>(contenders.map((c) => [c.key, []]));
  const order = shuffler(0x5eed);
  for (let r = 0; r < reps; r++) {
    for (const c of order(contenders)) {
      await pause(gapMs);
      await c.run();
      const t0 = performance.now();
      await c.run();
      samples.get(c.key)!.push(performance.now() - t0);
    }
  }
  return new Map([...samples].map(([k, xs]) => [k, spread(xs)]));
}
