// The pieces of the profile trace: ONNX Runtime's profile JSON read into runs and operators, the
// Chrome trace writer (tracks, µs, the cap and its notice), the validator the model test uses, and
// the --variant list of the profile command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOrtProfile } from '../../runtime/profile/ortProfile';
import { chromeTrace, traceProblems } from '../../runtime/profile/chromeTrace';
import { rowText, workerSlices, type TimelineSlice } from '../../runtime/profile/timeline';
import type { KernelTimeline } from '../../runtime/kernels/types';
import { variantList } from '../../runtime/cli/profile';

test('ORT profile: model_run events in order, operators inside the run that encloses them, names without _kernel_time', () => {
  const events = [
    { cat: 'Session', ph: 'X', name: 'session_initialization', ts: 10, dur: 100, pid: 1, tid: 1, args: {} },
    { cat: 'Session', ph: 'X', name: 'model_run', ts: 500, dur: 50, pid: 1, tid: 1, args: {} },
    { cat: 'Node', ph: 'X', name: '/MatMul_kernel_time', ts: 505, dur: 20, pid: 1, tid: 1, args: { op_name: 'MatMul' } },
    { cat: 'Session', ph: 'X', name: 'model_run', ts: 200, dur: 60, pid: 1, tid: 1, args: {} },
    { cat: 'Node', ph: 'X', name: '/Add_kernel_time', ts: 210, dur: 5, pid: 1, tid: 1, args: { op_name: 'Add' } },
    { cat: 'Session', ph: 'X', name: 'SequentialExecutor::Execute', ts: 201, dur: 58, pid: 1, tid: 1, args: {} },
  ];
  const runs = parseOrtProfile(JSON.stringify(events), 'test.json');
  assert.deepEqual(runs.map((r) => [r.ts, r.dur]), [[200, 60], [500, 50]]);
  assert.deepEqual(runs[0].nodes, [{ name: '/Add', op: 'Add', ts: 210, dur: 5 }]);
  assert.deepEqual(runs[1].nodes, [{ name: '/MatMul', op: 'MatMul', ts: 505, dur: 20 }]);
  assert.throws(() => parseOrtProfile('[{"cat": ', 'cut.json'), /cut\.json is not JSON/);
  assert.throws(() => parseOrtProfile('{}', 'obj.json'), /not an array/);
});

function slices(kernels: number, segments: number, nodes: number): TimelineSlice[] {
  const out: TimelineSlice[] = [];
  const add = (n: number, rank: 0 | 1 | 2, track: string): void => {
    for (let i = 0; i < n; i++) out.push({ track, name: `${track} ${i}`, start: 100 + i, dur: 0.5, rank, args: { i } });
  };
  add(nodes, 2, 'ONNX Runtime nodes');
  add(segments, 1, 'ONNX Runtime segments');
  add(kernels, 0, 'kernels native 2 threads');
  return out;
}

test('Chrome trace: one named thread per track, complete events in µs from the first slice', () => {
  const trace = chromeTrace(slices(3, 2, 4), 100);
  assert.deepEqual(traceProblems(trace), []);
  assert.equal(trace.otherData.capped, false);
  const names = new Map(trace.traceEvents.filter((e) => e.name === 'thread_name').map((e) => [e.tid, String(e.args?.name)]));
  assert.deepEqual([...names.values()], ['kernels native 2 threads', 'ONNX Runtime segments', 'ONNX Runtime nodes']);
  const complete = trace.traceEvents.filter((e) => e.ph === 'X');
  assert.equal(complete.length, 9);
  assert.equal(Math.min(...complete.map((e) => e.ts)), 0);
  assert.ok(complete.every((e) => e.dur === 500));
  // JSON round trip keeps it valid (what Perfetto reads).
  assert.deepEqual(traceProblems(JSON.parse(JSON.stringify(trace))), []);
});

