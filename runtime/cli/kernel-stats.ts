import type { AttentionStats, VariantSpec } from '../kernels/types';
import { VARIANTS } from '../kernels/variants';
import { INVALID_ROWS_LISTED, type InvalidRow, type KernelStats, type LayerKernelStats } from '../protocol/kernelStats';

/** What kernelStatsOf reads of a core's run (a CoreRun has it). */
export interface CoreKernelRun {
  layer: number;
  input: { tq: number };
  stats: AttentionStats;
}

/** soft-nystrom's errorRows default, from the registry. */
function errorRowsDefault(): number {
  const p = VARIANTS['soft-nystrom'].params.find((q) => q.name === 'errorRows');
  return typeof p?.default === 'number' ? p.default : 0;
}

/** Rows per head approxError compares (gauss.c nystrom_error_row): every row when errorRows is 0 or tq ≤ errorRows. */
export function approxErrorRows(variant: VariantSpec, tq: number): number {
  const n = variant.params.errorRows ?? errorRowsDefault();
  return n <= 0 || tq <= n ? tq : n;
}

/** Larger, with NaN winning (a NaN residual is the news). */
const worse = (a: number, b: number): boolean => Number.isNaN(a) ? !Number.isNaN(b) : a > b;

/**
 * The kernels' own statistics of a run, per layer (cores[i] ran variants[i]): invalid rows as a
 * count and the first (head, row) pairs (stats.invalidRows holds head * tq + row), unified-max's
 * recomputed rows, soft-nystrom's residual and approximation error (only in the layers whose
 * variant computes them), and the totals over the layers.
 */
export function kernelStatsOf(cores: readonly CoreKernelRun[], variants: readonly VariantSpec[]): KernelStats {
  if (cores.length !== variants.length) throw new Error(`kernelStatsOf: ${cores.length} cores but ${variants.length} variants`);
  const layers = cores.map((c, i): LayerKernelStats => {
    const v = variants[i];
    const tq = c.input.tq;
    const invalid = [...c.stats.invalidRows].sort((a, b) => a - b);
    const l: LayerKernelStats = {
      layer: c.layer, variant: v.id, rows: tq, invalidRows: invalid.length,
      invalidAt: invalid.slice(0, INVALID_ROWS_LISTED).map((r) => ({ head: Math.floor(r / tq), row: r % tq })),
    };
    if (v.id === 'unified-max') l.recomputedRows = c.stats.recomputedRows;
    if (v.id === 'soft-nystrom') {
      l.nrResidual = c.stats.nrResidual;
      l.approxError = c.stats.approxError;
      l.approxErrorRows = approxErrorRows(v, tq);
    }
    return l;
  });
  const invalidAt: InvalidRow[] = layers.flatMap((l) => l.invalidAt.map((p) => ({ layer: l.layer, ...p }))).slice(0, INVALID_ROWS_LISTED);
  const unified = layers.filter((l) => l.recomputedRows !== undefined);
  let nrResidual: KernelStats['totals']['nrResidual'] = null;
  let approxError: KernelStats['totals']['approxError'] = null;
  for (const l of layers) {
    if (l.nrResidual === undefined || l.approxError === undefined || l.approxErrorRows === undefined) continue;
    if (!nrResidual || worse(l.nrResidual, nrResidual.max)) nrResidual = { max: l.nrResidual, layer: l.layer };
    if (!approxError || worse(l.approxError, approxError.max)) approxError = { max: l.approxError, layer: l.layer, rows: l.approxErrorRows, of: l.rows };
  }
  return {
    layers,
    totals: {
      invalidRows: layers.reduce((s, l) => s + l.invalidRows, 0),
      invalidAt,
      recomputedRows: unified.length ? unified.reduce((s, l) => s + (l.recomputedRows ?? 0), 0) : null,
      nrResidual,
      approxError,
    },
  };
}
