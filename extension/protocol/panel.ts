/**
 * The extension ↔ panel-webview protocol. Numbers travel as typed arrays with their shape (VS Code
 * transfers them as bytes); the panel asks for a head's full map only when it shows that head.
 * Both sides validate every incoming message with the validators below. Imports nothing but
 * protocol modules, so the webview may import it.
 */
import type { Validator } from '../../runtime/protocol/rpc';
import { headInputProblem, type HeadInput } from '../../runtime/protocol/headInput';
import { tensorProblem, type WireTensor } from '../../runtime/protocol/tensor';
import { kernelStatsProblem, type KernelStats } from '../../runtime/protocol/kernelStats';
import { tileRequestProblem, type TileRequest, tileResultProblem, type TileResult } from '../../runtime/protocol/lod';
import { exportRequestProblem, type PanelExport, panelExportProblem, type PanelExportRequest } from './panelExport';
import { compareProblem, driftProblem, type PanelCompare, type PanelDrift, type PanelProfile, type PanelStream, profileProblem, streamProblem } from './analyses';

export interface PanelToken {
  id: number;
  text: string;
}

/** A variant the panel may offer, with the registry's one-line description and its parameters. */
export interface PanelVariant {
  id: string;
  description: string;
  /** Its parameters with their defaults ('auto': derived from the input) and docs. */
  params: { name: string; default: number | 'auto'; doc: string }[];
}

/** One inspection of a prompt, reduced for display. */
export interface PanelInspection {
  model: { name: string; layers: number; heads: number };
  tokens: PanelToken[];
  variant: string;
  /** The variant's parameters as the user set them, `name=value,...` ('' = the defaults). */
  variantParams: string;
  backend: string;
  variants: PanelVariant[];
  /** ε of the sink score. */
  epsilon: number;
  /** [layers, heads, tokens]: α_k, the mean attention key token k receives, per layer and head. */
  alpha: WireTensor<Float32Array>;
  /** [tokens]: Sink_k^ε, the share of all heads in which α_k > ε. */
  sinkScore: WireTensor<Float32Array>;
  /** Wall time of the inspection in milliseconds. */
  wallMs: number;
  /** Next-token top-k and per-token loss of a causal LM; null for other models. */
  outputs: PanelOutputs | null;
  /** What the kernels measured of themselves, per layer (shown under the run's summary when any applies). */
  kernelStats: KernelStats;
  /** [tokens]: drift of the attention each token receives under the last quantization drift run of this prompt, or null. */
  drift: { label: string; values: WireTensor<Float32Array> } | null;
}

export interface PanelOutputs {
  topK: { id: number; prob: number; text: string }[];
  /** [tokens − 1]: loss of predicting token t + 1. */
  tokenLoss: WireTensor<Float32Array>;
  loss: number;
}

/** The full attention map of one head. */
export interface HeadMap {
  layer: number;
  head: number;
  /**
   * [tq, tk]: weight of key k for query q (0 where the mask hides it); with `lod`, that map
   * max-pooled in 2^level × 2^level blocks (finer levels by `headTiles`).
   */
  weights: WireTensor<Float32Array>;
  /** Set for maps larger than a canvas shows: the pooled level sent and the full size. */
  lod?: { level: number; tq: number; tk: number; inspection: number };
  /** The head's Q, K, V and mask, for recomputing it in the panel (absent: the panel cannot). */
  input?: HeadInput;
}

/** Served by the extension for the panel. */
export type PanelHostMethods = {
  headMap: { params: { layer: number; head: number }; result: HeadMap };
  /** Tiles of a finer level of a head map that came with `lod` (the panel zoomed in); cancelled when the view moves on. */
  headTiles: { params: TileRequest; result: TileResult };
};

/** Events the extension accepts from the panel. */
export type PanelHostEvents = {
  /** The panel has loaded and can take `show`. */
  ready: Record<string, never>;
  /** Re-run the inspection with this variant and its parameters (`name=value,...`; absent: keep the current ones). */
  setVariant: { variant: string; params?: string };
  /** The metric the token strip shows, for the editor overlay to show too. */
  setMetric: PanelMetric;
  /** A view exported as SVG or PNG (or why not), to be saved by the extension. */
  export: PanelExport;
  /** Profile the kernels on the last inspected prompt: `repeat` measured rounds per configuration. */
  profile: { repeat: number };
  /** Save the last profile's Chrome trace (JSON) or its per-layer table (CSV). */
  exportProfile: { format: 'trace' | 'csv' };
};

/** The panel's tabs that show an analysis. */
export type AnalysisTab = 'timings' | 'compare' | 'drift' | 'streaming';
export const ANALYSIS_TABS: readonly AnalysisTab[] = ['timings', 'compare', 'drift', 'streaming'];

