/**
 * Where each inspected token sits in the document, and how strongly to paint it. Pure (no
 * `vscode`), unit-tested.
 */
import type { InspectToken } from '../../runtime/protocol/runtime';

/** Overlay strength levels; level 0 is not painted. One decoration type and one theme colour per level. */
export const OVERLAY_LEVELS = 5;

export function levelOf(value: number): number {
  if (!(value > 0)) return 0;
  return Math.min(OVERLAY_LEVELS, Math.ceil(value * OVERLAY_LEVELS));
}

export interface TokenSpan {
  index: number;
  /** Document offsets [start, end). */
  start: number;
  end: number;
}

/** Token ids typed in the prompt (for models without a tokenizer), with their character offsets. */
export function parseIdPrompt(text: string): { ids: number[]; offsets: [number, number][] } {
  const ids: number[] = [];
  const offsets: [number, number][] = [];
  const stray = /[^\d\s,]/.exec(text);
  if (stray) throw new Error(`This model has no tokenizer.json: select token ids such as "12 7 99" (found "${stray[0]}" at character ${stray.index + 1}).`);
  for (const m of text.matchAll(/\d+/g)) {
    ids.push(Number(m[0]));
    offsets.push([m.index, m.index + m[0].length]);
  }
  if (!ids.length) throw new Error('The selection holds no token ids; select ids such as "12 7 99".');
  return { ids, offsets };
}

/**
 * The document spans of the tokens: from the runtime's character offsets (text prompts) or from
 * the parsed id offsets (id prompts), shifted by where the prompt starts in the document.
 * Tokens that cover no characters (special tokens) get no span.
 */
export function tokenSpans(tokens: InspectToken[], promptStart: number, idOffsets?: [number, number][]): TokenSpan[] {
  const spans: TokenSpan[] = [];
  tokens.forEach((t, index) => {
    const o = idOffsets ? idOffsets[index] : t.start !== null && t.end !== null ? [t.start, t.end] : null;
    if (o && o[1] > o[0]) spans.push({ index, start: promptStart + o[0], end: promptStart + o[1] });
  });
  return spans;
}
