/** Numbers as the CLI prints them (runtime/analysis/format/table.ts fmt): 4 significant digits, no exponent for ordinary magnitudes. */
export function fmt(x: number): string {
  if (Number.isNaN(x)) return 'n/a';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (Number.isInteger(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return x.toExponential(3);
  return x.toPrecision(4);
}

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