/**
 * What tokens are coloured by: the sink score; α of one head; or the attention one query token
 * gives every key in one head (its row of the head's map).
 */
export type PanelMetric =
  | { metric: 'sink' }
  | { metric: 'alpha'; layer: number; head: number }
  | { metric: 'query'; layer: number; head: number; query: number }
  /** The drift of the attention each token receives (the last Show Quantization Drift of this prompt). */
  | { metric: 'drift' };

/** Events the panel accepts from the extension. */
export type PanelViewEvents = {
  show: { inspection: PanelInspection };
  /** Nothing to show yet (no model, or no inspection of the current text): says what to do. */
  notice: { message: string };
  loading: { message: string };
  error: { message: string };
  /** Export a view (Export… in the extension); the panel answers with an `export` event. */
  exportView: PanelExportRequest;
  /** A profile of the kernels (Timings tab). */
  profile: { profile: PanelProfile };
  /** Two variants on the inspected prompt (Compare tab). */
  compare: { compare: PanelCompare };
  /** Quantised attention against fp32 (Drift tab). */
  drift: { drift: PanelDrift };
  /** A StartRecent cache against the window alone and full attention (Streaming tab). */
  stream: { stream: PanelStream };
  /** An analysis is running (with its progress) or failed: shown in its tab, the inspection stays. */
  analysisState: { tab: AnalysisTab; state: 'loading' | 'error'; message: string };
};

export type PanelViewMethods = Record<never, never>;

function obj(x: unknown): Record<string, unknown> | null {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : null;
}

const natural = (x: unknown): boolean => Number.isInteger(x) && (x as number) >= 0;

/** Why `x` is not a consistent PanelInspection, or null. */
export function inspectionProblem(x: unknown): string | null {
  const i = obj(x);
  if (!i) return 'inspection is not an object';
  const m = obj(i.model);
  if (!m || typeof m.name !== 'string' || !natural(m.layers) || !natural(m.heads)) return 'model needs name, layers and heads';
  if (!Array.isArray(i.tokens) || !i.tokens.every((t) => obj(t) && natural((t as PanelToken).id) && typeof (t as PanelToken).text === 'string')) return 'tokens must be {id, text} entries';
  if (typeof i.variant !== 'string' || typeof i.backend !== 'string') return 'variant and backend must be strings';
  if (!Array.isArray(i.variants) || !i.variants.every(variantOk)) return 'variants must be {id, description, params} entries';
  if (typeof i.variantParams !== 'string') return 'variantParams must be a string';
  if (typeof i.epsilon !== 'number' || typeof i.wallMs !== 'number') return 'epsilon and wallMs must be numbers';
  const a = tensorProblem(i.alpha, 'float32', 3);
  if (a) return `alpha ${a}`;
  const n = i.tokens.length;
  const shape = (i.alpha as WireTensor).shape;
  if (shape[0] !== m.layers || shape[1] !== m.heads || shape[2] !== n) return `alpha is [${shape.join(', ')}], expected [${m.layers}, ${m.heads}, ${n}]`;
  const s = tensorProblem(i.sinkScore, 'float32', 1);
  if (s) return `sinkScore ${s}`;
  if ((i.sinkScore as WireTensor).shape[0] !== n) return `sinkScore has ${(i.sinkScore as WireTensor).shape[0]} entries for ${n} tokens`;
  const k = kernelStatsProblem(i.kernelStats);
  if (k) return k;
  if ((i.kernelStats as KernelStats).layers.length !== m.layers) return `kernelStats has ${(i.kernelStats as KernelStats).layers.length} layers, the model ${m.layers}`;
  if (i.drift !== null) {
    const d = obj(i.drift);
    if (!d || typeof d.label !== 'string') return 'drift must be {label, values} or null';
    const v = tensorProblem(d.values, 'float32', 1);
    if (v) return `drift.values ${v}`;
    if ((d.values as WireTensor).shape[0] !== n) return `drift has ${(d.values as WireTensor).shape[0]} entries for ${n} tokens`;
  }
  return i.outputs === null ? null : outputsProblem(i.outputs, n);
}

function variantOk(v: unknown): boolean {
  const o = obj(v);
  return !!o && typeof o.id === 'string' && typeof o.description === 'string' && Array.isArray(o.params)
    && o.params.every((p) => obj(p) && typeof (p as { name: unknown }).name === 'string' && typeof (p as { doc: unknown }).doc === 'string'
      && (typeof (p as { default: unknown }).default === 'number' || (p as { default: unknown }).default === 'auto'));
}

