/** Summary statistics of repeated timings: the median and how far the samples spread around it. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** Median absolute deviation from the median (robust to one slow outlier). */
  mad: number;
  samples: number;
}

export function median(xs: readonly number[]): number {
  if (!xs.length) throw new Error('median of no samples; run at least once (--repeat 1 or more)');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function spread(xs: readonly number[]): Spread {
  const m = median(xs);
  return { median: m, min: Math.min(...xs), max: Math.max(...xs), mad: median(xs.map((x) => Math.abs(x - m))), samples: xs.length };
}
