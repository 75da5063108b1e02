/** The bench's printed table (runtime/kernels/bench/run.ts prints it without --json). */
import type { BenchRow } from './run';

/** A row whose samples spread more than this (MAD over median) is marked in the table: the host was busy. */
export const NOISY_MAD = 0.1;

/** The printed table: medians, their MAD, ratios and % of peak; rows marked `~` are noisy (NOISY_MAD). */
export function table(rows: BenchRow[]): string {
  const head = ['T', 'thr', 'backend', 'variant', 'instr', 'ms', '±MAD', 'vs ORT', 'vs web', '% peak'];
  const noisy = (r: BenchRow): boolean => r.madMs > NOISY_MAD * r.ms;
  const lines = rows.map((r) => [
    String(r.T), String(r.threads), r.backend, r.variant ?? '', r.variant ? (r.instrumented ? 'on' : 'off') : '',
    r.ms.toFixed(2), `${r.madMs.toFixed(2)}${noisy(r) ? ' ~' : '  '}`, r.ratioVsOrt === null ? '' : `${r.ratioVsOrt.toFixed(2)}x`,
    r.ratioVsOrtWeb === null ? '' : `${r.ratioVsOrtWeb.toFixed(2)}x`, r.pctPeak === null ? '' : `${(100 * r.pctPeak).toFixed(0)}%`,
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c].length)));
  const fmt = (cells: string[]): string => cells.map((x, c) => (c >= 5 ? x.padStart(widths[c]) : x.padEnd(widths[c]))).join('  ');
  const note = rows.some(noisy)
    ? [`~ samples spread by more than ${100 * NOISY_MAD}% of the median (MAD): the host was busy for that row; compare with another run`]
    : [];
  return [fmt(head), ...lines.map(fmt), ...note].join('\n');
}
