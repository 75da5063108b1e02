/**
 * The Streaming view of `attnscope stream --json`: loss per predicted token for full attention,
 * sinks + window and the window alone, one line each in the theme's chart colours, with a marker
 * where eviction starts, a hover readout and the mean loss / perplexity of each run.
 */
import type { PanelStream } from '../../extension/protocol/analyses';
import type { PanelToken } from '../../extension/protocol/panel';
import { themeColor } from '../color';
import { fmt, htmlTable, SERIES_COLORS } from './numbers';
import { visible } from './tokenStrip';

export function streamView(s: PanelStream, tokens: PanelToken[] | null, width: number): HTMLElement {
  const el = document.createElement('div');
  el.className = 'stream';
  const summary = document.createElement('p');
  summary.className = 'summary';
  summary.textContent = `${s.model} · ${s.tokens} tokens · ${s.sinks} sinks + ${s.window} window · loss evaluated from token ${s.evaluatedFrom + 1}`;
  const note = document.createElement('p');
  note.className = 'summary';
  note.textContent = s.note;
  const legend = document.createElement('ul');
  legend.className = 'legend';
  s.runs.forEach((r, i) => {
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.backgroundColor = `var(${SERIES_COLORS[i % SERIES_COLORS.length]})`;
    li.append(sw, r.label);
    legend.append(li);
  });
  const table = htmlTable('stream-runs', 'Mean loss after the first eviction', ['run', 'loss (nats)', 'perplexity'], s.runs.map((r) => [r.label, fmt(r.loss), fmt(r.perplexity)]));
  el.append(summary, legend, chart(s, tokens, width), table, note);
  return el;
}

function chart(s: PanelStream, tokens: PanelToken[] | null, width: number): HTMLElement {
  const wrap = document.createElement('div');
  const canvas = document.createElement('canvas');
  canvas.className = 'stream-chart';
  canvas.width = width;
  canvas.height = 160;
  canvas.tabIndex = 0;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `loss per predicted token of ${s.runs.map((r) => r.label).join(', ')}; arrow keys move the readout`);
  const readout = document.createElement('div');
  readout.className = 'readout';
  wrap.append(canvas, readout);
  const ctx = canvas.getContext('2d');
  const n = s.runs[0].tokenLoss.length;
  if (!ctx || !n) return wrap;
  const values = s.runs.flatMap((r) => r.tokenLoss.filter((v): v is number => v !== null));
  const max = Math.max(...values, 1e-6);
  const pad = 4;
  const x = (i: number): number => pad + (n === 1 ? 0 : (i * (width - 2 * pad)) / (n - 1));
  const y = (v: number): number => canvas.height - pad - (v / max) * (canvas.height - 2 * pad);
  // Where eviction starts: loss of predicting token evaluatedFrom + 1 is entry evaluatedFrom.
  const [fr, fg, fb] = themeColor('--vscode-descriptionForeground');
  ctx.strokeStyle = `rgb(${fr}, ${fg}, ${fb})`;
  ctx.setLineDash([3, 3]);
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(x(s.evaluatedFrom), 0);
  ctx.lineTo(x(s.evaluatedFrom), canvas.height);
  ctx.stroke();
  ctx.setLineDash([]);
  // Later runs on top: full attention first, so where runs agree the window-only line shows.
  s.runs.forEach((r, k) => {
    const [cr, cg, cb] = themeColor(SERIES_COLORS[k % SERIES_COLORS.length]);
    ctx.strokeStyle = `rgb(${cr}, ${cg}, ${cb})`;
    ctx.lineWidth = 2;
    ctx.beginPath();
    let pen = false;
    r.tokenLoss.forEach((v, i) => {
      if (v === null) { pen = false; return; }
      if (pen) ctx.lineTo(x(i), y(v)); else ctx.moveTo(x(i), y(v));
      pen = true;
    });
    ctx.stroke();
  });
  let at = s.evaluatedFrom;
  const show = (i: number): void => {
    at = Math.max(0, Math.min(n - 1, i));
    const tok = tokens?.[at + 1] ? ` “${visible(tokens[at + 1].text)}”` : '';
    readout.textContent = `token #${at + 1}${tok}: ${s.runs.map((r) => `${r.label} ${r.tokenLoss[at] === null ? 'n/a' : fmt(r.tokenLoss[at]!)}`).join(' · ')}`;
  };
  canvas.addEventListener('mousemove', (e) => {
    const rect = canvas.getBoundingClientRect();
    const px = ((e.clientX - rect.left) * width) / rect.width;
    show(Math.round(((px - pad) * (n - 1)) / Math.max(1, width - 2 * pad)));
  });
  canvas.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') { e.preventDefault(); show(at + (e.key === 'ArrowRight' ? 1 : -1)); }
  });
  return wrap;
}
