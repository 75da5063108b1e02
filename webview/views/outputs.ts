/** Outputs of a causal LM: the next-token top-k after the prompt and per-token loss as a line chart. */
import type { PanelOutputs, PanelToken } from '../../extension/protocol/panel';
import { themeColor } from '../color';
import { visible } from './tokenStrip';

export function outputsView(o: PanelOutputs, tokens: PanelToken[], width: number): HTMLElement {
  const el = document.createElement('div');
  el.className = 'outputs';
  const list = document.createElement('ol');
  list.className = 'topk';
  list.setAttribute('aria-label', 'most likely next tokens');
  for (const t of o.topK) {
    const li = document.createElement('li');
    li.textContent = `“${visible(t.text)}” (id ${t.id}) ${(100 * t.prob).toFixed(1)} %`;
    list.append(li);
  }
  const caption = document.createElement('p');
  caption.className = 'loss-caption';
  caption.textContent = `per-token loss (nats), mean ${o.loss.toFixed(3)}`;
  el.append(list, caption, lossChart(o.tokenLoss.data, tokens, width));
  return el;
}

/** A polyline of loss per predicted token (x: token t + 1 = the token predicted), with a hover readout. */
function lossChart(loss: Float32Array, tokens: PanelToken[], width: number): HTMLElement {
  const wrap = document.createElement('div');
  const canvas = document.createElement('canvas');
  canvas.className = 'loss-chart';
  canvas.width = width;
  canvas.height = 120;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `per-token loss of ${loss.length} predicted tokens`);
  const readout = document.createElement('div');
  readout.className = 'readout';
  wrap.append(canvas, readout);
  const ctx = canvas.getContext('2d');
  if (!ctx || !loss.length) return wrap;
  const max = Math.max(...loss, 1e-6);
  const pad = 4;
  const x = (i: number): number => pad + (loss.length === 1 ? 0 : (i * (width - 2 * pad)) / (loss.length - 1));
  const y = (v: number): number => canvas.height - pad - (v / max) * (canvas.height - 2 * pad);
  const [r, g, b] = themeColor('--vscode-charts-orange');
  ctx.strokeStyle = `rgb(${r}, ${g}, ${b})`;
  ctx.lineWidth = 2;
  ctx.beginPath();
  loss.forEach((v, i) => (i ? ctx.lineTo(x(i), y(v)) : ctx.moveTo(x(i), y(v))));
  ctx.stroke();
  canvas.addEventListener('mousemove', (e) => {
    const rect = canvas.getBoundingClientRect();
    const px = ((e.clientX - rect.left) * width) / rect.width;
    const i = Math.max(0, Math.min(loss.length - 1, Math.round(((px - pad) * (loss.length - 1)) / (width - 2 * pad))));
    readout.textContent = `token #${i + 1} “${visible(tokens[i + 1]?.text ?? '?')}”: loss ${loss[i].toFixed(3)}`;
  });
  return wrap;
}
