/**
 * The analyses the panel shows in its Timings, Drift and Streaming tabs: the same JSON objects the
 * CLI prints with --json (`attnscope profile`, `drift`, `stream`), typed here with the fields the
 * panel reads, and validated on arrival. Imports nothing but protocol modules (the webview imports it).
 */
import type { HeadShift, OutputShift } from '../../runtime/protocol/runtime';

/** Median and spread of repeated timings (runtime/profile/stats.ts Spread). */
export interface PanelSpread {
  median: number;
  min: number;
  max: number;
  mad: number;
  samples: number;
}

export interface PanelProfileRange {
  from: number;
  to: number;
  kernelMs: PanelSpread;
  gflops: number;
  pctPeak: number | null;
}

export interface PanelProfileLayer {
  layer: number;
  heads: number;
  kernelMs: PanelSpread;
  gflops: number;
  pctPeak: number | null;
  ortBeforeMs: PanelSpread | null;
  ortAfterMs: PanelSpread | null;
  ranges: PanelProfileRange[];
}

export interface PanelProfileConfig {
  label: string;
  variant: string;
  backend: string;
  threads: number;
  layers: PanelProfileLayer[];
  kernelSumMs: PanelSpread;
  ortSumMs: PanelSpread;
  profiledRunMs: PanelSpread;
  plainRunMs: PanelSpread;
  overhead: number;
}

/** `attnscope profile --json` (runtime/profile/format.ts ProfileReport). */
export interface PanelProfileReport {
  model: string;
  tokens: number;
  repeat: number;
  warmup: number;
  clock: string;
  peak: { threads: number; gflops: number | null; note: string }[];
  configs: PanelProfileConfig[];
  headRanges: number;
}

/** A Chrome trace event as `attnscope profile --trace` writes it (runtime/profile/chromeTrace.ts). */
export interface PanelTraceEvent {
  name: string;
  ph: string;
  ts: number;
  pid: number;
  tid: number;
  dur?: number;
  args?: Record<string, string | number>;
}

/** A profile run: the report and, when the trace was kept, its Chrome trace (for the timeline and export). */
export interface PanelProfile {
  report: PanelProfileReport;
  trace: { traceEvents: PanelTraceEvent[] } | null;
}

/** A head ranked by drift: the runtime's HeadShift, with the CLI's divergence name (KL or JS). */
export type PanelHeadDrift = HeadShift & { divergence?: string };

/** What the output did between the two runs: the runtime's own type. */
export type PanelOutputShift = OutputShift;

/** `attnscope drift --json`: quantised attention against fp32. */
export interface PanelDrift {
  model: string;
  quant: { mode: string };
  tokens: number;
  heads: PanelHeadDrift[];
  output: PanelOutputShift;
  sink: { fp32: number; quant: number; delta: number };
}

/** Two variants on the last inspected prompt (`attnscope compare`, as the runtime serves it). */
export interface PanelCompare {
  model: string;
  tokens: number;
  labels: [string, string];
  heads: PanelHeadDrift[];
  output: PanelOutputShift;
  topK: [{ id: number; prob: number; text?: string }[], { id: number; prob: number; text?: string }[]];
  sink: { a: number; b: number; delta: number };
}

/** `attnscope stream --json`: loss per token of full attention, sinks + window, and the window alone. */
export interface PanelStream {
  model: string;
  tokens: number;
  sinks: number;
  window: number;
  evaluatedFrom: number;
  runs: { label: string; loss: number; perplexity: number; tokenLoss: (number | null)[] }[];
  note: string;
}

function obj(x: unknown): Record<string, unknown> | null {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : null;
}
const num = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x);
const natural = (x: unknown): boolean => Number.isInteger(x) && (x as number) >= 0;

function spreadProblem(x: unknown, name: string): string | null {
  const s = obj(x);
  return s && num(s.median) && num(s.min) && num(s.max) && num(s.mad) && natural(s.samples) ? null : `${name} needs median, min, max, mad and samples`;
}

