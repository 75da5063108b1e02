// `attnscope profile` on a fixture model (GPT-2, 2 layers, torchscript export): every measured run of
// every configuration has a kernel slice per core and a segment slice per ORT segment, the native
// and wasm kernels' work shows on one track per worker thread inside the core's slice, ORT's own
// profile holds one model_run per segment call, the trace validates as Chrome trace JSON, and the
// CLI's --json report and --trace file agree with it. Checks structure, never speed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SegmentedModel } from '../../runtime/engine/runner';
import { profileModel, type ProfileConfig } from '../../runtime/profile/profileRun';
import { aggregate } from '../../runtime/profile/aggregate';
import { mergedTimeline, kernelTrack, workerTrack, ORT_SEGMENTS_TRACK } from '../../runtime/profile/timeline';
import { chromeTrace, traceProblems, type ChromeTrace } from '../../runtime/profile/chromeTrace';
import { coreCost } from '../../runtime/profile/cost';
import { profileCommand } from '../../runtime/cli/profile';
import { formatVariant } from '../../runtime/kernels/variants';
import type { ProfileReport } from '../../runtime/profile/format';

const fixture = join(__dirname, '..', 'fixtures', 'models', 'gpt2-eager-ts17');
const modelPath = join(fixture, 'model.onnx');
const ids = (JSON.parse(readFileSync(join(fixture, 'case.json'), 'utf8')) as { inputIds: number[] }).inputIds;

test('profiled runs cover every core and segment of every run, and the trace shows them all', async () => {
  const model = SegmentedModel.open(modelPath);
  const configs: ProfileConfig[] = [
    { variant: { id: 'softmax', params: {} }, backend: 'js', threads: 1 },
    { variant: { id: 'sigmoid', params: { b: 0 } }, backend: 'wasm', threads: 1 },
    { variant: { id: 'softmax', params: {} }, backend: 'native', threads: 2 },
  ];
  const repeat = 3;
  const record = await profileModel(model, ids, { configs, repeat, headRanges: 2 });
  const segments = model.plan.segments.filter((s) => s.nodes.length).map((s) => s.index);
  for (const entry of record.configs) {
    assert.equal(entry.runs.length, repeat);
    assert.equal(entry.plainTotalMs.length, repeat);
    for (const run of entry.runs) {
      assert.deepEqual(run.cores.map((c) => c.layer), model.cores.map((c) => c.layer));
      assert.deepEqual(run.segments.map((s) => s.segment), segments);
      for (const c of run.cores) {
        // The kernel's clock runs inside the engine-measured call.
        assert.ok(c.kernelMs > 0 && c.kernelMs <= c.callMs + 1e-3, `layer ${c.layer}: kernel ${c.kernelMs} ms, call ${c.callMs} ms`);
        // Its timeline (js has none) lies inside the call, as long as the kernel's clock; native work items cover every row of every head once.
        assert.equal(c.timeline === null, entry.config.backend === 'js');
        if (c.timeline) {
          const t = c.timeline;
          assert.ok(t.start >= c.callStart - 0.01 && t.end <= c.callStart + c.callMs + 0.01, `layer ${c.layer}: kernel ${t.start}-${t.end} outside the call`);
          assert.ok(Math.abs(t.end - t.start - c.kernelMs) < 0.01);
          if (entry.config.backend === 'native') {
            const tq = t.items.reduce((m, i) => Math.max(m, i.rows[1]), 0);
            assert.equal(t.items.length, c.qHeads * Math.ceil(tq / t.rowBlock));
            for (let h = 0; h < c.qHeads; h++) {
              const rows = t.items.filter((i) => i.head === h).map((i) => i.rows).sort((a, b) => a[0] - b[0]);
              assert.deepEqual(rows.flat(), Array.from({ length: rows.length }, (_, b) => [b * t.rowBlock, Math.min(tq, (b + 1) * t.rowBlock)]).flat());
            }
            assert.ok(t.items.every((i) => i.worker >= 0 && i.worker < t.threads && i.start >= t.start && i.end <= t.end && i.start <= i.end));
            assert.ok(t.threads >= 1 && t.threads <= 2);
          } else assert.equal(t.items.length, 0);
        }
        assert.deepEqual(c.ranges.map((h) => [h.from, h.to]), [[0, c.qHeads / 2], [c.qHeads / 2, c.qHeads]]);
        assert.equal(c.ranges[0].cost.flops + c.ranges[1].cost.flops, c.cost.flops);
      }
    }
  }
  // One warm-up and `repeat` rounds per configuration: that many model_run events per segment session.
  for (const s of segments) assert.equal(record.ort.get(s)?.length, configs.length * (repeat + 1), `segment ${s}`);
  assert.ok([...record.ort.values()].flat().every((r) => r.nodes.length > 0), 'every ORT run has its operators');

  const profiles = aggregate(record, model.plan, () => 100);
  assert.equal(profiles.length, configs.length);
  for (const p of profiles) {
    assert.equal(p.layers.length, model.cores.length);
    for (const l of p.layers) {
      assert.equal(l.kernelMs.samples, repeat);
      assert.equal(l.ranges.length, 2);
      assert.ok(l.ranges.every((r) => r.kernelMs.samples === repeat && r.flops > 0));
      assert.ok(l.ortBeforeMs !== null && l.ortAfterMs !== null, 'GPT-2 has a segment before and after every core');
      assert.ok(l.kernelMs.min <= l.kernelMs.median && l.kernelMs.median <= l.kernelMs.max);
    }
  }
  const input = { ...(await model.run(ids, { backend: 'js' })).cores[0].input };
  assert.equal(profiles[0].layers[0].flops, coreCost(input).flops);

  const trace = chromeTrace(mergedTimeline(record));
  assert.deepEqual(traceProblems(JSON.parse(JSON.stringify(trace))), []);
  assert.equal(trace.otherData.capped, false);
  const tidOf = new Map(trace.traceEvents.filter((e) => e.name === 'thread_name').map((e) => [String(e.args?.name), e.tid]));
  const slicesOn = (track: string): ChromeTrace['traceEvents'] => trace.traceEvents.filter((e) => e.ph === 'X' && e.tid === tidOf.get(track));
  for (const { config } of record.configs) {
    const kernels = slicesOn(kernelTrack(config.backend, config.threads));
    for (let run = 1; run <= repeat; run++) {
      for (const core of model.cores) {
        const heads = record.configs[0].runs[0].cores.find((c) => c.layer === core.layer)!.qHeads;
        const ofCore = kernels.filter((e) => e.args?.run === run && e.args?.layer === core.layer);
        assert.deepEqual(ofCore.map((e) => e.args?.heads), [`0-${heads - 1}`, `0-${heads / 2 - 1}`, `${heads / 2}-${heads - 1}`]);
        const slice = ofCore.slice(0, 1);
        assert.equal(slice[0].name, `L${core.layer} h0-${heads - 1} ${formatVariant(config.variant!)} ${config.backend}`);
        assert.ok(Number(slice[0].args?.flops) > 0 && Number(slice[0].args?.bytes) > 0);
      }
    }
  }
  assert.equal(slicesOn(ORT_SEGMENTS_TRACK).length, configs.length * repeat * segments.length);
  // One track per worker thread: each core's share of a worker lies inside the core's kernel slice,
  // and the items on all workers add up to the call's work items.
  for (const entry of record.configs.filter((e) => e.config.backend !== 'js')) {
    const { backend, threads } = entry.config;
    const kernels = slicesOn(kernelTrack(backend, threads));
    const workers = Array.from({ length: threads }, (_, w) => slicesOn(workerTrack(backend, threads, w)));
    // Work items are taken dynamically: on a busy machine the pool thread can take every item of a
    // small call before the calling thread (worker 0) starts, so only the union is sure to have slices.
    assert.ok(workers.some((w) => w.length > 0), `${backend}: the worker tracks have slices`);
    entry.runs.forEach((run, r) => {
      for (const core of run.cores) {
        const [whole] = kernels.filter((e) => e.args?.run === r + 1 && e.args?.layer === core.layer);
        const ofCall = workers.flat().filter((e) => e.args?.run === r + 1 && e.args?.layer === core.layer && e.args?.callHeads === `0-${core.qHeads - 1}`);
        const shares = ofCall.filter((e) => e.args?.busyMs !== undefined);
        assert.ok(shares.length >= 1);
        for (const e of shares) assert.ok(e.ts >= whole.ts && e.ts + e.dur! <= whole.ts + whole.dur!, `${e.name} outside ${whole.name}`);
        assert.equal(shares.reduce((a, e) => a + Number(e.args?.items), 0), core.timeline!.items.length);
        const heads = ofCall.filter((e) => e.args?.head !== undefined);
        if (backend === 'native') assert.deepEqual([...new Set(heads.map((e) => e.args?.head))].sort((a, b) => Number(a) - Number(b)), Array.from({ length: core.qHeads }, (_, h) => h));
      }
    });
  }
  await model.release();
});