function outputsProblem(x: unknown, n: number): string | null {
  const o = obj(x);
  if (!o) return 'outputs must be an object or null';
  if (!Array.isArray(o.topK) || !o.topK.every((t) => obj(t) && natural((t as { id: unknown }).id) && typeof (t as { prob: unknown }).prob === 'number' && typeof (t as { text: unknown }).text === 'string')) return 'outputs.topK must be {id, prob, text} entries';
  const l = tensorProblem(o.tokenLoss, 'float32', 1);
  if (l) return `outputs.tokenLoss ${l}`;
  if ((o.tokenLoss as WireTensor).shape[0] !== Math.max(0, n - 1)) return `outputs.tokenLoss has ${(o.tokenLoss as WireTensor).shape[0]} entries for ${n} tokens`;
  return typeof o.loss === 'number' ? null : 'outputs.loss must be a number';
}

export function headMapProblem(x: unknown): string | null {
  const h = obj(x);
  if (!h || !natural(h.layer) || !natural(h.head)) return 'head map needs layer and head';
  const t = tensorProblem(h.weights, 'float32', 2);
  if (t) return `weights ${t}`;
  let [tq, tk] = (h.weights as WireTensor).shape;
  if (h.lod !== undefined) {
    const l = obj(h.lod);
    if (!l || !natural(l.level) || (l.level as number) < 1 || (l.level as number) > 16 || !natural(l.tq) || !natural(l.tk) || !natural(l.inspection)) return 'lod needs level (1 to 16), tq, tk and inspection';
    const b = 2 ** (l.level as number);
    if (Math.ceil((l.tq as number) / b) !== tq || Math.ceil((l.tk as number) / b) !== tk) return `a ${l.tq} × ${l.tk} map pooled at level ${l.level} is ${Math.ceil((l.tq as number) / b)} × ${Math.ceil((l.tk as number) / b)}, weights are ${tq} × ${tk}`;
    [tq, tk] = [l.tq as number, l.tk as number];
  }
  return h.input === undefined ? null : headInputProblem(h.input, tq, tk);
}

const message: Validator = (b) => (typeof obj(b)?.message === 'string' ? null : 'needs a message string');

export const panelViewEventValidators: { [K in keyof PanelViewEvents]: Validator } = {
  show: (b) => inspectionProblem(obj(b)?.inspection),
  notice: message,
  loading: message,
  error: message,
  exportView: exportRequestProblem,
  profile: (b) => profileProblem(obj(b)?.profile),
  compare: (b) => compareProblem(obj(b)?.compare),
  drift: (b) => driftProblem(obj(b)?.drift),
  stream: (b) => streamProblem(obj(b)?.stream),
  analysisState: (b) => {
    const a = obj(b);
    if (!a || !(ANALYSIS_TABS as readonly unknown[]).includes(a.tab)) return `analysisState needs a tab (${ANALYSIS_TABS.join(', ')})`;
    return (a.state === 'loading' || a.state === 'error') && typeof a.message === 'string' ? null : 'analysisState needs state loading or error and a message';
  },
};

export const panelHostEventValidators: { [K in keyof PanelHostEvents]: Validator } = {
  ready: (b) => (obj(b) ? null : 'needs an object'),
  setVariant: (b) => (typeof obj(b)?.variant === 'string' && (obj(b)!.params === undefined || typeof obj(b)!.params === 'string') ? null : 'needs a variant id (and params as a string)'),
  setMetric: (b) => {
    const m = obj(b);
    if (!m) return 'needs an object';
    if (m.metric === 'sink' || m.metric === 'drift') return null;
    if (m.metric !== 'alpha' && m.metric !== 'query') return 'metric must be sink, drift, alpha or query';
    if (!natural(m.layer) || !natural(m.head)) return `${m.metric} needs layer and head`;
    return m.metric === 'query' && !natural(m.query) ? 'query needs the query token index' : null;
  },
  export: panelExportProblem,
  exportProfile: (b) => (obj(b)?.format === 'trace' || obj(b)?.format === 'csv' ? null : 'exportProfile needs format trace or csv'),
  profile: (b) => (Number.isInteger(obj(b)?.repeat) && (obj(b)!.repeat as number) >= 1 && (obj(b)!.repeat as number) <= 1000 ? null : 'profile needs repeat, an integer from 1 to 1000'),
};

export const panelHostParamValidators: { [K in keyof PanelHostMethods]: Validator } = {
  headMap: (p) => (obj(p) && natural(obj(p)!.layer) && natural(obj(p)!.head) ? null : 'needs layer and head (non-negative integers)'),
  headTiles: tileRequestProblem,
};

export const panelResultValidators: { [K in keyof PanelHostMethods]: Validator } = {
  headMap: headMapProblem,
  headTiles: tileResultProblem,
};