test('the cap keeps kernel slices first, then segments, and says it capped', () => {
  const trace = chromeTrace(slices(3, 2, 50), 4);
  const complete = trace.traceEvents.filter((e) => e.ph === 'X');
  assert.equal(complete.length, 4);
  assert.deepEqual(trace.otherData, { capped: true, slices: 55, keptSlices: 4, cap: 4 });
  const kept = complete.map((e) => e.name).sort();
  assert.deepEqual(kept, ['ONNX Runtime segments 0', 'kernels native 2 threads 0', 'kernels native 2 threads 1', 'kernels native 2 threads 2']);
  const notice = trace.traceEvents.find((e) => e.ph === 'i');
  assert.match(notice?.name ?? '', /trace capped: 4 of 55 slices kept/);
  assert.throws(() => chromeTrace(slices(1, 0, 0), 0), /positive integer/);
});

test('worker tracks: per worker one slice over its items and one per head with its rows, nested; a call without items is one slice on worker 0', () => {
  // 2 heads x 2 row blocks of 8 rows (tq 12), items 0..3 in attn_items() order, shared by 2 workers.
  const item = (worker: number, i: number, start: number, end: number): KernelTimeline['items'][number] =>
    ({ worker, head: Math.floor(i / 2), rows: [(i % 2) * 8, Math.min(12, (i % 2 + 1) * 8)], start, end });
  const t: KernelTimeline = { start: 10, end: 20, threads: 2, rowBlock: 8, items: [item(0, 0, 10, 12), item(1, 1, 10.5, 13), item(0, 2, 12, 15), item(0, 3, 15, 19)] };
  const out = workerSlices(t, 3, { from: 0, to: 2 }, { backend: 'native', threads: 2, variant: 'softmax', run: 1 });
  const w0 = out.filter((s) => s.track === 'kernels native 2 threads · worker 0');
  const w1 = out.filter((s) => s.track === 'kernels native 2 threads · worker 1');
  assert.deepEqual(w0.map((s) => [s.name, s.start, s.dur, s.rank]), [
    ['L3 worker 0: 3 items', 10, 9, 2], ['L3 h0 rows 0-7', 10, 2, 3], ['L3 h1 rows 0-11', 12, 7, 3],
  ]);
  assert.deepEqual(w1.map((s) => [s.name, s.start, s.dur]), [['L3 worker 1: 1 item', 10.5, 2.5], ['L3 h0 rows 8-11', 10.5, 2.5]]);
  assert.equal(w0[0].args.busyMs, 9);
  assert.equal(w0[0].args.callHeads, '0-1');
  const trace = chromeTrace(out);
  assert.deepEqual(traceProblems(trace), []);
  const names = trace.traceEvents.filter((e) => e.name === 'thread_name').map((e) => e.args?.name);
  assert.deepEqual(names, ['kernels native 2 threads · worker 0', 'kernels native 2 threads · worker 1']);
  const wasm = workerSlices({ start: 5, end: 7, threads: 1, rowBlock: 0, items: [] }, 0, { from: 0, to: 4 }, { backend: 'wasm', threads: 1, variant: 'softmax', run: 2 });
  assert.deepEqual(wasm.map((s) => [s.track, s.name, s.start, s.dur]), [['kernels wasm 1 thread · worker 0', 'L0 h0-3 worker 0', 5, 2]]);
  assert.equal(rowText([[96, 192], [0, 96], [288, 300]]), '0-191,288-299');
});

test('the validator names what a viewer would reject', () => {
  assert.deepEqual(traceProblems({}), ['no traceEvents array']);
  const problems = traceProblems({ traceEvents: [{ name: 'a', ph: 'X', ts: 0, pid: 1, tid: 1 }, { name: 'b', ph: 'i', ts: 1, pid: 1 }] });
  assert.ok(problems.some((p) => /complete event 0 \(a\) has no non-negative dur/.test(p)));
  assert.ok(problems.some((p) => /event 1 has no tid/.test(p)));
});

test('--variant lists: parameters of a variant stay with it', () => {
  assert.deepEqual(variantList('softmax,shiftmax:n=15,bits=8,sigmoid:b=-2'), ['softmax', 'shiftmax:n=15,bits=8', 'sigmoid:b=-2']);
  assert.deepEqual(variantList('softmax, softmax'), ['softmax']);
  assert.throws(() => variantList('n=15,softmax'), /starts with a parameter "n=15"/);
  assert.throws(() => variantList(' , '), /--variant is empty/);
});
