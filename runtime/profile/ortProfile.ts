import { readFileSync } from 'node:fs';

/** One node (operator) of an ONNX Runtime run, times in µs on the session profiler's clock. */
export interface OrtNodeEvent {
  name: string;
  op: string;
  ts: number;
  dur: number;
}

/** One `session.run` as ONNX Runtime's profiler recorded it (its `model_run` event) and its nodes. */
export interface OrtRunEvent {
  ts: number;
  dur: number;
  nodes: OrtNodeEvent[];
}

interface RawEvent {
  cat?: unknown;
  name?: unknown;
  ph?: unknown;
  ts?: unknown;
  dur?: unknown;
  args?: { op_name?: unknown };
}

/**
 * Parses the JSON an ONNX Runtime session writes at endProfiling() (enableProfiling in its
 * SessionOptions): an array of Chrome trace complete events with `cat` Session or Node. Returns
 * its runs in order; node events (`<node>_kernel_time`) belong to the `model_run` that encloses them.
 */
export function parseOrtProfile(text: string, source: string): OrtRunEvent[] {
  let events: unknown;
  try {
    events = JSON.parse(text);
  } catch {
    throw new Error(`ONNX Runtime profile ${source} is not JSON (was the session closed while writing it?)`);
  }
  if (!Array.isArray(events)) throw new Error(`ONNX Runtime profile ${source} is not an array of trace events`);
  const complete = (events as RawEvent[]).filter((e) => e && e.ph === 'X' && typeof e.ts === 'number' && typeof e.dur === 'number' && typeof e.name === 'string');
  const runs: OrtRunEvent[] = complete.filter((e) => e.cat === 'Session' && e.name === 'model_run')
    .map((e) => ({ ts: e.ts as number, dur: e.dur as number, nodes: [] }))
    .sort((a, b) => a.ts - b.ts);
  for (const e of complete) {
    if (e.cat !== 'Node') continue;
    const ts = e.ts as number;
    const run = runs.find((r) => ts >= r.ts && ts <= r.ts + r.dur);
    if (!run) continue;
    const name = (e.name as string).replace(/_kernel_time$/, '');
    run.nodes.push({ name, op: typeof e.args?.op_name === 'string' ? e.args.op_name : '', ts, dur: e.dur as number });
  }
  return runs;
}

export function readOrtProfile(path: string): OrtRunEvent[] {
  return parseOrtProfile(readFileSync(path, 'utf8'), path);
}
