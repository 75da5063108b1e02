/**
 * Text extraction and normalisation for the demo-model corpus: which files count as text, how
 * HTML becomes plain text, and what a normalised document looks like.
 */

/** Extensions taken as source code. */
export const codeExtensions = new Set(['.ts', '.mts', '.cts', '.tsx', '.js', '.mjs', '.cjs', '.jsx', '.vue', '.svelte']);
/** Extensions taken as prose (Markdown, reStructuredText, plain text). */
export const proseExtensions = new Set(['.md', '.markdown', '.rst', '.txt']);
/** Extensions converted from HTML. */
export const htmlExtensions = new Set(['.html', '.htm']);

/** Files never taken, whatever their extension: licences (near-identical everywhere), bundles, maps. */
export function isExcludedName(relPath) {
  const base = relPath.split('/').pop().toLowerCase();
  return /^(licen[cs]e|copying|notice|authors|contributors)(\.|$)/.test(base)
    || /\.min\.(js|mjs|cjs)$/.test(base)
    || /\.(map|bundle\.js)$/.test(base)
    || relPath.includes('/node_modules/')
    || /\/(_static|_images|genindex|search)\b/.test(relPath);
}

const entities = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', ndash: '–', mdash: '—',
  hellip: '…', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', para: '¶', copy: '©', times: '×', larr: '←', rarr: '→' };

function decodeEntities(s) {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : '';
    }
    return entities[e.toLowerCase()] ?? m;
  });
}

/** HTML page -> readable plain text: drops head/script/style/nav, keeps <pre> verbatim, one block per line. */
export function htmlToText(html) {
  let body = html.replace(/<!--[\s\S]*?-->/g, '');
  const m = /<body[^>]*>([\s\S]*)<\/body>/i.exec(body);
  if (m) body = m[1];
  body = body.replace(/<(script|style|nav|noscript|svg)\b[\s\S]*?<\/\1>/gi, '');
  const pres = [];
  body = body.replace(/<pre\b[^>]*>([\s\S]*?)<\/pre>/gi, (_, inner) => {
    pres.push(decodeEntities(inner.replace(/<[^>]+>/g, '')));
    return `\n\u0000PRE${pres.length - 1}\u0000\n`;
  });
  body = body
    .replace(/<li\b[^>]*>/gi, '\n- ')
    .replace(/<(br|hr)\b[^>]*>/gi, '\n')
    .replace(/<\/(p|div|h[1-6]|li|tr|table|dl|dt|dd|ul|ol|section|blockquote|title)>/gi, '\n')
    .replace(/<(td|th)\b[^>]*>/gi, ' ')
    .replace(/<[^>]+>/g, '');
  body = decodeEntities(body)
    .split('\n').map((l) => l.replace(/[ \t\u00a0]+/g, ' ').trim()).join('\n');
  return body.replace(/\u0000PRE(\d+)\u0000/g, (_, i) => pres[Number(i)]);
}

/**
 * Normalise a document: NFC, LF line ends, no control characters but tab/newline, no trailing
 * spaces, at most two consecutive blank lines, no leading/trailing blank lines.
 */
export function normalizeText(text) {
  return text
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufeff]/g, '')
    .split('\n').map((l) => l.replace(/[ \t]+$/, '')).join('\n')
    .replace(/\n{4,}/g, '\n\n\n')
    .replace(/^\n+|\n+$/g, '');
}

/** Why a normalised document is unfit for training (minified, binary-ish, too small), or null. */
export function rejectReason(text) {
  if (text.length < 200) return 'too-short';
  const lines = text.split('\n');
  let longest = 0;
  for (const l of lines) if (l.length > longest) longest = l.length;
  if (longest > 1000) return 'minified';
  if (text.length / lines.length > 120) return 'minified';
  let odd = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 0xfffd) odd++;
  if (odd > 0) return 'not-utf8';
  return null;
}

/** Near-duplicate key: lower case, letters and digits only (spacing, punctuation and case ignored). */
export function looseKey(text) {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}
