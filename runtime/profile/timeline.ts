import type { ProfileRecord } from './profileRun';
import type { KernelTimeline } from '../kernels/types';
import type { HeadRange } from './headRanges';
import { ortRunOf } from './aggregate';

/** A slice on the merged timeline; times in ms on performance.now()'s clock. */
export interface TimelineSlice {
  track: string;
  name: string;
  start: number;
  dur: number;
  /**
   * Lower keeps first when the trace is capped: 0 kernel cores, 1 ORT segments, 2 a worker thread's
   * share of a core, 3 a worker's rows of one head, 4 ORT operators.
   */
  rank: SliceRank;
  args: Record<string, string | number>;
}

export type SliceRank = 0 | 1 | 2 | 3 | 4;

/** What the cap drops last to first, in the words of the trace notice and the CLI. */
export const RANK_ORDER = 'kernel cores first, then ORT segments, then worker threads, then their per-head rows, then ORT operators';

export const ORT_SEGMENTS_TRACK = 'ONNX Runtime segments';
export const ORT_NODES_TRACK = 'ONNX Runtime nodes';

/** The track of a kernel backend and thread count. */
export function kernelTrack(backend: string, threads: number): string {
  return `kernels ${backend} ${threads} thread${threads > 1 ? 's' : ''}`;
}

/** The track of one worker thread of a backend and thread count (worker 0 runs the call itself). */
export function workerTrack(backend: string, threads: number, worker: number): string {
  return `${kernelTrack(backend, threads)} · worker ${worker}`;
}

/** Row blocks as text, adjacent ones merged: [0,96),[96,192),[288,384) → "0-191,288-383". */
export function rowText(rows: [number, number][]): string {
  const merged: [number, number][] = [];
  for (const [a, b] of [...rows].sort((x, y) => x[0] - y[0])) {
    const last = merged[merged.length - 1];
    if (last && last[1] === a) last[1] = b;
    else merged.push([a, b]);
  }
  return merged.map(([a, b]) => `${a}-${b - 1}`).join(',');
}

/**
 * A kernel call's slices on its worker threads: per worker, one slice from its first work item's start
 * to its last one's end, and inside it one slice per head it computed rows of (a worker takes items in
 * increasing order, so one head's items on one worker are consecutive). A call without items (wasm,
 * js: one piece on the calling thread) is one slice on worker 0.
 */
export function workerSlices(t: KernelTimeline, layer: number, call: HeadRange, label: { backend: string; threads: number; variant: string; run: number }): TimelineSlice[] {
  const out: TimelineSlice[] = [];
  const callHeads = `${call.from}-${call.to - 1}`;
  const base = { layer, callHeads, variant: label.variant, backend: label.backend, run: label.run };
  if (!t.items.length) {
    out.push({
      track: workerTrack(label.backend, label.threads, 0), name: `L${layer} h${callHeads} worker 0`, start: t.start, dur: t.end - t.start, rank: 2,
      args: { ...base, worker: 0, heads: callHeads, items: 0, busyMs: t.end - t.start },
    });
    return out;
  }
  const workers = [...new Set(t.items.map((i) => i.worker))].sort((a, b) => a - b);
  for (const w of workers) {
    const mine = t.items.filter((i) => i.worker === w).sort((a, b) => a.start - b.start);
    const track = workerTrack(label.backend, label.threads, w);
    const start = mine[0].start;
    const end = mine[mine.length - 1].end;
    const heads = [...new Set(mine.map((i) => i.head))];
    out.push({
      track, name: `L${layer} worker ${w}: ${mine.length} item${mine.length > 1 ? 's' : ''}`, start, dur: end - start, rank: 2,
      args: { ...base, worker: w, heads: heads.join(','), items: mine.length, busyMs: mine.reduce((a, i) => a + i.end - i.start, 0), rowBlock: t.rowBlock },
    });
    for (const h of heads) {
      const items = mine.filter((i) => i.head === h);
      const rows = items.map((i) => i.rows);
      out.push({
        track, name: `L${layer} h${h} rows ${rowText(rows)}`, start: items[0].start, dur: items[items.length - 1].end - items[0].start, rank: 3,
        args: { ...base, worker: w, head: h, rows: rowText(rows), items: items.length },
      });
    }
  }
  return out;
}

/**
 * One timeline of every measured run: ONNX Runtime's segments as the engine timed them (with ORT's
 * own `model_run` time as an argument), ORT's operator events placed inside them (ORT's profiler
 * clock is per session, so each run's events are shifted to start where the engine's call started),
 * one slice per core on its backend's track, and each core's share on every worker thread that ran
 * it (workerSlices). A kernel slice spans the kernel's own clock: where the backend gave its timeline
 * (native, wasm) exactly when the kernel ran, otherwise (js) its length centred in the measured call.
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
            track: ORT_NODES_TRACK, name: node.name, start: seg.start + (node.ts - ort.ts) / 1000, dur: node.dur / 1000, rank: 4,
            args: { op: node.op, segment: seg.segment, run: r + 1 },
          });
        }
      }
      const label = { backend, threads, variant, run: r + 1 };
      for (const core of run.cores) {
        out.push({
          track: kernelTrack(backend, threads), name: `L${core.layer} h0-${core.qHeads - 1} ${variant} ${backend}`,
          start: kernelStart(core), dur: core.kernelMs, rank: 0,
          args: { layer: core.layer, heads: `0-${core.qHeads - 1}`, variant, backend, threads, run: r + 1, flops: core.cost.flops, bytes: core.cost.bytes, callMs: core.callMs },
        });
        if (core.timeline) out.push(...workerSlices(core.timeline, core.layer, { from: 0, to: core.qHeads }, label));
        for (const range of core.ranges) {
          out.push({
            track: kernelTrack(backend, threads), name: `L${core.layer} h${range.from}-${range.to - 1} ${variant} ${backend}`,
            start: kernelStart(range), dur: range.kernelMs, rank: 0,
            args: { layer: core.layer, heads: `${range.from}-${range.to - 1}`, variant, backend, threads, run: r + 1, flops: range.cost.flops, bytes: range.cost.bytes, callMs: range.callMs, split: 'head range as its own call' },
          });
          if (range.timeline) {
            const shifted = { ...range.timeline, items: range.timeline.items.map((i) => ({ ...i, head: i.head + range.from })) };
            out.push(...workerSlices(shifted, core.layer, range, label));
          }
        }
      }
    });
  }
  return out;
}

/** Where a kernel slice starts: the kernel's own start where its timeline gives one, else its length centred in the call. */
function kernelStart(call: { callStart: number; callMs: number; kernelMs: number; timeline: KernelTimeline | null }): number {
  return call.timeline ? call.timeline.start : call.callStart + Math.max(0, (call.callMs - call.kernelMs) / 2);
}
