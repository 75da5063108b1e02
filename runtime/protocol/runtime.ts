/**
 * The extension ↔ runtime-process protocol (child_process IPC with `serialization: 'advanced'`,
 * so every Float32Array in a message crosses as bytes). The extension host sends requests; the
 * runtime answers, reports progress and sends events. Methods are added here only when the
 * runtime really serves them.
 */
import type { AttentionInput, AttentionResult, BackendId, VariantId, VariantSpec } from '../kernels/types';
import { VARIANT_IDS } from '../kernels/types';
import type { HeadInput } from './headInput';
import type { KernelStats } from './kernelStats';
import { tileRequestProblem, type TileRequest, type TileResult } from './lod';
import type { WireTensor } from './tensor';
import type { ProfileReport } from '../profile/format';
import type { ChromeTrace } from '../profile/chromeTrace';
import type { CancelMessage, EventMessage, ProgressMessage, RequestMessage, ResponseMessage, Validator } from './rpc';

/** Bumped whenever a message changes shape; the client refuses a runtime that speaks another. */
export const RUNTIME_PROTOCOL_VERSION = 4;

export interface RuntimeInfo {
  protocolVersion: number;
  pid: number;
  /** Node version of the runtime process (VS Code's Electron Node when forked by the extension). */
  node: string;
  /** Attention kernels this runtime can run: backend → variants it implements. */
  kernels: { backend: BackendId; variants: VariantId[] }[];
}

/** Computes one attention core with a chosen kernel, instrumentation on. */
export interface RunCoreParams {
  input: AttentionInput;
  variant: VariantSpec;
  backend: BackendId;
  /** Query heads whose full [tq, tk] map comes back. */
  captureHeads: number[];
}

/** The model the runtime holds, as found by the attention-core detector. */
export interface ModelSummary {
  name: string;
  path: string;
  opset: number;
  /** Every attention core, in layer order. */
  cores: { layer: number; kind: string; normalizer: string; name: string }[];
  /** The tokenizer.json in use (given, or found beside the model), or null: prompts are token ids. */
  tokenizer: string | null;
}

/** A prompt token; start/end are its characters [start, end) in the prompt text (null for ids). */
export interface InspectToken {
  id: number;
  text: string;
  start: number | null;
  end: number | null;
}

export interface InspectParams {
  /** The prompt: text for the model's tokenizer, or token ids (batch 1). */
  prompt: { text: string } | { ids: number[] };
  /** One variant for every core, or null: each core's own normalizer. */
  variant: VariantSpec | null;
  backend: BackendId;
  /** ε of the sink score (spec §1.1), e.g. 0.3. */
  epsilon: number;
}

/** Next-token prediction after the prompt and the loss of every token the model predicted. */
export interface LmOutputs {
  topK: { id: number; prob: number; text: string }[];
  /** [tokens − 1]: −log p(token t+1 | tokens ≤ t). */
  tokenLoss: WireTensor<Float32Array>;
  /** Mean of tokenLoss (nats). */
  loss: number;
}

/** One prompt run through the segmented model, reduced where it ran. */
export interface InspectResult {
  tokens: InspectToken[];
  /** Number of attention cores (one per layer). */
  layers: number;
  /** Query heads (the largest over the cores; a core with fewer heads has 0 in the rest). */
  heads: number;
  /** [layers, heads, tokens]: α_k, mean attention key k receives, from the kernels' own stats. */
  alpha: WireTensor<Float32Array>;
  /** [tokens]: Sink_k^ε, share of all heads where α_k > ε. */
  sinkScore: WireTensor<Float32Array>;
  /** The variant each core ran, e.g. `softmax` or `sigmoid:b=0`. */
  variants: string[];
  /** A causal LM's outputs (null when the model has no next-token logits). */
  outputs: LmOutputs | null;
  /** Per layer, what the kernels measured of themselves (invalid rows, recomputed rows, residual, error). */
  kernelStats: KernelStats;
  totalMs: number;
  kernelMs: number;
  ortMs: number;
}

/** The full map of one head of the last inspection, recomputed by the same kernel. */
export interface HeadMapResult {
  layer: number;
  head: number;
  /** [tq, tk], or with `lod` the map max-pooled at lod.level: [ceil(tq / 2^level), ceil(tk / 2^level)]. */
  weights: WireTensor<Float32Array>;
  /** Set when the map is larger than LOD_MAX_SIDE: the full size; finer levels come from headTiles. */
  lod?: { level: number; tq: number; tk: number; inspection: number };
  /** The head's own Q, K, V, scale and mask, so the panel can recompute it for another variant. */
  input: HeadInput;
}

