/**
 * Compare mode of the head view: the head's map under variant A and variant B side by side and
 * their difference B − A (diverging ramp, scaled to the largest |difference|). Every map has its
 * own zoom and pan; the readout of each names both weights and the difference.
 */
import type { PanelToken } from '../../extension/protocol/panel';
import { HeadView } from './headView';
import { visible } from './tokenStrip';

export interface CompareHeadOptions {
  layer: number;
  head: number;
  tq: number;
  tk: number;
  tokens: PanelToken[];
  a: { label: string; weights: Float32Array };
  b: { label: string; weights: Float32Array };
  /** Canvas size of each of the three maps. */
  size: number;
  query?: number;
}

export function compareHead(o: CompareHeadOptions): { element: HTMLElement; views: HeadView[]; maxAbsDiff: number } {
  const diff = new Float32Array(o.a.weights.length);
  let maxAbsDiff = 0;
  for (let i = 0; i < diff.length; i++) {
    diff[i] = o.b.weights[i] - o.a.weights[i];
    if (Math.abs(diff[i]) > maxAbsDiff) maxAbsDiff = Math.abs(diff[i]);
  }
  const readout = (q: number, k: number): string => {
    const i = q * o.tk + k;
    const d = diff[i];
    return `query #${q} “${visible(o.tokens[q + (o.tk - o.tq)]?.text ?? '?')}” → key #${k} “${visible(o.tokens[k]?.text ?? '?')}”: `
      + `${o.a.label} ${o.a.weights[i].toFixed(4)} · ${o.b.label} ${o.b.weights[i].toFixed(4)} · B − A ${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(4)}`;
  };
  const common = { layer: o.layer, head: o.head, tq: o.tq, tk: o.tk, tokens: o.tokens, size: o.size, query: o.query, readout };
  const views = [
    new HeadView({ ...common, weights: o.a.weights, title: `A: ${o.a.label}` }),
    new HeadView({ ...common, weights: o.b.weights, title: `B: ${o.b.label}` }),
    new HeadView({ ...common, weights: diff, mode: 'diff', title: `B − A (largest |difference| ${maxAbsDiff.toFixed(4)})` }),
  ];
  const names = ['a', 'b', 'diff'];
  views.forEach((v, i) => { v.element.classList.add('compare-map'); v.element.dataset.map = names[i]; });
  const element = document.createElement('div');
  element.className = 'compare-head';
  element.append(...views.map((v) => v.element));
  return { element, views, maxAbsDiff };
}
