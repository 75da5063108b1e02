/**
 * What the kernels measured about their own computation (issue 3, item 3), per layer: rows whose
 * logits held NaN/Inf, unified-max's recomputed rows, soft-nystrom's Newton–Raphson residual and
 * approximation error. Built by runtime/cli/kernel-stats.ts from a run's cores; carried by
 * `attnscope inspect --json`, the runtime's InspectResult and the panel's inspection, and written
 * as the same lines by the CLI and the panel. Imports nothing but protocol modules (the webview
 * imports it).
 */
import { fmt } from './numberFormat';

/** A row whose logits held NaN/Inf (its output is 0). */
export interface InvalidRow {
  layer: number;
  head: number;
  row: number;
}

/** One layer's core. Variant-specific fields are present only where its variant computes them. */
export interface LayerKernelStats {
  layer: number;
  /** The variant id the core ran, e.g. `unified-max`. */
  variant: string;
  /** Query rows per head (tq). */
  rows: number;
  /** Rows (over all heads) whose logits held NaN/Inf; their output is 0. */
  invalidRows: number;
  /** The first of them (at most INVALID_ROWS_LISTED), heads then rows in order. */
  invalidAt: { head: number; row: number }[];
  /** unified-max: rows recomputed with the synchronized softmax because x − φ left the guard. */
  recomputedRows?: number;
  /** soft-nystrom: final Newton–Raphson residual ‖I − A·X‖₁ (max over kv heads). */
  nrResidual?: number;
  /** soft-nystrom: max |O_nystrom − O_soft-gauss| over the compared rows. */
  approxError?: number;
  /** soft-nystrom: query rows per head that approxError compared (errorRows' sample, or every row). */
  approxErrorRows?: number;
}

export interface KernelStats {
  layers: LayerKernelStats[];
  totals: {
    invalidRows: number;
    /** The first invalid rows over all layers (at most INVALID_ROWS_LISTED). */
    invalidAt: InvalidRow[];
    /** Sum over the unified-max layers; null when no layer ran unified-max. */
    recomputedRows: number | null;
    /** The largest over the soft-nystrom layers and where; null when no layer ran soft-nystrom. */
    nrResidual: { max: number; layer: number } | null;
    approxError: { max: number; layer: number; rows: number; of: number } | null;
  };
}

/** Invalid rows listed by position, per layer and in the totals. */
export const INVALID_ROWS_LISTED = 8;

const natural = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;
const obj = (x: unknown): Record<string, unknown> | null => (typeof x === 'object' && x !== null && !Array.isArray(x) ? x as Record<string, unknown> : null);

/** Why `x` is not a consistent KernelStats, or null. */
export function kernelStatsProblem(x: unknown): string | null {
  const s = obj(x);
  if (!s || !Array.isArray(s.layers)) return 'kernelStats must be {layers, totals}';
  for (const l of s.layers as unknown[]) {
    const o = obj(l);
    if (!o || !natural(o.layer) || typeof o.variant !== 'string' || !natural(o.rows) || !natural(o.invalidRows)) return 'kernelStats.layers entries need layer, variant, rows and invalidRows';
    if (!Array.isArray(o.invalidAt) || o.invalidAt.length > Math.min(o.invalidRows, INVALID_ROWS_LISTED)
      || !o.invalidAt.every((p) => natural(obj(p)?.head) && natural(obj(p)?.row) && (obj(p)?.row as number) < (o.rows as number))) {
      return `kernelStats layer ${o.layer}: invalidAt must list at most ${INVALID_ROWS_LISTED} of its invalid rows as {head, row}`;
    }
    if (o.recomputedRows !== undefined && !natural(o.recomputedRows)) return `kernelStats layer ${o.layer}: recomputedRows must be a count`;
    for (const k of ['nrResidual', 'approxError'] as const) {
      // NaN travels as null in JSON; a residual that is not finite is still a measurement.
      if (o[k] !== undefined && o[k] !== null && typeof o[k] !== 'number') return `kernelStats layer ${o.layer}: ${k} must be a number`;
    }
    if (o.approxErrorRows !== undefined && !natural(o.approxErrorRows)) return `kernelStats layer ${o.layer}: approxErrorRows must be a count`;
  }
  const t = obj(s.totals);
  if (!t || !natural(t.invalidRows) || !Array.isArray(t.invalidAt) || (t.recomputedRows !== null && !natural(t.recomputedRows))) {
    return 'kernelStats.totals needs invalidRows, invalidAt and recomputedRows (a count or null)';
  }
  for (const k of ['nrResidual', 'approxError'] as const) {
    if (t[k] !== null && !(obj(t[k]) && natural(obj(t[k])?.layer))) return `kernelStats.totals.${k} must be {max, layer} or null`;
  }
  return null;
}

const at = (p: InvalidRow): string => `L${p.layer} h${p.head} row ${p.row}`;

/**
 * One line per statistic that applies, as `attnscope inspect` prints them and the panel shows
 * them: invalid rows only when there are any; unified-max's and soft-nystrom's when a layer ran them.
 */
export function kernelStatsLines(s: KernelStats): { kind: 'invalid' | 'recomputed' | 'nystrom'; text: string }[] {
  const t = s.totals;
  const lines: { kind: 'invalid' | 'recomputed' | 'nystrom'; text: string }[] = [];
  if (t.invalidRows > 0) {
    const more = t.invalidRows - t.invalidAt.length;
    lines.push({
      kind: 'invalid',
      text: `kernel: ${t.invalidRows} invalid row${t.invalidRows === 1 ? '' : 's'} (NaN/Inf logits, output 0): ${t.invalidAt.map(at).join(', ')}${more > 0 ? `, … ${more} more` : ''}`,
    });
  }
  if (t.recomputedRows !== null) {
    const per = s.layers.filter((l) => (l.recomputedRows ?? 0) > 0).map((l) => `L${l.layer} ${l.recomputedRows}`);
    lines.push({
      kind: 'recomputed',
      text: t.recomputedRows > 0
        ? `unified-max: ${t.recomputedRows} row${t.recomputedRows === 1 ? '' : 's'} recomputed (x − φ left the guard): ${per.join(', ')}`
        : 'unified-max: no row recomputed (x − φ stayed within the guard)',
    });
  }
  if (t.nrResidual && t.approxError) {
    const e = t.approxError;
    const over = e.rows >= e.of ? `over every row (${e.of} per head)` : `over ${e.rows} sampled rows of ${e.of} per head (errorRows)`;
    lines.push({
      kind: 'nystrom',
      text: `soft-nystrom: Newton–Raphson residual ‖I − A·X‖₁ max ${fmt(t.nrResidual.max)} (L${t.nrResidual.layer}); approximation error vs soft-gauss max ${fmt(e.max)} (L${e.layer}), ${over}`,
    });
  }
  return lines;
}