/** What an .onnx file holds, for the model summary editor: read without replacing the loaded model. */
export interface ModelDescription {
  name: string;
  path: string;
  /** null when the file could not be read as an ONNX model (see problem). */
  opset: number | null;
  inputs: { name: string; dims: (number | string)[] | null }[];
  outputs: { name: string; dims: (number | string)[] | null }[];
  cores: { layer: number; kind: string; normalizer: string; name: string; qHeads: number | null; kvHeads: number | null; causal: boolean | null }[];
  /** Softmax/attention-like nodes that are not attention cores, and why. */
  rejected: { node: string; op: string; reason: string }[];
  /** Why the model cannot be used (unreadable, or no attention core found), or null. */
  problem: string | null;
}

/** A head ranked by how far its attention moved between two runs. */
export interface HeadShift {
  layer: number;
  head: number;
  meanRowDivergence: number;
  maxAbsDelta: number;
  deltaSinkAlpha: number;
}

export interface OutputShift {
  maxAbsDeltaLogit: number;
  meanNextTokenKl: number;
  top1Agreement: number;
  lossA: number;
  lossB: number;
  deltaLoss: number;
}

/** Two variants on the last inspected prompt (the analyses' compare). */
export interface CompareReport {
  labels: [string, string];
  divergence: string;
  heads: HeadShift[];
  tokenDrift: { index: number; text?: string; deltaAttention: number }[];
  output: OutputShift;
  topK: [{ id: number; prob: number; text?: string }[], { id: number; prob: number; text?: string }[]];
  sink: { a: number; b: number; delta: number };
  totalMs: number;
}

/** Integer-only (I-ViT) or int8 attention against fp32 on the last inspected prompt. */
export interface DriftReport {
  quant: string;
  heads: HeadShift[];
  tokenDrift: { index: number; text?: string; deltaAttention: number }[];
  output: OutputShift;
  sink: { fp32: number; quant: number; delta: number };
  totalMs: number;
}

/** A StartRecent cache (sinks + window) against the window alone and full attention. */
export interface StreamReport {
  sinks: number;
  window: number;
  evaluatedFrom: number;
  /** Tokens of the prompt; each run's tokenLoss has tokens − 1 entries (null where not finite). */
  tokens: number;
  runs: { label: string; loss: number; perplexity: number; tokenLoss: (number | null)[] }[];
  note: string;
  totalMs: number;
}

/** What the runtime serves. */
export type RuntimeMethods = {
  hello: { params: Record<string, never>; result: RuntimeInfo };
  runCore: { params: RunCoreParams; result: AttentionResult };
  loadModel: { params: { path: string; tokenizer?: string }; result: ModelSummary };
  describeModel: { params: { path: string }; result: ModelDescription };
  inspect: { params: InspectParams; result: InspectResult };
  headMap: { params: { layer: number; head: number }; result: HeadMapResult };
  /** Tiles of a finer level of a head map sent with `lod` (zooming in). */
  headTiles: { params: TileRequest; result: TileResult };
  /** The analyses run on the loaded model and the last inspected prompt. */
  compare: { params: { variantA: string; variantB: string; backend: BackendId; epsilon: number }; result: CompareReport };
  drift: { params: { quant: 'ivit' | 'int8'; backend: BackendId; epsilon: number }; result: DriftReport };
  stream: { params: { sinks: number; window: number; backend: BackendId }; result: StreamReport };
  /** `attnscope profile` on the last inspected prompt: its --json report and the Chrome trace it wrote. */
  profile: { params: ProfileParams; result: ProfileResult };
};

/** Variants (registry ids with parameters, or `model`) × backends, `repeat` measured rounds each. */
export interface ProfileParams {
  variants: string[];
  backends: BackendId[];
  repeat: number;
}

export interface ProfileResult {
  report: ProfileReport;
  trace: ChromeTrace | null;
}

/** Events the runtime sends on its own. */
export type RuntimeEvents = {
  /** A line for the AttnScope output channel. */
  log: { level: 'info' | 'warn' | 'error'; message: string };
};

/** The extension host accepts no requests from the runtime (it only answers them). */
export type ExtensionHostMethods = Record<never, never>;
export type ExtensionHostEvents = RuntimeEvents;

