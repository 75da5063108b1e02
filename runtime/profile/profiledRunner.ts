import * as ort from 'onnxruntime-node';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelError } from '../model/errors';
import { coreInputs } from '../model/segment';
import { DataType } from '../model/onnx/proto';
import { nativeVariant, ortSessionOptions, type SegmentedModel } from '../engine/runner';
import { runCore } from '../engine/core-run';
import { encodeSegment } from '../engine/segment-model';
import { initializerTensor, makeTensor } from '../engine/tensors';
import type { AttentionBackend, AttentionRequest, AttentionResult, KernelTimeline, VariantSpec } from '../kernels/types';
import { readOrtProfile, type OrtRunEvent } from './ortProfile';
import { coreCost, type CoreCost } from './cost';
import { timeHeadRanges, type HeadRangeTiming } from './headRanges';

/** One segment's `session.run` in a profiled run (ms on performance.now()'s clock). */
export interface SegmentTiming {
  segment: number;
  start: number;
  dur: number;
  /** Index of this call among all calls of this segment's session (its n-th `model_run`). */
  call: number;
}

/** One core in a profiled run. */
export interface CoreTiming {
  layer: number;
  qHeads: number;
  /** The backend call as the engine saw it: from before `backend.run` to its resolved promise. */
  callStart: number;
  callMs: number;
  /** AttentionStats.wallMs: the kernel's own clock (steady_clock in the addon, performance.now in wasm/js). */
  kernelMs: number;
  /** When the kernel ran inside the call and, on native, which worker thread ran which (head, row block). */
  timeline: KernelTimeline | null;
  /** FLOPs and bytes of the call (counted once per layer: the prompt fixes shapes and mask). */
  cost: CoreCost;
  /** With `headRanges` > 1: each head range computed again as its own call (empty otherwise). */
  ranges: HeadRangeTiming[];
}

export interface ProfiledRun {
  start: number;
  totalMs: number;
  segments: SegmentTiming[];
  cores: CoreTiming[];
}

export interface ProfiledRunOptions {
  backend: AttentionBackend;
  variant: VariantSpec | null;
  threads?: number;
  /** Also time the core's heads in this many ranges, one kernel call each (default 1: no split). */
  headRanges?: number;
}

/**
 * The segmented run of runtime/engine/runner.ts with timestamps: the same segments (each in its own
 * ONNX Runtime session, here with the session profiler on) and the same cores (runCore), plus the
 * engine-side start and length of every segment and kernel call. Sessions are made on the first run
 * and reused; close() ends ONNX Runtime's profiling and returns each segment's `model_run` events.
 *
 * Make the first run before the model's own `run` builds its sessions: that run frees the decoded
 * weights this runner encodes its segments from.
 */
export class ProfiledRunner {
  private readonly sessions = new Map<number, ort.InferenceSession>();
  private readonly calls = new Map<number, number>();
  private readonly costs = new Map<number, CoreCost>();
  private readonly lastUse = new Map<string, number>();
  private readonly dir = mkdtempSync(join(tmpdir(), 'attnscope-ort-profile-'));

  constructor(private readonly model: SegmentedModel, private readonly threads?: number) {
    const plan = model.plan;
    plan.segments.forEach((seg) => { for (const t of seg.inputs) this.lastUse.set(t, Math.max(this.lastUse.get(t) ?? 0, seg.index)); });
    plan.coresAfter.forEach((list, s) => {
      for (const ci of list) for (const t of coreInputs(model.cores[ci])) this.lastUse.set(t, Math.max(this.lastUse.get(t) ?? 0, s));
    });
    for (const o of model.graph.outputs) this.lastUse.set(o.name ?? '', Number.MAX_SAFE_INTEGER);
  }

