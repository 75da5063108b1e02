import type { ProfileRecord } from './profileRun';
import { ortRunOf } from './aggregate';

/** A slice on the merged timeline; times in ms on performance.now()'s clock. */
export interface TimelineSlice {
  track: string;
  name: string;
  start: number;
  dur: number;
  /** Lower keeps first when the trace is capped: 0 kernel cores, 1 ORT segments, 2 ORT nodes. */
  rank: 0 | 1 | 2;
  args: Record<string, string | number>;
}

export const ORT_SEGMENTS_TRACK = 'ONNX Runtime segments';
export const ORT_NODES_TRACK = 'ONNX Runtime nodes';

/** The track of a kernel backend and thread count. */
export function kernelTrack(backend: string, threads: number): string {
  return `kernels ${backend} ${threads} thread${threads > 1 ? 's' : ''}`;
}

/**
 * One timeline of every measured run: ONNX Runtime's segments as the engine timed them (with ORT's
 * own `model_run` time as an argument), ORT's operator events placed inside them (ORT's profiler
 * clock is per session, so each run's events are shifted to start where the engine's call started),
 * and one slice per core on its backend's track. A kernel slice is as long as the kernel's own clock
 * says, centred in the engine-measured call (that clock gives a length, not a start).
 */
export function mergedTimeline(record: ProfileRecord): TimelineSlice[] {
  const out: TimelineSlice[] = [];
  for (const entry of record.configs) {
    const { backend, threads } = entry.config;
    const variant = entry.variant;
    entry.runs.forEach((run, r) => {
      for (const seg of run.segments) {
        const ort = ortRunOf(record.ort, seg);
        out.push({
          track: ORT_SEGMENTS_TRACK, name: `segment ${seg.segment}`, start: seg.start, dur: seg.dur, rank: 1,
          args: { run: r + 1, config: entry.label, ortModelRunMs: ort.dur / 1000, operators: ort.nodes.length },
        });
        for (const node of ort.nodes) {
          out.push({
            track: ORT_NODES_TRACK, name: node.name, start: seg.start + (node.ts - ort.ts) / 1000, dur: node.dur / 1000, rank: 2,
            args: { op: node.op, segment: seg.segment, run: r + 1 },
          });
        }
      }
      for (const core of run.cores) {
        const lead = Math.max(0, (core.callMs - core.kernelMs) / 2);
        out.push({
          track: kernelTrack(backend, threads), name: `L${core.layer} h0-${core.qHeads - 1} ${variant} ${backend}`,
          start: core.callStart + lead, dur: core.kernelMs, rank: 0,
          args: { layer: core.layer, heads: `0-${core.qHeads - 1}`, variant, backend, threads, run: r + 1, flops: core.cost.flops, bytes: core.cost.bytes, callMs: core.callMs },
        });
        for (const range of core.ranges) {
          out.push({
            track: kernelTrack(backend, threads), name: `L${core.layer} h${range.from}-${range.to - 1} ${variant} ${backend}`,
            start: range.callStart + Math.max(0, (range.callMs - range.kernelMs) / 2), dur: range.kernelMs, rank: 0,
            args: { layer: core.layer, heads: `${range.from}-${range.to - 1}`, variant, backend, threads, run: r + 1, flops: range.cost.flops, bytes: range.cost.bytes, callMs: range.callMs, split: 'head range as its own call' },
          });
        }
      }
    });
  }
  return out;
}