/** Every message the extension host sends to the runtime. */
export type ExtensionToRuntime = RequestMessage<RuntimeMethods> | CancelMessage;
/** Every message the runtime sends to the extension host. */
export type RuntimeToExtension = ResponseMessage | ProgressMessage | EventMessage<RuntimeEvents>;

const BACKENDS: readonly BackendId[] = ['js', 'native', 'wasm'];

function float32Problem(name: string, x: unknown, n: number): string | null {
  if (!(x instanceof Float32Array)) return `${name} must be a Float32Array`;
  if (x.length !== n) return `${name} has ${x.length} elements, the sizes need ${n}`;
  return null;
}

function positiveInt(x: unknown): boolean {
  return Number.isInteger(x) && (x as number) > 0;
}

/** Why `x` is not a consistent AttentionInput, or null. */
export function attentionInputProblem(x: unknown): string | null {
  if (typeof x !== 'object' || x === null) return 'input is not an object';
  const a = x as Partial<AttentionInput>;
  for (const k of ['qHeads', 'kvHeads', 'tq', 'tk', 'headDim', 'headDimV'] as const) {
    if (!positiveInt(a[k])) return `input.${k} must be a positive integer`;
  }
  const { qHeads, kvHeads, tq, tk, headDim, headDimV } = a as AttentionInput;
  if (qHeads % kvHeads !== 0) return `qHeads (${qHeads}) must be a multiple of kvHeads (${kvHeads})`;
  if (tq > tk) return `tq (${tq}) must not exceed tk (${tk})`;
  if (typeof a.scale !== 'number' || !Number.isFinite(a.scale)) return 'input.scale must be a finite number';
  const p = float32Problem('input.q', a.q, qHeads * tq * headDim) ?? float32Problem('input.k', a.k, kvHeads * tk * headDim)
    ?? float32Problem('input.v', a.v, kvHeads * tk * headDimV);
  if (p) return p;
  const m = a.mask;
  if (typeof m !== 'object' || m === null || typeof m.causal !== 'boolean') return 'input.mask.causal must be a boolean';
  if (m.bias !== undefined) {
    const bh = m.biasHeads ?? 1;
    if (bh !== 1 && bh !== qHeads) return `input.mask.biasHeads must be 1 or qHeads (${qHeads})`;
    const bp = float32Problem('input.mask.bias', m.bias, bh * tq * tk);
    if (bp) return bp;
  }
  if (m.streaming !== undefined && !(Number.isInteger(m.streaming.sinks) && m.streaming.sinks >= 0 && positiveInt(m.streaming.window))) {
    return 'input.mask.streaming needs integer sinks >= 0 and window > 0';
  }
  return null;
}

function variantProblem(v: unknown): string | null {
  const s = v as Partial<VariantSpec> | null;
  if (!s || !(VARIANT_IDS as readonly string[]).includes(s.id as string)) return `variant.id must be one of ${VARIANT_IDS.join(', ')}`;
  if (typeof s.params !== 'object' || s.params === null) return 'variant.params must be an object';
  return null;
}

const natural = (x: unknown): boolean => Number.isInteger(x) && (x as number) >= 0;

