import * as ort from 'onnxruntime-node';
import { basename } from 'node:path';
import { ModelError } from '../model/errors';
import { GraphIndex } from '../model/graph';
import { loadModel, type LoadedModel } from '../model/onnx/load';
import { detectCores, type Detection } from '../model/detect/detect';
import { coreInputs, planSegments, type SegmentPlan } from '../model/segment';
import { maxPositions } from '../model/positions';
import type { AttentionCore } from '../model/detect/core';
import type { AttentionBackend, BackendId, VariantSpec } from '../kernels/types';
import { getBackend } from './backends';
import { runCore, type CoreRun } from './core-run';
import { modelFeeds } from './inputs';
import { encodeSegment } from './segment-model';
import { initializerTensor, makeTensor } from './tensors';
import { DataType } from '../model/onnx/proto';

/** Initializers up to this size stay decoded after the sessions exist (scales, masks, shapes). */
const SMALL_CONSTANT_BYTES = 4096;

export interface RunOptions {
  backend?: BackendId;
  /** One variant for every core, or null: each core's own normalizer (softmax, sigmoid, ...). */
  variant?: VariantSpec | null;
  threads?: number;
  /** Keep each core's kernel input (Q, K, V) so any head can be recomputed (default true). */
  keepInputs?: boolean;
  /**
   * A backend object used instead of `backend` for every core: the analyses' quantised attention
   * paths and the streaming-window wrapper (runtime/analysis/backends.ts).
   */
  kernel?: AttentionBackend;
  /** Sees every segment's outputs as they are computed (the analyses read the residual stream here). */
  onSegmentOutputs?: (segment: number, outputs: Record<string, ort.Tensor>) => void;
}

export interface SegmentedRun {
  outputs: Record<string, ort.Tensor>;
  cores: CoreRun[];
  totalMs: number;
  kernelMs: number;
  ortMs: number;
}

/**
 * A loaded model cut at its attention cores. ONNX Runtime sessions (one per segment, one for the
 * unmodified model) are created on first use and reused for every prompt.
 */
export class SegmentedModel {
  readonly name: string;
  readonly graph: GraphIndex;
  readonly detection: Detection;
  readonly plan: SegmentPlan;
  readonly maxPositions: number | null;
  private readonly sessions = new Map<number, ort.InferenceSession>();
  private full: ort.InferenceSession | null = null;
  private readonly lastUse = new Map<string, number>();

  private constructor(readonly model: LoadedModel, private readonly threads?: number) {
    this.name = basename(model.path);
    if (!model.proto.graph) throw new ModelError('not-onnx', `${this.name} has no graph`);
    this.graph = new GraphIndex(model.proto.graph, model.opset);
    this.detection = detectCores(this.graph, this.name);
    this.plan = planSegments(this.graph, this.detection.cores);
    this.maxPositions = minPositions([maxPositions(this.graph), ...this.detection.cores.map((c) => rotaryRows(this.graph, c))]);
    const outputs = new Set(this.graph.outputs.map((o) => o.name ?? ''));
    this.plan.segments.forEach((seg) => {
      for (const t of seg.inputs) this.lastUse.set(t, Math.max(this.lastUse.get(t) ?? 0, seg.index));
    });
    this.plan.coresAfter.forEach((list, s) => {
      for (const ci of list) for (const t of coreInputs(this.detection.cores[ci])) this.lastUse.set(t, Math.max(this.lastUse.get(t) ?? 0, s));
    });
    for (const o of outputs) this.lastUse.set(o, Number.MAX_SAFE_INTEGER);
  }

  static open(path: string, options: { threads?: number } = {}): SegmentedModel {
    return new SegmentedModel(loadModel(path), options.threads);
  }

  get cores(): AttentionCore[] { return this.detection.cores; }

  /** Checks the prompt against the model's positions and builds its input feeds. */
  feeds(ids: number[]): Record<string, ort.Tensor> {
    if (!ids.length) throw new ModelError('bad-input', 'the prompt has no tokens; give --prompt text or --ids 1,2,3');
    if (this.maxPositions !== null && ids.length > this.maxPositions) {
      throw new ModelError('prompt-too-long', `the prompt has ${ids.length} tokens but ${this.name} has ${this.maxPositions} positions; shorten the prompt to at most ${this.maxPositions} tokens`);
    }
    return modelFeeds(this.graph, ids);
  }

  /** The unmodified model in ONNX Runtime (the reference of the segmented run). */
  async runReference(ids: number[]): Promise<Record<string, ort.Tensor>> {
    const feeds = this.feeds(ids);
    if (!this.full) this.full = await ort.InferenceSession.create(this.model.path, this.sessionOptions());
    return this.full.run(feeds) as Promise<Record<string, ort.Tensor>>;
  }

