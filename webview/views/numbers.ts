/** Numbers as the CLI prints them: one fmt for both (runtime/protocol/numberFormat.ts). */
export { fmt } from '../../runtime/protocol/numberFormat';

/** A share as a percentage with one decimal, or '' for null (no measured peak). */
export function pct(x: number | null): string {
  return x === null ? '' : `${(100 * x).toFixed(1)}%`;
}

/** The theme's chart colours, one per series (variant × backend, or streaming run). */
export const SERIES_COLORS = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple', '--vscode-charts-red', '--vscode-charts-yellow'];

/** A plain table: header cells, then rows of text cells. */
export function htmlTable(className: string, caption: string, head: string[], rows: string[][]): HTMLTableElement {
  const t = document.createElement('table');
  t.className = className;
  const c = document.createElement('caption');
  c.textContent = caption;
  const thead = document.createElement('thead');
  const hr = document.createElement('tr');
  for (const h of head) { const th = document.createElement('th'); th.scope = 'col'; th.textContent = h; hr.append(th); }
  thead.append(hr);
  const tbody = document.createElement('tbody');
  for (const r of rows) {
    const tr = document.createElement('tr');
    for (const v of r) { const td = document.createElement('td'); td.textContent = v; tr.append(td); }
    tbody.append(tr);
  }
  t.append(c, thead, tbody);
  return t;
}