  async run(ids: number[], options: ProfiledRunOptions): Promise<ProfiledRun> {
    const model = this.model;
    const start = performance.now();
    const store = new Map<string, ort.Tensor>(Object.entries(model.feeds(ids)));
    const read = (name: string): ort.Tensor => {
      const t = store.get(name);
      if (t) return t;
      const init = model.graph.initializers.get(name);
      if (init) return initializerTensor(init);
      const c = model.graph.constant(name);
      if (c) return makeTensor(DataType.FLOAT, c, c.length === 1 ? [] : [c.length]);
      throw new ModelError('unsupported-core', `tensor ${name} is needed by an attention core but no segment computed it`);
    };
    const segments: SegmentTiming[] = [];
    const cores: CoreTiming[] = [];
    for (const seg of model.plan.segments) {
      if (seg.nodes.length) {
        const session = await this.session(seg.index, read);
        const feeds: Record<string, ort.Tensor> = {};
        for (const name of seg.inputs) feeds[name] = read(name);
        const s0 = performance.now();
        const result = await session.run(feeds);
        const call = this.calls.get(seg.index) ?? 0;
        this.calls.set(seg.index, call + 1);
        segments.push({ segment: seg.index, start: s0, dur: performance.now() - s0, call });
        for (const name of seg.outputs) store.set(name, result[name]);
      }
      for (const ci of model.plan.coresAfter[seg.index]) {
        const core = model.cores[ci];
        const timed = timedBackend(options.backend);
        const variant = options.variant ?? nativeVariant(core);
        const { outputs, run } = await runCore(core, read, timed.backend, variant, options.threads);
        for (const [name, t] of outputs) store.set(name, t);
        const cost = this.costs.get(core.layer) ?? coreCost(run.input);
        this.costs.set(core.layer, cost);
        const ranges = (options.headRanges ?? 1) > 1 ? await timeHeadRanges(options.backend, run.input, variant, options.threads, options.headRanges ?? 1) : [];
        cores.push({
          layer: core.layer, qHeads: run.input.qHeads, callStart: timed.start(), callMs: timed.ms(), kernelMs: run.stats.wallMs,
          timeline: run.stats.timeline ?? null, cost, ranges,
        });
      }
      for (const [name] of store) if ((this.lastUse.get(name) ?? -1) <= seg.index) store.delete(name);
    }
    return { start, totalMs: performance.now() - start, segments, cores };
  }

  /** Ends ONNX Runtime's profiling of every session, reads its JSON, and releases the sessions. */
  async close(): Promise<Map<number, OrtRunEvent[]>> {
    const out = new Map<number, OrtRunEvent[]>();
    try {
      for (const [index, session] of this.sessions) {
        session.endProfiling();
        const file = readdirSync(this.dir).find((f) => f.startsWith(`segment${index}_`) && f.endsWith('.json'));
        if (!file) throw new Error(`ONNX Runtime wrote no profile for segment ${index} in ${this.dir}`);
        out.set(index, readOrtProfile(join(this.dir, file)));
        await session.release();
      }
    } finally {
      this.sessions.clear();
      rmSync(this.dir, { recursive: true, force: true });
    }
    return out;
  }

  private async session(index: number, read: (name: string) => ort.Tensor): Promise<ort.InferenceSession> {
    const cached = this.sessions.get(index);
    if (cached) return cached;
    const seg = this.model.plan.segments[index];
    const bytes = encodeSegment(this.model.model.proto, this.model.graph, seg, (name) => read(name).type);
    // The engine's session options (runner.ts) plus ONNX Runtime's profiler, one file per segment.
    const session = await ort.InferenceSession.create(bytes, {
      ...ortSessionOptions(this.threads),
      enableProfiling: true, profileFilePrefix: join(this.dir, `segment${index}`),
    });
    this.sessions.set(index, session);
    return session;
  }
}

/** A backend that records when its one call started and how long it took, as the engine sees it, and asks for the kernel's timeline. */
function timedBackend(inner: AttentionBackend): { backend: AttentionBackend; start(): number; ms(): number } {
  let t0 = NaN;
  let t1 = NaN;
  const backend: AttentionBackend = {
    id: inner.id,
    variants: inner.variants,
    async run(request: AttentionRequest): Promise<AttentionResult> {
      t0 = performance.now();
      const result = await inner.run({ ...request, timeline: true });
      t1 = performance.now();
      return result;
    },
  };
  return { backend, start: () => t0, ms: () => t1 - t0 };
}
