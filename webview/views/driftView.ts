/**
 * The Drift view of `attnscope drift --json` (quantised attention against fp32): a layer × head grid
 * coloured by the chosen per-head drift (mean row KL/JS, or max |ΔA|), the worst heads listed,
 * top-1 agreement, Δloss and the first-token sink rate. Enter or click on a cell opens that head.
 */
import type { PanelDrift, PanelHeadDrift } from '../../extension/protocol/analyses';
import { cssColor, themeRamp } from '../color';
import { dropdown } from '../ui';
import { fmt, htmlTable } from './numbers';
import { roving } from './roving';

export type DriftMetric = 'divergence' | 'maxAbsDelta';

export interface DriftOptions {
  drift: PanelDrift;
  metric: DriftMetric;
  onMetric(metric: DriftMetric): void;
  onSelect(layer: number, head: number): void;
}

/** How many of the worst heads the list shows. */
export const WORST_HEADS = 5;

export const driftValue = (h: PanelHeadDrift, m: DriftMetric): number => (m === 'divergence' ? h.meanRowDivergence : h.maxAbsDelta);

/** The name of a drift metric as the views show it: the divergence the heads were measured with, or max |ΔA|. */
export function metricLabel(heads: PanelHeadDrift[]): (m: DriftMetric) => string {
  const div = heads[0]?.divergence ?? 'KL';
  return (m) => (m === 'divergence' ? `mean row ${div.toUpperCase()}` : 'max |ΔA|');
}

/**
 * What the drift and compare views open with: the summary line, the Colour-by control (its select
 * id given) and the facts list, with fact() to add a term and its value to it.
 */
export function headShiftHeader(
  summaryText: string, metricId: string, label: (m: DriftMetric) => string, o: { metric: DriftMetric; onMetric(metric: DriftMetric): void },
): { summary: HTMLElement; controls: HTMLElement; facts: HTMLElement; fact: (k: string, v: string) => void } {
  const summary = document.createElement('p');
  summary.className = 'summary';
  summary.textContent = summaryText;
  const controls = document.createElement('div');
  controls.className = 'controls';
  controls.append(dropdown(metricId, 'Colour by', (['divergence', 'maxAbsDelta'] as DriftMetric[]).map((m) => ({ value: m, label: label(m) })), o.metric, (m) => o.onMetric(m as DriftMetric)));
  const facts = document.createElement('dl');
  facts.className = 'drift-facts';
  const fact = (k: string, v: string): void => {
    const dt = document.createElement('dt'); dt.textContent = k;
    const dd = document.createElement('dd'); dd.textContent = v;
    facts.append(dt, dd);
  };
  return { summary, controls, facts, fact };
}

export function driftView(o: DriftOptions): HTMLElement {
  const d = o.drift;
  const label = metricLabel(d.heads);
  const el = document.createElement('div');
  el.className = 'drift';
  const { summary, controls, facts, fact } = headShiftHeader(`${d.model} · ${d.tokens} tokens · ${d.quant.mode} against fp32 · ${d.heads.length} heads`, 'drift-metric', label, o);
  fact('top-1 agreement', `${(100 * d.output.top1Agreement).toFixed(1)} %`);
  fact('Δloss', `${fmt(d.output.deltaLoss)} (fp32 ${fmt(d.output.lossA)}, ${d.quant.mode} ${fmt(d.output.lossB)})`);
  fact('next-token KL', fmt(d.output.meanNextTokenKl));
  fact('max |Δlogit|', fmt(d.output.maxAbsDeltaLogit));
  fact('Sink₁ rate', `fp32 ${(100 * d.sink.fp32).toFixed(2)} %, ${d.quant.mode} ${(100 * d.sink.quant).toFixed(2)} %`);
  const worst = [...d.heads].sort((a, b) => driftValue(b, o.metric) - driftValue(a, o.metric)).slice(0, WORST_HEADS);
  const list = htmlTable('worst-heads', `Worst ${worst.length} heads by ${label(o.metric)}`, ['layer', 'head', label('divergence'), 'max |ΔA|', 'Δ α₁'],
    worst.map((h) => [String(h.layer), String(h.head), fmt(h.meanRowDivergence), fmt(h.maxAbsDelta), fmt(h.deltaSinkAlpha)]));
  el.append(summary, controls, facts, headShiftGrid(d.heads, o.metric, label(o.metric), o.onSelect), list);
  return el;
}

/** Layers × heads, each cell coloured by its drift over the largest drift of the model (drift and compare views). */
export function headShiftGrid(heads: PanelHeadDrift[], metric: DriftMetric, label: string, onSelect: (layer: number, head: number) => void): HTMLElement {
  const layers = Math.max(...heads.map((h) => h.layer)) + 1;
  const width = Math.max(...heads.map((h) => h.head)) + 1;
  const max = Math.max(...heads.map((h) => driftValue(h, metric)), 1e-30);
  const lut = themeRamp();
  const grid = document.createElement('div');
  grid.className = 'model-grid drift-grid';
  grid.setAttribute('role', 'grid');
  grid.setAttribute('aria-label', `layers × heads coloured by ${label}; arrows move, Enter opens the head`);
  grid.style.gridTemplateColumns = `auto repeat(${width}, minmax(14px, 1fr))`;
  grid.style.maxWidth = `${Math.min(720, 40 + width * 40)}px`;
  const head = (t: string): HTMLElement => { const g = document.createElement('div'); g.className = 'grid-label'; g.setAttribute('aria-hidden', 'true'); g.textContent = t; return g; };
  grid.append(head(''));
  for (let h = 0; h < width; h++) grid.append(head(`h${h}`));
  const cells: HTMLElement[] = [];
  const at: ({ layer: number; head: number })[] = [];
  for (let l = 0; l < layers; l++) {
    grid.append(head(`L${l}`));
    for (let h = 0; h < width; h++) {
      const entry = heads.find((x) => x.layer === l && x.head === h);
      const cell = document.createElement('div');
      cell.className = 'cell';
      cell.setAttribute('role', 'gridcell');
      cell.dataset.layer = String(l);
      cell.dataset.head = String(h);
      if (entry) {
        const v = driftValue(entry, metric);
        cell.style.backgroundColor = cssColor(lut, v / max);
        cell.title = `layer ${l} head ${h}: ${label} = ${fmt(v)}`;
      } else cell.title = `layer ${l} head ${h}: not measured`;
      cell.setAttribute('aria-label', cell.title);
      cells.push(cell);
      at.push({ layer: l, head: h });
      grid.append(cell);
    }
  }
  roving(grid, cells, width, (i) => onSelect(at[i].layer, at[i].head));
  return grid;
}
