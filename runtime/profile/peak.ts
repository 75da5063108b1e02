import { loadNativeAddon } from '../kernels/native/backend';

/** The machine's measured fp32 FMA peak for a thread count, or why it could not be measured. */
export interface MeasuredPeak {
  threads: number;
  gflops: number | null;
  note: string;
}

const measured = new Map<number, MeasuredPeak>();

/**
 * Register-only FMA throughput of the native addon (the loop `npm run bench` reports), best of three
 * runs of 5·10⁷ iterations, measured once per thread count per process. Without the native addon
 * there is no peak (GFLOP/s are still reported, % of peak is not).
 */
export function fmaPeak(threads: number): MeasuredPeak {
  const known = measured.get(threads);
  if (known) return known;
  let result: MeasuredPeak;
  try {
    const addon = loadNativeAddon();
    const gflops = Math.max(...[0, 1, 2].map(() => addon.fmaPeak(threads, 5e7).gflops));
    result = { threads, gflops, note: `register-only FMA loop, ${threads} thread${threads > 1 ? 's' : ''} (kernels: ${addon.isa()})` };
  } catch (err) {
    result = { threads, gflops: null, note: `no peak: ${err instanceof Error ? err.message : String(err)}` };
  }
  measured.set(threads, result);
  return result;
}
