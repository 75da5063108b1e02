/**
 * A profile as files: the Chrome trace as the CLI's --trace writes it, and the per-layer table as
 * CSV (one row per configuration and layer, then one per head range timed on its own). Pure.
 */
import type { PanelProfile, PanelSpread } from '../protocol/analyses';

export const PROFILE_CSV_HEADER = ['configuration', 'variant', 'backend', 'threads', 'layer', 'heads', 'kernel_ms_median', 'kernel_ms_mad', 'kernel_ms_min', 'kernel_ms_max', 'gflops', 'pct_peak', 'ort_before_ms', 'ort_after_ms'];

function cell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const spread = (s: PanelSpread): number[] => [s.median, s.mad, s.min, s.max];

export function profileCsv(p: PanelProfile): string {
  const rows: (string | number | null)[][] = [PROFILE_CSV_HEADER];
  for (const c of p.report.configs) {
    for (const l of c.layers) {
      const base = [c.label, c.variant, c.backend, c.threads, l.layer];
      rows.push([...base, `0-${l.heads - 1}`, ...spread(l.kernelMs), l.gflops, l.pctPeak, l.ortBeforeMs?.median ?? null, l.ortAfterMs?.median ?? null]);
      for (const r of l.ranges) rows.push([...base, `${r.from}-${r.to - 1}`, ...spread(r.kernelMs), r.gflops, r.pctPeak, null, null]);
    }
  }
  return rows.map((r) => r.map(cell).join(',')).join('\n') + '\n';
}

/** The trace JSON, or a one-line reason when the profile kept none. */
export function profileTraceJson(p: PanelProfile): string {
  if (!p.trace) throw new Error('This profile kept no trace; run Profile again.');
  return JSON.stringify(p.trace);
}
