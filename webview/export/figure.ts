/**
 * Exportable figures of the panel's views, built from the numbers (not from the DOM): a list of
 * coloured cells and labels that figureSvg() writes as SVG and paintFigure() draws on a canvas
 * for PNG, so both formats show the same cells in the same colours. Pure (no DOM), so the
 * extension's HTML report and the unit tests use it too.
 */
import type { PanelToken } from '../../extension/protocol/panel';
import { buildPyramid } from '../views/mipmap';

export type Rgb = [number, number, number];

export interface FigureCell {
  x: number;
  y: number;
  w: number;
  h: number;
  fill: Rgb;
  /** Tooltip in the SVG: what the cell is and its value. */
  title: string;
  /** Text drawn in the cell (token strip). */
  label?: string;
}

export interface FigureLabel {
  x: number;
  y: number;
  text: string;
  anchor: 'start' | 'middle' | 'end';
}

export interface Figure {
  /** What the figure shows (SVG <title>, file names). */
  title: string;
  width: number;
  height: number;
  background: Rgb;
  foreground: Rgb;
  cells: FigureCell[];
  labels: FigureLabel[];
}

/** Colours of a figure: the 256-entry RGB ramp (value 0 → 1) and the page colours. */
export interface FigurePalette {
  lut: Uint8ClampedArray;
  background: Rgb;
  foreground: Rgb;
}

export const FONT_PX = 12;
const CHAR_PX = 7.2;

/** The ramp colour of a value in [0, 1] (clamped; NaN → 0), as webview/color.ts maps it. */
export function rampColor(lut: Uint8ClampedArray, v: number): Rgb {
  const i = (v > 0 ? Math.min(255, Math.round(v * 255)) : 0) * 3;
  return [lut[i], lut[i + 1], lut[i + 2]];
}

export function hex([r, g, b]: Rgb): string {
  return `#${[r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

/** The layer × head grid: one cell per head coloured by α₁, row labels L0…, column labels h0…. */
export function gridFigure(o: { layers: number; heads: number; alpha: Float32Array; tokens: number }, p: FigurePalette): Figure {
  const cell = 24, left = 36, top = 20;
  const cells: FigureCell[] = [];
  const labels: FigureLabel[] = [];
  for (let h = 0; h < o.heads; h++) labels.push({ x: left + h * cell + cell / 2, y: top - 6, text: `h${h}`, anchor: 'middle' });
  for (let l = 0; l < o.layers; l++) {
    labels.push({ x: left - 6, y: top + l * cell + cell / 2 + FONT_PX / 3, text: `L${l}`, anchor: 'end' });
    for (let h = 0; h < o.heads; h++) {
      const a1 = o.alpha[(l * o.heads + h) * o.tokens];
      cells.push({ x: left + h * cell, y: top + l * cell, w: cell - 1, h: cell - 1, fill: rampColor(p.lut, a1), title: `layer ${l} head ${h}: α₁ = ${a1.toFixed(4)}` });
    }
  }
  return { title: `α₁ per layer and head (${o.layers} × ${o.heads})`, width: left + o.heads * cell + 4, height: top + o.layers * cell + 4, background: p.background, foreground: p.foreground, cells, labels };
}

/** Whitespace made visible so every token has a width (as the panel's strip shows it). */
export function visibleToken(text: string): string {
  return text.replace(/\n/g, '⏎').replace(/\t/g, '⇥').replace(/^ $/, '·') || '∅';
}

/** The token strip: tokens wrapped into lines, each box coloured by its value. */
export function stripFigure(o: { tokens: PanelToken[]; values: ArrayLike<number>; metricLabel: string; maxWidth?: number }, p: FigurePalette): Figure {
  const maxWidth = o.maxWidth ?? 720, lineH = FONT_PX + 10, pad = 4;
  const cells: FigureCell[] = [];
  let x = pad, y = pad;
  o.tokens.forEach((t, i) => {
    const label = visibleToken(t.text);
    const w = Math.ceil(label.length * CHAR_PX) + 8;
    if (x + w > maxWidth - pad && x > pad) { x = pad; y += lineH; }
    cells.push({ x, y, w, h: lineH - 2, fill: rampColor(p.lut, o.values[i]), title: `#${i} id ${t.id} ${JSON.stringify(t.text)}: ${o.metricLabel} ${o.values[i].toFixed(4)}`, label });
    x += w + 2;
  });
  return { title: `Tokens coloured by ${o.metricLabel}`, width: maxWidth, height: y + lineH + pad, background: p.background, foreground: p.foreground, cells, labels: [] };
}

/**
 * One head's map, colour √weight as in the head view. Maps larger than `maxCells` per side are
 * max-pooled (every peak survives) so the SVG stays small: each cell then covers 2^k × 2^k weights.
 */
export function headMapFigure(o: { layer: number; head: number; weights: Float32Array; tq: number; tk: number; maxCells?: number; cellPx?: number; level?: number }, p: FigurePalette): Figure {
  const maxCells = o.maxCells ?? 128;
  // `level`: the weights are the tq × tk map already max-pooled in 2^level blocks (a map the runtime sent pooled).
  const base = o.level ?? 0;
  const levels = buildPyramid(o.weights, Math.ceil(o.tq / 2 ** base), Math.ceil(o.tk / 2 ** base), maxCells);
  const lv = levels[levels.length - 1];
  const pooled = base + levels.length - 1;
  const size = o.cellPx ?? Math.max(2, Math.floor(512 / Math.max(lv.rows, lv.cols)));
  const cells: FigureCell[] = [];
  for (let r = 0; r < lv.rows; r++) {
    for (let c = 0; c < lv.cols; c++) {
      const w = lv.data[r * lv.cols + c];
      if (!(w > 0)) continue; // the background is the colour of 0
      const where = pooled ? `queries ${r << pooled}–${Math.min(o.tq, (r + 1) << pooled) - 1}, keys ${c << pooled}–${Math.min(o.tk, (c + 1) << pooled) - 1}: max` : `query ${r} → key ${c}:`;
      cells.push({ x: c * size, y: r * size, w: size, h: size, fill: rampColor(p.lut, Math.sqrt(w)), title: `${where} ${w.toFixed(4)}` });
    }
  }
  return {
    title: `Layer ${o.layer} head ${o.head} attention (${o.tq} × ${o.tk}${pooled ? `, ${1 << pooled}×${1 << pooled} max-pooled` : ''})`,
    width: lv.cols * size, height: lv.rows * size, background: rampColor(p.lut, 0), foreground: p.foreground, cells, labels: [],
  };
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The figure as a standalone SVG document (no scripts, no external references). */
export function figureSvg(f: Figure): string {
  const fg = hex(f.foreground);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" font-family="monospace" font-size="${FONT_PX}">`,
    `<title>${esc(f.title)}</title>`,
    `<rect width="${f.width}" height="${f.height}" fill="${hex(f.background)}"/>`,
  ];
  for (const c of f.cells) {
    out.push(`<rect class="cell" x="${c.x}" y="${c.y}" width="${c.w}" height="${c.h}" fill="${hex(c.fill)}"><title>${esc(c.title)}</title></rect>`);
    if (c.label !== undefined) out.push(`<text x="${c.x + 4}" y="${c.y + c.h / 2 + FONT_PX / 3}" fill="${fg}" xml:space="preserve">${esc(c.label)}</text>`);
  }
  for (const l of f.labels) out.push(`<text x="${l.x}" y="${l.y}" fill="${fg}" text-anchor="${l.anchor}">${esc(l.text)}</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
