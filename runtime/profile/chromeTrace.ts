import { RANK_ORDER, type TimelineSlice } from './timeline';

/** A Chrome trace event (the JSON Object Format read by Perfetto and chrome://tracing). */
export interface TraceEvent {
  name: string;
  ph: 'X' | 'M' | 'i';
  ts: number;
  pid: number;
  tid: number;
  dur?: number;
  s?: 'g';
  args?: Record<string, string | number>;
}

export interface ChromeTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
  otherData: { capped: boolean; slices: number; keptSlices: number; cap: number };
}

/** Default slice cap: about 4 MB of JSON at ~200 bytes a slice. */
export const DEFAULT_TRACE_EVENTS = 20000;

const PID = 1;

/**
 * Builds the trace of a merged timeline: one thread (track) per timeline track, complete ('X')
 * slices in µs from the first slice (start and end rounded to ns each, so nested slices stay nested).
 * At most `cap` slices are kept, the lowest rank first (RANK_ORDER) and, within a rank, the
 * earliest; when slices are dropped the trace says so in `otherData` and in a global instant event
 * at its start.
 */
export function chromeTrace(slices: TimelineSlice[], cap = DEFAULT_TRACE_EVENTS): ChromeTrace {
  if (!Number.isInteger(cap) || cap < 1) throw new Error(`the trace event cap must be a positive integer, got ${cap}`);
  const kept = [...slices].sort((a, b) => a.rank - b.rank || a.start - b.start).slice(0, cap);
  const origin = slices.reduce((m, s) => Math.min(m, s.start), Infinity);
  // Kernel tracks first, each followed by its worker threads (their names extend it), then ORT's.
  const order = new Map<string, number>();
  for (const s of slices) order.set(s.track, Math.min(order.get(s.track) ?? Infinity, s.track.startsWith('kernels ') ? 0 : s.rank));
  const tracks = [...order.keys()].sort((a, b) => order.get(a)! - order.get(b)! || a.localeCompare(b));
  const tid = new Map(tracks.map((t, i) => [t, i + 1]));
  const events: TraceEvent[] = [{ name: 'process_name', ph: 'M', ts: 0, pid: PID, tid: 0, args: { name: 'attnscope profile' } }];
  for (const t of tracks) {
    events.push({ name: 'thread_name', ph: 'M', ts: 0, pid: PID, tid: tid.get(t)!, args: { name: t } });
    events.push({ name: 'thread_sort_index', ph: 'M', ts: 0, pid: PID, tid: tid.get(t)!, args: { sort_index: tid.get(t)! } });
  }
  const capped = kept.length < slices.length;
  if (capped) {
    events.push({
      name: `trace capped: ${kept.length} of ${slices.length} slices kept (${RANK_ORDER})`,
      ph: 'i', s: 'g', ts: 0, pid: PID, tid: 0,
    });
  }
  kept.sort((a, b) => a.start - b.start);
  for (const s of kept) {
    const ts = round((s.start - origin) * 1000);
    events.push({ name: s.name, ph: 'X', ts, dur: Math.max(0, round((s.start + s.dur - origin) * 1000) - ts), pid: PID, tid: tid.get(s.track)!, args: s.args });
  }
  return { traceEvents: events, displayTimeUnit: 'ms', otherData: { capped, slices: slices.length, keptSlices: kept.length, cap } };
}

/** Checks the shape Perfetto and chrome://tracing need; returns the problems (empty when valid). */
export function traceProblems(trace: unknown): string[] {
  const problems: string[] = [];
  const events = (trace as { traceEvents?: unknown })?.traceEvents;
  if (!Array.isArray(events)) return ['no traceEvents array'];
  events.forEach((e: Record<string, unknown>, i) => {
    for (const key of ['name', 'ph', 'ts', 'pid', 'tid']) if (e?.[key] === undefined) problems.push(`event ${i} has no ${key}`);
    if (typeof e?.ts !== 'number' || typeof e?.pid !== 'number' || typeof e?.tid !== 'number') problems.push(`event ${i}: ts, pid and tid must be numbers`);
    if (e?.ph === 'X' && !(typeof e.dur === 'number' && e.dur >= 0)) problems.push(`complete event ${i} (${String(e.name)}) has no non-negative dur`);
  });
  return problems;
}

/** µs with 0.001 resolution (ns): enough, and keeps the JSON short. */
function round(us: number): number {
  return Math.round(us * 1000) / 1000;
}