test('the profile command: --json report per variant and backend, and a valid capped trace file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'attnscope-profile-'));
  const tracePath = join(dir, 'trace.json');
  const out = await profileCommand(['--model', modelPath, '--ids', ids.join(','), '--variant', 'softmax,shiftmax', '--backend', 'js',
    '--repeat', '2', '--trace', tracePath, '--trace-events', '10', '--json']);
  const report = JSON.parse(out) as ProfileReport;
  assert.equal(report.tokens, ids.length);
  assert.deepEqual(report.configs.map((c) => c.label), ['softmax · js · 1 thread', 'shiftmax:n=15,bits=8,x0=0,exp=0,div=31 · js · 1 thread']);
  assert.ok(report.configs.every((c) => c.layers.length === 2 && c.kernelSumMs.samples === 2));
  const trace = JSON.parse(readFileSync(tracePath, 'utf8')) as ChromeTrace;
  assert.deepEqual(traceProblems(trace), []);
  assert.equal(trace.otherData.capped, true);
  assert.equal(report.trace?.capped, true);
  // 2 configs × 2 runs × 2 layers = 8 kernel slices kept first, then 2 segment slices.
  assert.equal(trace.traceEvents.filter((e) => e.ph === 'X' && String(e.name).startsWith('L')).length, 8);
  assert.ok(trace.traceEvents.some((e) => e.ph === 'i' && /trace capped/.test(e.name)));
  await assert.rejects(profileCommand(['--model', modelPath, '--backend', 'cuda']), /unknown backend "cuda"/);
  await assert.rejects(profileCommand(['--model', modelPath, '--ids', '1,2', '--tokens', '5']), /the prompt has 2 tokens but --tokens asks for 5/);
});
