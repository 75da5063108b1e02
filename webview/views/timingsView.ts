/**
 * The Timings view of a kernel profile (`attnscope profile --json` and its trace): every layer of
 * every configuration in one table sorted by kernel cost, bars per layer with one bar per variant ×
 * backend side by side, and the timeline of the last measured round. Clicking a kernel slice (or
 * Enter on it) selects its layer and head range in the model view.
 */
import type { PanelProfile, PanelProfileConfig, PanelProfileLayer, PanelSpread, PanelTraceEvent } from '../../extension/protocol/analyses';
import { button } from '../ui';
import { fmt, htmlTable, pct, SERIES_COLORS } from './numbers';

export interface TimingsOptions {
  profile: PanelProfile;
  /** A kernel slice was picked: its layer and first head. */
  onSelect(layer: number, head: number): void;
  /** Save the trace (JSON) or the per-layer table (CSV) through the extension. */
  onExport(format: 'trace' | 'csv'): void;
}

const ms = (s: PanelSpread | null): string => (s ? `${fmt(s.median)} ±${fmt(s.mad)}` : '');

/** The table's header; the webview test reads the cells under these. */
export const TIMINGS_COLUMNS = ['layer', 'heads', 'configuration', 'kernel ms ±MAD', 'min-max', 'GFLOP/s', '% peak', 'ORT before ms', 'ORT after ms'];

/** One row per layer and configuration, the costliest kernel first. */
export function timingsRows(configs: PanelProfileConfig[]): string[][] {
  const rows = configs.flatMap((c) => c.layers.map((l) => ({ c, l })));
  rows.sort((a, b) => b.l.kernelMs.median - a.l.kernelMs.median);
  return rows.map(({ c, l }) => [
    `L${l.layer}`, `0-${l.heads - 1}`, c.label, ms(l.kernelMs), `${fmt(l.kernelMs.min)}-${fmt(l.kernelMs.max)}`,
    fmt(l.gflops), pct(l.pctPeak), ms(l.ortBeforeMs), ms(l.ortAfterMs),
  ]);
}

export function timingsView(o: TimingsOptions): HTMLElement {
  const { report, trace } = o.profile;
  const el = document.createElement('div');
  el.className = 'timings';
  const summary = document.createElement('p');
  summary.className = 'summary';
  const peak = report.peak.map((p) => (p.gflops === null ? p.note : `${fmt(p.gflops)} GFLOP/s at ${p.threads} thread${p.threads > 1 ? 's' : ''}`)).join('; ');
  summary.textContent = `${report.model} · ${report.tokens} tokens · ${report.repeat} measured round${report.repeat > 1 ? 's' : ''} after ${report.warmup} warm-up · FMA peak ${peak}`;
  summary.title = report.clock;
  const exports = document.createElement('div');
  exports.className = 'export-buttons profile-exports';
  const csv = button('CSV', 'Save the per-layer table as CSV', () => o.onExport('csv'));
  csv.dataset.format = 'csv';
  exports.append(csv);
  if (trace) {
    const json = button('Trace JSON', 'Save the Chrome trace (Perfetto, chrome://tracing)', () => o.onExport('trace'));
    json.dataset.format = 'trace';
    exports.append(json);
  }
  el.append(summary, exports);
  el.append(htmlTable('timings-table', 'Kernels by cost (median per run)', TIMINGS_COLUMNS, timingsRows(report.configs)));
  el.append(totals(report.configs));
  el.append(layerBars(report.configs));
  if (trace) el.append(timeline(trace.traceEvents, report.repeat, o.onSelect));
  else {
    const p = document.createElement('p');
    p.className = 'summary';
    p.textContent = 'No trace was kept for this profile, so there is no timeline.';
    el.append(p);
  }
  return el;
}

function totals(configs: PanelProfileConfig[]): HTMLElement {
  const byCost = [...configs].sort((a, b) => b.kernelSumMs.median - a.kernelSumMs.median);
  return htmlTable('timings-totals', 'Configurations by kernel cost (median per run)', ['configuration', 'kernels ms', 'ORT ms', 'run ms', 'overhead'],
    byCost.map((c) => [c.label, fmt(c.kernelSumMs.median), fmt(c.ortSumMs.median), fmt(c.profiledRunMs.median), `${(100 * c.overhead).toFixed(1)}%`]));
}

