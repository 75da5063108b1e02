import type { SegmentPlan } from '../model/segment';
import { spread, median, type Spread } from './stats';
import type { ProfileRecord } from './profileRun';
import type { OrtRunEvent } from './ortProfile';
import type { SegmentTiming } from './profiledRunner';

/** One core (layer) of one configuration over the measured runs. */
export interface LayerProfile {
  layer: number;
  /** Query heads of the call; the kernel computes them all in one call (head range 0..heads-1). */
  heads: number;
  /** AttentionStats.wallMs, the kernel's own clock. */
  kernelMs: Spread;
  /** The backend call as the engine measured it (argument marshalling and the async hop included). */
  callMs: Spread;
  flops: number;
  bytes: number;
  /** flops / median kernel time. */
  gflops: number;
  /** gflops over the measured FMA peak of the thread count, or null without a peak. */
  pctPeak: number | null;
  /** ONNX Runtime's own `model_run` time of the segment before and after the core, or null (no segment). */
  ortBeforeMs: Spread | null;
  ortAfterMs: Spread | null;
  /** With --head-ranges: each head range timed as its own kernel call. */
  ranges: RangeProfile[];
}

/** One head range of a core, timed as its own kernel call. */
export interface RangeProfile {
  from: number;
  to: number;
  kernelMs: Spread;
  callMs: Spread;
  flops: number;
  bytes: number;
  gflops: number;
  pctPeak: number | null;
}

export interface ConfigProfile {
  label: string;
  variant: string;
  backend: string;
  threads: number;
  layers: LayerProfile[];
  /** Per run: Σ kernel wallMs, Σ engine-measured call time, and their ratio (kernel clock coverage). */
  kernelSumMs: Spread;
  callSumMs: Spread;
  kernelOverCall: number;
  /**
   * Per run, where the calls' time outside the kernels' clock went (null without kernel timelines,
   * js): Σ from each call's start to its kernel's start (argument checks, output buffers, the
   * descriptor, a hand-off to another thread) and Σ from the kernel's end to the call's end (results
   * back to JS).
   */
  beforeKernelMs: Spread | null;
  afterKernelMs: Spread | null;
  /** Per run: Σ of ONNX Runtime's model_run times of all segments. */
  ortSumMs: Spread;
  profiledRunMs: Spread;
  plainRunMs: Spread;
  /**
   * Median profiled run / median plain run − 1. The two alternate in order round by round, so each set
   * holds as many first as second runs of a pair (per-round ratios would be bimodal by that order).
   */
  overhead: number;
  /** Fastest profiled run / fastest plain run − 1 (min of N: the runs least disturbed by other load). */
  overheadMin: number;
  /** Median CPU time (all threads) of the profiled runs / that of the plain runs − 1: time taken from other processes does not count. */
  overheadCpu: number;
  profiledCpuMs: Spread;
  plainCpuMs: Spread;
}

/** The n-th `model_run` of a segment's session for a recorded call, or a one-line error if ORT lost it. */
export function ortRunOf(ort: Map<number, OrtRunEvent[]>, seg: SegmentTiming): OrtRunEvent {
  const run = ort.get(seg.segment)?.[seg.call];
  if (!run) throw new Error(`ONNX Runtime's profile of segment ${seg.segment} has no run ${seg.call + 1}; its profile file is incomplete`);
  return run;
}

/**
 * Medians and spreads per core and per configuration. `peakGflops(threads)` is the measured FMA
 * peak; wasm runs single-threaded, so its % of peak is against the 1-thread peak.
 */
export function aggregate(record: ProfileRecord, plan: SegmentPlan, peakGflops: (threads: number) => number | null): ConfigProfile[] {
  const beforeOf = new Map<number, number>();
  plan.coresAfter.forEach((list, s) => { for (const ci of list) beforeOf.set(ci, s); });
  return record.configs.map((entry) => {
    const runs = entry.runs;
    const first = runs[0];
    const peak = peakGflops(entry.config.backend === 'wasm' ? 1 : entry.config.threads);
    const layers: LayerProfile[] = first.cores.map((core, i) => {
      const ortMs = (segment: number | undefined): Spread | null => {
        if (segment === undefined) return null;
        const xs = runs.map((r) => r.segments.find((s) => s.segment === segment)).filter((s): s is SegmentTiming => s !== undefined)
          .map((s) => ortRunOf(record.ort, s).dur / 1000);
        return xs.length ? spread(xs) : null;
      };
      const kernelMs = spread(runs.map((r) => r.cores[i].kernelMs));
      const gflops = core.cost.flops / (kernelMs.median * 1e6);
      const before = beforeOf.get(i);
      return {
        layer: core.layer, heads: core.qHeads, kernelMs, callMs: spread(runs.map((r) => r.cores[i].callMs)),
        flops: core.cost.flops, bytes: core.cost.bytes, gflops, pctPeak: peak ? gflops / peak : null,
        ortBeforeMs: ortMs(before), ortAfterMs: before === undefined ? null : ortMs(before + 1),
        ranges: core.ranges.map((range, k) => {
          const rangeMs = spread(runs.map((r) => r.cores[i].ranges[k].kernelMs));
          const rangeGflops = range.cost.flops / (rangeMs.median * 1e6);
          return {
            from: range.from, to: range.to, kernelMs: rangeMs, callMs: spread(runs.map((r) => r.cores[i].ranges[k].callMs)),
            flops: range.cost.flops, bytes: range.cost.bytes, gflops: rangeGflops, pctPeak: peak ? rangeGflops / peak : null,
          };
        }),
      };
    });
    const kernelSums = runs.map((r) => r.cores.reduce((a, c) => a + c.kernelMs, 0));
    const callSums = runs.map((r) => r.cores.reduce((a, c) => a + c.callMs, 0));
    const timed = runs.every((r) => r.cores.every((c) => c.timeline));
    const before = timed ? spread(runs.map((r) => r.cores.reduce((a, c) => a + c.timeline!.start - c.callStart, 0))) : null;
    const after = timed ? spread(runs.map((r) => r.cores.reduce((a, c) => a + c.callStart + c.callMs - c.timeline!.end, 0))) : null;
    const profiledRunMs = spread(runs.map((r) => r.totalMs));
    const plainRunMs = spread(entry.plainTotalMs);
    return {
      label: entry.label, variant: entry.variant, backend: entry.config.backend, threads: entry.config.threads, layers,
      kernelSumMs: spread(kernelSums), callSumMs: spread(callSums),
      kernelOverCall: median(kernelSums.map((k, i) => k / callSums[i])),
      beforeKernelMs: before, afterKernelMs: after,
      ortSumMs: spread(runs.map((r) => r.segments.reduce((a, s) => a + ortRunOf(record.ort, s).dur / 1000, 0))),
      profiledRunMs, plainRunMs, overhead: profiledRunMs.median / plainRunMs.median - 1,
      overheadMin: profiledRunMs.min / plainRunMs.min - 1,
      overheadCpu: median(entry.profiledCpuMs) / median(entry.plainCpuMs) - 1,
      profiledCpuMs: spread(entry.profiledCpuMs), plainCpuMs: spread(entry.plainCpuMs),
    };
  });
}
