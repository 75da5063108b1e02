/**
 * Compare mode: two variants on the inspected prompt (`attnscope compare`). The layer × head grid
 * is coloured by how far each head's attention moved (mean row divergence or max |ΔA|), with the
 * heads that moved most, the output shift (top-1 agreement, Δloss, next-token KL) and each
 * variant's next-token top-k side by side. A cell opens that head in the model view.
 */
import type { PanelCompare } from '../../extension/protocol/analyses';
import { driftValue, headShiftGrid, headShiftHeader, metricLabel, WORST_HEADS, type DriftMetric } from './driftView';
import { fmt, htmlTable } from './numbers';
import { visible } from './tokenStrip';

export interface CompareOptions {
  compare: PanelCompare;
  metric: DriftMetric;
  onMetric(metric: DriftMetric): void;
  onSelect(layer: number, head: number): void;
}

export function compareView(o: CompareOptions): HTMLElement {
  const c = o.compare;
  const [a, b] = c.labels;
  const label = metricLabel(c.heads);
  const el = document.createElement('div');
  el.className = 'compare';
  const { summary, controls, facts, fact } = headShiftHeader(`${c.model} · ${c.tokens} tokens · ${a} against ${b} · ${c.heads.length} heads`, 'compare-metric', label, o);
  fact('top-1 agreement', `${(100 * c.output.top1Agreement).toFixed(1)} %`);
  fact('Δloss', `${fmt(c.output.deltaLoss)} (${a} ${fmt(c.output.lossA)}, ${b} ${fmt(c.output.lossB)})`);
  fact('next-token KL', fmt(c.output.meanNextTokenKl));
  fact('max |Δlogit|', fmt(c.output.maxAbsDeltaLogit));
  fact('Sink₁ rate', `${a} ${(100 * c.sink.a).toFixed(2)} %, ${b} ${(100 * c.sink.b).toFixed(2)} %`);
  const k = Math.max(c.topK[0].length, c.topK[1].length);
  const tok = (t: { id: number; prob: number; text?: string } | undefined): string => (t ? `${t.text === undefined ? `#${t.id}` : `“${visible(t.text)}”`} ${(100 * t.prob).toFixed(1)} %` : '');
  const topk = htmlTable('compare-topk', 'Next token after the prompt', ['#', a, b], Array.from({ length: k }, (_, i) => [String(i + 1), tok(c.topK[0][i]), tok(c.topK[1][i])]));
  const worst = [...c.heads].sort((x, y) => driftValue(y, o.metric) - driftValue(x, o.metric)).slice(0, WORST_HEADS);
  const list = htmlTable('worst-heads', `Heads that moved most by ${label(o.metric)}`, ['layer', 'head', label('divergence'), 'max |ΔA|', 'Δ α₁'],
    worst.map((h) => [String(h.layer), String(h.head), fmt(h.meanRowDivergence), fmt(h.maxAbsDelta), fmt(h.deltaSinkAlpha)]));
  el.append(summary, controls, facts, headShiftGrid(c.heads, o.metric, label(o.metric), o.onSelect), list, topk);
  return el;
}