/** Per layer, one horizontal bar per configuration (same colour for a configuration in every layer). */
function layerBars(configs: PanelProfileConfig[]): HTMLElement {
  const wrap = document.createElement('figure');
  wrap.className = 'layer-bars';
  const cap = document.createElement('figcaption');
  cap.textContent = 'Kernel median per layer, configurations side by side';
  wrap.append(cap, legend(configs.map((c) => c.label)));
  const max = Math.max(...configs.flatMap((c) => c.layers.map((l) => l.kernelMs.median)), 1e-12);
  const layers = [...new Set(configs.flatMap((c) => c.layers.map((l) => l.layer)))].sort((a, b) => a - b);
  for (const layer of layers) {
    const group = document.createElement('div');
    group.className = 'bar-group';
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', `layer ${layer}`);
    const label = document.createElement('span');
    label.className = 'bar-label';
    label.textContent = `L${layer}`;
    group.append(label);
    const bars = document.createElement('div');
    bars.className = 'bars';
    configs.forEach((c, i) => {
      const l: PanelProfileLayer | undefined = c.layers.find((x) => x.layer === layer);
      if (!l) return;
      const bar = document.createElement('div');
      bar.className = 'bar';
      bar.dataset.layer = String(layer);
      bar.dataset.config = c.label;
      bar.style.width = `${(100 * l.kernelMs.median) / max}%`;
      bar.style.backgroundColor = `var(${SERIES_COLORS[i % SERIES_COLORS.length]})`;
      bar.title = `L${layer} ${c.label}: ${ms(l.kernelMs)} ms, ${fmt(l.gflops)} GFLOP/s`;
      bar.setAttribute('role', 'img');
      bar.setAttribute('aria-label', bar.title);
      bars.append(bar);
    });
    group.append(bars);
    wrap.append(group);
  }
  return wrap;
}

function legend(labels: string[]): HTMLElement {
  const ul = document.createElement('ul');
  ul.className = 'legend';
  labels.forEach((label, i) => {
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.backgroundColor = `var(${SERIES_COLORS[i % SERIES_COLORS.length]})`;
    li.append(sw, label);
    ul.append(li);
  });
  return ul;
}

/** The heads of a kernel slice: its `heads` argument ("2-3"), or a worker thread's `head` (one head); null when it has neither. */
export function sliceHeads(e: PanelTraceEvent): { layer: number; from: number; to: number } | null {
  const layer = e.args?.layer;
  if (typeof layer !== 'number') return null;
  const head = e.args?.head;
  if (typeof head === 'number') return { layer, from: head, to: head };
  const m = /^(\d+)-(\d+)$/.exec(String(e.args?.heads ?? ''));
  return m ? { layer, from: Number(m[1]), to: Number(m[2]) } : null;
}

/**
 * Slices the timeline draws: not ORT's operators (too many to read there), and of a worker thread's
 * nested slices only the per-head ones (its whole share of a core, `busyMs`, would cover them).
 */
function drawn(e: PanelTraceEvent, track: string): boolean {
  return e.ph === 'X' && track !== 'ONNX Runtime nodes' && e.args?.busyMs === undefined;
}

/**
 * The last measured round (trace slices with run = repeat) on its tracks: ORT segments, a track per
 * kernel backend and one per worker thread (its rows of each head). Kernel slices are buttons: click
 * or Enter selects the layer and head.
 */
function timeline(events: PanelTraceEvent[], repeat: number, onSelect: (layer: number, head: number) => void): HTMLElement {
  const wrap = document.createElement('figure');
  wrap.className = 'timeline';
  const cap = document.createElement('figcaption');
  wrap.append(cap);
  const names = new Map(events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [e.tid, String(e.args?.name ?? `track ${e.tid}`)]));
  const last = events.filter((e) => e.args?.run === repeat && drawn(e, names.get(e.tid) ?? ''));
  if (!last.length) {
    cap.textContent = `The trace holds no slice of round ${repeat} (it was capped); raise --trace-events.`;
    return wrap;
  }
  const t0 = Math.min(...last.map((e) => e.ts));
  const t1 = Math.max(...last.map((e) => e.ts + (e.dur ?? 0)));
  const span = Math.max(t1 - t0, 1e-9);
  cap.textContent = `Timeline of the last round (run ${repeat}), ${fmt(span / 1000)} ms; click a kernel slice to open its layer and heads`;
  const tids = [...new Set(last.map((e) => e.tid))].sort((a, b) => a - b);
  for (const tid of tids) {
    const row = document.createElement('div');
    row.className = 'track';
    const label = document.createElement('span');
    label.className = 'track-label';
    label.textContent = names.get(tid) ?? `track ${tid}`;
    const lane = document.createElement('div');
    lane.className = 'lane';
    for (const e of last.filter((x) => x.tid === tid)) {
      const heads = sliceHeads(e);
      const s = document.createElement(heads ? 'button' : 'div');
      s.className = heads ? 'slice kernel-slice' : 'slice';
      s.style.left = `${(100 * (e.ts - t0)) / span}%`;
      s.style.width = `max(2px, ${(100 * (e.dur ?? 0)) / span}%)`;
      s.title = `${e.name}: ${fmt((e.dur ?? 0) / 1000)} ms`;
      s.setAttribute('aria-label', s.title);
      if (heads) {
        s.dataset.layer = String(heads.layer);
        s.dataset.heads = `${heads.from}-${heads.to}`;
        s.addEventListener('click', () => onSelect(heads.layer, heads.from));
      }
      lane.append(s);
    }
    row.append(label, lane);
    wrap.append(row);
  }
  return wrap;
}
