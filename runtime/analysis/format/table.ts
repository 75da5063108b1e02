import { fmt } from '../../protocol/numberFormat';

/** A plain-text table with right-aligned numbers, for the CLI's readable output. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const line = (r: string[]): string => r.map((c, i) => (numeric[i] ? (c ?? '').padStart(widths[i]) : (c ?? '').padEnd(widths[i]))).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export { fmt };

export function percent(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

/** A token's text made printable on one line (newlines, tabs shown), or `#id` without a tokenizer. */
export function showToken(text: string | undefined, id: number): string {
  if (text === undefined) return `#${id}`;
  return JSON.stringify(text).slice(1, -1);
}
