import type { PromptToken } from './tokenizer';

/** Tokens decoded together around token i, so multi-byte characters split across tokens decode whole. */
const CONTEXT = 3;

/**
 * Maps token ids back to character offsets in the prompt. The tokenizer library gives no offsets,
 * so each token's text is the decoded difference of a short prefix window with and without it, and
 * is then found in the prompt at or after the running cursor (exact, then case-insensitively on its
 * trimmed text, for lower-casing or normalizing tokenizers). A token that cannot be found (a special
 * token, a piece of a multi-byte character) covers no characters: start = end = cursor.
 */
export function alignTokens(prompt: string, ids: number[], decode: (ids: number[]) => string): PromptToken[] {
  const lower = prompt.toLowerCase();
  let cursor = 0;
  return ids.map((id, i) => {
    const from = Math.max(0, i - CONTEXT);
    const before = decode(ids.slice(from, i));
    const withIt = decode(ids.slice(from, i + 1));
    const piece = withIt.slice(commonPrefix(before, withIt));
    const text = piece.length ? piece : decode([id]);
    if (piece.length && !piece.includes('\uFFFD') && prompt.startsWith(piece, cursor)) {
      const start = cursor;
      cursor += piece.length;
      return { id, text, start, end: cursor };
    }
    const core = piece.replace(/\uFFFD/g, '').trim().toLowerCase();
    if (core.length) {
      const at = lower.indexOf(core, cursor);
      if (at >= 0 && at - cursor <= piece.length + 8) {
        cursor = at + core.length;
        return { id, text, start: at, end: cursor };
      }
    }
    return { id, text, start: cursor, end: cursor };
  });
}

/**
 * Length of the common prefix of the decodings without and with a token; when the token rewrote the
 * tail (it completed a character that decoded as U+FFFD before), the prefix stops before that tail.
 */
function commonPrefix(a: string, b: string): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  if (n === a.length) return n;
  while (n > 0 && a[n - 1] === '\uFFFD') n--;
  return n;
}
