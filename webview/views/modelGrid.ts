/** The layer × head grid, each cell coloured by α₁ (attention the first token receives). */
import { cssColor, themeRamp } from '../color';
import { roving } from './roving';

export interface ModelGridOptions {
  layers: number;
  heads: number;
  /** [layers, heads, tokens] α_k. */
  alpha: Float32Array;
  tokens: number;
  selected?: { layer: number; head: number };
  onPick(layer: number, head: number): void;
}

export function modelGrid(o: ModelGridOptions): HTMLElement {
  const lut = themeRamp();
  const grid = document.createElement('div');
  grid.className = 'model-grid';
  grid.setAttribute('role', 'grid');
  grid.setAttribute('aria-label', 'layers × heads coloured by α₁; arrows move, Enter opens the head');
  grid.style.gridTemplateColumns = `auto repeat(${o.heads}, minmax(14px, 1fr))`;
  grid.style.maxWidth = `${Math.min(720, 40 + o.heads * 40)}px`;
  const cells: HTMLElement[] = [];
  grid.append(header(''));
  for (let h = 0; h < o.heads; h++) grid.append(header(`h${h}`));
  for (let l = 0; l < o.layers; l++) {
    grid.append(header(`L${l}`));
    for (let h = 0; h < o.heads; h++) {
      const a1 = o.alpha[(l * o.heads + h) * o.tokens];
      const cell = document.createElement('div');
      cell.className = 'cell';
      cell.setAttribute('role', 'gridcell');
      const sel = o.selected?.layer === l && o.selected.head === h;
      if (sel) cell.classList.add('selected');
      cell.setAttribute('aria-selected', String(sel));
      cell.dataset.layer = String(l);
      cell.dataset.head = String(h);
      cell.style.backgroundColor = cssColor(lut, a1);
      cell.title = `layer ${l} head ${h}: α₁ = ${a1.toFixed(4)}`;
      cell.setAttribute('aria-label', cell.title);
      cells.push(cell);
      grid.append(cell);
    }
  }
  const focus = roving(grid, cells, o.heads, (i) => o.onPick(Math.floor(i / o.heads), i % o.heads));
  if (o.selected) focus(o.selected.layer * o.heads + o.selected.head);
  return grid;
}

function header(text: string): HTMLElement {
  const d = document.createElement('div');
  d.className = 'grid-label';
  d.setAttribute('aria-hidden', 'true');
  d.textContent = text;
  return d;
}