  /** The model cut into segments, each core computed by our kernel. */
  async run(ids: number[], options: RunOptions = {}): Promise<SegmentedRun> {
    const t0 = performance.now();
    const store = new Map<string, ort.Tensor>(Object.entries(this.feeds(ids)));
    const backend = options.kernel ?? await getBackend(options.backend ?? 'js');
    const cores: CoreRun[] = [];
    let kernelMs = 0;
    let ortMs = 0;
    const read = (name: string): ort.Tensor => {
      const t = store.get(name);
      if (t) return t;
      const init = this.graph.initializers.get(name);
      if (init) return initializerTensor(init);
      const c = this.graph.constant(name);
      if (c) return makeTensor(DataType.FLOAT, c, c.length === 1 ? [] : [c.length]);
      throw new ModelError('unsupported-core', `tensor ${name} is needed by an attention core but no segment computed it`);
    };
    for (const seg of this.plan.segments) {
      if (seg.nodes.length) {
        const s0 = performance.now();
        const session = await this.segmentSession(seg.index, read);
        const feeds: Record<string, ort.Tensor> = {};
        for (const name of seg.inputs) feeds[name] = read(name);
        const result = await session.run(feeds);
        for (const name of seg.outputs) store.set(name, result[name]);
        options.onSegmentOutputs?.(seg.index, Object.fromEntries(seg.outputs.map((name) => [name, result[name]])));
        ortMs += performance.now() - s0;
      }
      for (const ci of this.plan.coresAfter[seg.index]) {
        const core = this.detection.cores[ci];
        const variant = options.variant ?? nativeVariant(core);
        const k0 = performance.now();
        const { outputs, run } = await runCore(core, read, backend, variant, options.threads);
        kernelMs += performance.now() - k0;
        for (const [name, t] of outputs) store.set(name, t);
        if (options.keepInputs === false) run.input = { ...run.input, q: new Float32Array(0), k: new Float32Array(0), v: new Float32Array(0) };
        cores.push(run);
      }
      for (const [name] of store) if ((this.lastUse.get(name) ?? -1) <= seg.index) store.delete(name);
    }
    const outputs: Record<string, ort.Tensor> = {};
    for (const o of this.graph.outputs) {
      const t = store.get(o.name ?? '');
      if (!t) throw new ModelError('unsupported-core', `model output ${o.name} was not computed by the segments`);
      outputs[o.name ?? ''] = t;
    }
    cores.sort((a, b) => a.layer - b.layer);
    return { outputs, cores, totalMs: performance.now() - t0, kernelMs, ortMs };
  }

  private sessionOptions(): ort.InferenceSession.SessionOptions {
    return ortSessionOptions(this.threads);
  }

  private async segmentSession(index: number, read: (name: string) => ort.Tensor): Promise<ort.InferenceSession> {
    const cached = this.sessions.get(index);
    if (cached) return cached;
    const seg = this.plan.segments[index];
    const bytes = encodeSegment(this.model.proto, this.graph, seg, (name) => read(name).type);
    const session = await ort.InferenceSession.create(bytes, this.sessionOptions());
    this.sessions.set(index, session);
    this.releaseWeights();
    return session;
  }

  /**
   * Once the segments that read a weight have their sessions, ONNX Runtime holds it: drop our decoded
   * copy (all but small constants, which cores may read as scales or masks) so the model is not held
   * twice.
   */
  private releaseWeights(): void {
    const coreTensors = new Set(this.detection.cores.flatMap(coreInputs));
    const pending = new Set(this.plan.segments.filter((sg) => sg.nodes.length && !this.sessions.has(sg.index)).flatMap((sg) => sg.initializers));
    for (const [name, t] of this.graph.initializers) {
      if (coreTensors.has(name) || pending.has(name)) continue;
      const size = (t.raw_data?.length ?? 0) + 4 * (t.float_data?.length ?? 0);
      if (size <= SMALL_CONSTANT_BYTES) continue;
      t.raw_data = new Uint8Array(0);
      t.float_data = [];
      this.graph.initializers.delete(name);
    }
  }

  async release(): Promise<void> {
    for (const s of this.sessions.values()) await s.release();
    this.sessions.clear();
    if (this.full) await this.full.release();
    this.full = null;
  }
}

/** Rows of a fused op's rotary cos cache: the positions it can encode (null when not constant). */
function rotaryRows(g: GraphIndex, core: AttentionCore): number | null {
  const cache = core.rotary ? g.initializers.get(core.rotary.cos) : undefined;
  return cache ? Number(cache.dims?.[0] ?? 0) || null : null;
}

function minPositions(limits: (number | null)[]): number | null {
  const known = limits.filter((l): l is number => l !== null);
  return known.length ? Math.min(...known) : null;
}

/** The variant that reproduces a core's own normalizer. */
export function nativeVariant(core: AttentionCore): VariantSpec {
  if (core.normalizer === 'softmax') return { id: 'softmax', params: {} };
  if (core.normalizer === 'sigmoid') return { id: 'sigmoid', params: { b: 0 } };
  return { id: 'softplus-norm', params: { eps: 0 } };
}

/**
 * The engine's ONNX Runtime session options (the profiler adds its own on top of these).
 * One arena per session would keep each segment's peak activations alive: 13 sessions, 13 arenas.
 * Errors only: ORT warns when its optimizer drops an initializer a segment no longer needs.
 * No session spins its thread pool after a run (ORT's default does, for 50 ms and more): segments
 * alternate with our kernel's threads, which need the cores meanwhile, and the unmodified model
 * (runReference, the baseline of `check` and of the bench's e2eRatio) runs under the same options
 * as the segments it is compared with.
 */
export function ortSessionOptions(threads: number | undefined): ort.InferenceSession.SessionOptions {
  const noSpin = { extra: { session: { intra_op: { allow_spinning: '0' } } } };
  return { graphOptimizationLevel: 'all', enableCpuMemArena: false, enableMemPattern: false, logSeverityLevel: 3, ...(threads ? { intraOpNumThreads: threads } : {}), ...noSpin };
}
