/** The prompt's tokens, each coloured by the chosen metric; clicking one picks it as the query. */
import type { PanelToken } from '../../extension/protocol/panel';
import { cssColor, themeRamp } from '../color';
import { roving } from './roving';

export interface TokenStripOptions {
  tokens: PanelToken[];
  /** Per token, in [0, 1]. */
  values: ArrayLike<number>;
  /** What the values are, for the readout. */
  metricLabel: string;
  selected?: number;
  onPick(token: number): void;
}

export function tokenStrip(o: TokenStripOptions): HTMLElement {
  const lut = themeRamp();
  const strip = document.createElement('div');
  strip.className = 'token-strip';
  strip.setAttribute('role', 'listbox');
  strip.setAttribute('aria-label', `prompt tokens coloured by ${o.metricLabel}; arrows move, Enter picks the query token`);
  const cells = o.tokens.map((t, i) => {
    const span = document.createElement('span');
    span.className = i === o.selected ? 'token selected' : 'token';
    span.setAttribute('role', 'option');
    span.setAttribute('aria-selected', String(i === o.selected));
    span.dataset.index = String(i);
    span.textContent = visible(t.text);
    span.style.backgroundColor = cssColor(lut, o.values[i]);
    span.title = `#${i} id ${t.id} ${JSON.stringify(t.text)}: ${o.metricLabel} ${o.values[i].toFixed(4)}`;
    return span;
  });
  strip.append(...cells);
  roving(strip, cells, 1, (i) => o.onPick(i))(o.selected ?? 0);
  return strip;
}

/** Whitespace made visible so every token has a width. */
export function visible(text: string): string {
  return text.replace(/\n/g, '⏎').replace(/\t/g, '⇥').replace(/^ $/, '·') || '∅';
}