/** Params validators for every runtime method (run by the runtime before any handler). */
export const runtimeParamValidators: { [K in keyof RuntimeMethods]: Validator } = {
  hello: (p) => (typeof p === 'object' && p !== null ? null : 'params must be an object'),
  runCore: (p) => {
    if (typeof p !== 'object' || p === null) return 'params must be an object';
    const r = p as Partial<RunCoreParams>;
    const vp = variantProblem(r.variant);
    if (vp) return vp;
    if (!BACKENDS.includes(r.backend as BackendId)) return `backend must be one of ${BACKENDS.join(', ')}`;
    if (!Array.isArray(r.captureHeads) || !r.captureHeads.every((h) => Number.isInteger(h) && h >= 0)) return 'captureHeads must be a list of head indices';
    const ip = attentionInputProblem(r.input);
    if (ip) return ip;
    const bad = r.captureHeads.find((h) => h >= (r.input as AttentionInput).qHeads);
    return bad === undefined ? null : `captureHeads holds ${bad}, the core has ${(r.input as AttentionInput).qHeads} query heads`;
  },
  loadModel: (p) => {
    const r = p as { path?: unknown; tokenizer?: unknown } | null;
    if (!r || typeof r.path !== 'string' || !r.path) return 'path must be a non-empty string';
    return r.tokenizer === undefined || (typeof r.tokenizer === 'string' && r.tokenizer) ? null : 'tokenizer must be a path when given';
  },
  describeModel: (p) => (typeof (p as { path?: unknown } | null)?.path === 'string' && (p as { path: string }).path ? null : 'path must be a non-empty string'),
  inspect: (p) => {
    const r = p as Partial<InspectParams> | null;
    const prompt = r?.prompt as { text?: unknown; ids?: unknown } | undefined;
    if (!r || !prompt || typeof prompt !== 'object') return 'prompt must be {text} or {ids}';
    if ('ids' in prompt) {
      if (!Array.isArray(prompt.ids) || !prompt.ids.length || !prompt.ids.every(natural)) return 'prompt.ids must be a non-empty list of token ids (non-negative integers)';
    } else if (typeof prompt.text !== 'string' || !prompt.text.length) return 'prompt.text must be a non-empty string';
    if (r.variant !== null) { const vp = variantProblem(r.variant); if (vp) return vp; }
    if (!BACKENDS.includes(r.backend as BackendId)) return `backend must be one of ${BACKENDS.join(', ')}`;
    if (typeof r.epsilon !== 'number' || !(r.epsilon > 0 && r.epsilon < 1)) return 'epsilon must be a number in (0, 1)';
    return null;
  },
  headMap: (p) => {
    const r = p as { layer?: unknown; head?: unknown } | null;
    return r && natural(r.layer) && natural(r.head) ? null : 'layer and head must be non-negative integers';
  },
  headTiles: tileRequestProblem,
  compare: (p) => {
    const r = p as { variantA?: unknown; variantB?: unknown; backend?: unknown; epsilon?: unknown } | null;
    if (!r || typeof r.variantA !== 'string' || typeof r.variantB !== 'string') return 'variantA and variantB must be variant strings (e.g. softmax, sigmoid:b=0)';
    if (!BACKENDS.includes(r.backend as BackendId)) return `backend must be one of ${BACKENDS.join(', ')}`;
    return typeof r.epsilon === 'number' && r.epsilon > 0 && r.epsilon < 1 ? null : 'epsilon must be a number in (0, 1)';
  },
  drift: (p) => {
    const r = p as { quant?: unknown; backend?: unknown; epsilon?: unknown } | null;
    if (!r || (r.quant !== 'ivit' && r.quant !== 'int8')) return 'quant must be ivit or int8';
    if (!BACKENDS.includes(r.backend as BackendId)) return `backend must be one of ${BACKENDS.join(', ')}`;
    return typeof r.epsilon === 'number' && r.epsilon > 0 && r.epsilon < 1 ? null : 'epsilon must be a number in (0, 1)';
  },
  profile: (p) => {
    const r = p as { variants?: unknown; backends?: unknown; repeat?: unknown } | null;
    if (!r || !Array.isArray(r.variants) || !r.variants.length || !r.variants.every((v) => typeof v === 'string' && v.length > 0)) return 'variants must be a non-empty list of variant strings (e.g. model, softmax, sigmoid:b=0)';
    if (!Array.isArray(r.backends) || !r.backends.length || !r.backends.every((b) => BACKENDS.includes(b as BackendId))) return `backends must be a non-empty list of ${BACKENDS.join(', ')}`;
    return Number.isInteger(r.repeat) && (r.repeat as number) >= 1 && (r.repeat as number) <= 1000 ? null : 'repeat must be an integer from 1 to 1000';
  },
  stream: (p) => {
    const r = p as { sinks?: unknown; window?: unknown; backend?: unknown } | null;
    if (!r || !natural(r.sinks) || !natural(r.window) || (r.window as number) < 1) return 'sinks must be an integer >= 0 and window an integer >= 1';
    return BACKENDS.includes(r.backend as BackendId) ? null : `backend must be one of ${BACKENDS.join(', ')}`;
  },
};

/** Validators for the runtime's events, as the extension host receives them. */
export const runtimeEventValidators: { [K in keyof RuntimeEvents]: Validator } = {
  log: (b) => {
    const l = b as Partial<RuntimeEvents['log']> | null;
    return l && ['info', 'warn', 'error'].includes(l.level as string) && typeof l.message === 'string' ? null : 'log needs a level and a message';
  },
};