/** Why `x` is not a profile the Timings view can show, or null. */
export function profileProblem(x: unknown): string | null {
  const p = obj(x);
  const r = obj(p?.report);
  if (!p || !r) return 'profile needs a report';
  if (typeof r.model !== 'string' || !natural(r.tokens) || !natural(r.repeat) || !natural(r.headRanges)) return 'profile report needs model, tokens, repeat and headRanges';
  if (!Array.isArray(r.peak) || !r.peak.every((k) => obj(k) && natural(obj(k)!.threads) && (obj(k)!.gflops === null || num(obj(k)!.gflops)))) return 'profile report peak must be {threads, gflops, note} entries';
  if (!Array.isArray(r.configs) || !r.configs.length) return 'profile report has no configurations';
  for (const [i, c] of r.configs.entries()) {
    const cfg = obj(c);
    if (!cfg || typeof cfg.label !== 'string' || typeof cfg.variant !== 'string' || typeof cfg.backend !== 'string' || !natural(cfg.threads)) return `configuration ${i} needs label, variant, backend and threads`;
    for (const k of ['kernelSumMs', 'ortSumMs', 'profiledRunMs', 'plainRunMs']) { const e = spreadProblem(cfg[k], `configuration ${i} ${k}`); if (e) return e; }
    if (!Array.isArray(cfg.layers)) return `configuration ${i} has no layers`;
    for (const l of cfg.layers) {
      const layer = obj(l);
      if (!layer || !natural(layer.layer) || !natural(layer.heads) || !num(layer.gflops) || !(layer.pctPeak === null || num(layer.pctPeak))) return `configuration ${i}: a layer needs layer, heads, gflops and pctPeak`;
      const e = spreadProblem(layer.kernelMs, `configuration ${i} layer ${layer.layer} kernelMs`)
        ?? (layer.ortBeforeMs === null ? null : spreadProblem(layer.ortBeforeMs, 'ortBeforeMs'))
        ?? (layer.ortAfterMs === null ? null : spreadProblem(layer.ortAfterMs, 'ortAfterMs'));
      if (e) return e;
      if (!Array.isArray(layer.ranges) || !layer.ranges.every((g) => obj(g) && natural(obj(g)!.from) && natural(obj(g)!.to) && !spreadProblem(obj(g)!.kernelMs, ''))) return `configuration ${i} layer ${layer.layer}: ranges must be {from, to, kernelMs} entries`;
    }
  }
  if (p.trace === null) return null;
  const events = obj(p.trace)?.traceEvents;
  if (!Array.isArray(events)) return 'profile trace needs a traceEvents array (or null)';
  const bad = events.findIndex((e) => !obj(e) || typeof obj(e)!.name !== 'string' || typeof obj(e)!.ph !== 'string' || !num(obj(e)!.ts) || !num(obj(e)!.tid));
  return bad < 0 ? null : `trace event ${bad} needs name, ph, ts and tid`;
}

function headsProblem(x: unknown): string | null {
  if (!Array.isArray(x)) return 'heads must be an array';
  return x.every((h) => obj(h) && natural(obj(h)!.layer) && natural(obj(h)!.head) && num(obj(h)!.meanRowDivergence) && num(obj(h)!.maxAbsDelta)) ? null : 'heads must be {layer, head, meanRowDivergence, maxAbsDelta} entries';
}

/** Why `x` is not a drift report the Drift view can show, or null. */
export function driftProblem(x: unknown): string | null {
  const d = obj(x);
  if (!d || typeof d.model !== 'string' || typeof obj(d.quant)?.mode !== 'string' || !natural(d.tokens)) return 'drift report needs model, quant.mode and tokens';
  const h = headsProblem(d.heads);
  if (h) return `drift report ${h}`;
  const o = obj(d.output);
  if (!o || !['maxAbsDeltaLogit', 'meanNextTokenKl', 'top1Agreement', 'lossA', 'lossB', 'deltaLoss'].every((k) => num(o[k]))) return 'drift report output needs top1Agreement, lossA, lossB, deltaLoss, maxAbsDeltaLogit and meanNextTokenKl';
  const s = obj(d.sink);
  return s && num(s.fp32) && num(s.quant) && num(s.delta) ? null : 'drift report sink needs fp32, quant and delta';
}

/** Why `x` is not a comparison the Compare view can show, or null. */
export function compareProblem(x: unknown): string | null {
  const d = obj(x);
  if (!d || typeof d.model !== 'string' || !natural(d.tokens)) return 'comparison needs model and tokens';
  if (!Array.isArray(d.labels) || d.labels.length !== 2 || !d.labels.every((l) => typeof l === 'string')) return 'comparison needs two labels';
  const h = headsProblem(d.heads);
  if (h) return `comparison ${h}`;
  const o = obj(d.output);
  if (!o || !['maxAbsDeltaLogit', 'meanNextTokenKl', 'top1Agreement', 'lossA', 'lossB', 'deltaLoss'].every((k) => num(o[k]))) return 'comparison output needs top1Agreement, lossA, lossB, deltaLoss, maxAbsDeltaLogit and meanNextTokenKl';
  if (!Array.isArray(d.topK) || d.topK.length !== 2 || !d.topK.every((l) => Array.isArray(l) && l.every((t) => obj(t) && natural(obj(t)!.id) && num(obj(t)!.prob)))) return 'comparison topK needs two lists of {id, prob}';
  const s = obj(d.sink);
  return s && num(s.a) && num(s.b) && num(s.delta) ? null : 'comparison sink needs a, b and delta';
}

/** Why `x` is not a streaming report the Streaming view can show, or null. */
export function streamProblem(x: unknown): string | null {
  const s = obj(x);
  if (!s || typeof s.model !== 'string' || !natural(s.tokens) || !natural(s.sinks) || !natural(s.window) || !natural(s.evaluatedFrom) || typeof s.note !== 'string') return 'stream report needs model, tokens, sinks, window, evaluatedFrom and note';
  if (!Array.isArray(s.runs) || !s.runs.length) return 'stream report has no runs';
  for (const r of s.runs) {
    const run = obj(r);
    if (!run || typeof run.label !== 'string' || !num(run.loss) || !Array.isArray(run.tokenLoss)) return 'stream runs must be {label, loss, perplexity, tokenLoss} entries';
    if (run.tokenLoss.length !== Math.max(0, (s.tokens as number) - 1)) return `stream run "${run.label}" has ${run.tokenLoss.length} token losses for ${s.tokens as number} tokens`;
    if (!run.tokenLoss.every((v) => v === null || num(v))) return `stream run "${run.label}": token losses must be numbers or null`;
  }
  return null;
}
