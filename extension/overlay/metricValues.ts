/** Per-token values of the overlay's metric (pure, unit-tested). */
import type { InspectResult } from '../../runtime/protocol/runtime';
import type { PanelMetric } from '../protocol/panel';

export interface OverlayValues {
  /** One value in [0, 1] per token. */
  values: Float32Array;
  /** What the values are, for the hover. */
  label: string;
}

/** Sink score or α of a head, straight from the inspection; null for 'query' (it needs the head's map). */
export function directValues(r: InspectResult, m: PanelMetric): OverlayValues | null {
  if (m.metric === 'sink') return { values: r.sinkScore.data, label: 'sink score' };
  if (m.metric === 'query' || m.metric === 'drift') return null;
  if (m.layer >= r.layers || m.head >= r.heads) throw new Error(`layer ${m.layer} head ${m.head} is not in this inspection (${r.layers} layers × ${r.heads} heads)`);
  const n = r.tokens.length;
  const o = (m.layer * r.heads + m.head) * n;
  return { values: r.alpha.data.subarray(o, o + n), label: `α in layer ${m.layer} head ${m.head}` };
}

/**
 * Per-token drift (|Δ attention received|) scaled to [0, 1] by its largest value, so the most
 * drifting token gets the strongest background; the hover shows the raw values.
 */
export function driftValues(drift: Float32Array, label: string): OverlayValues {
  let max = 0;
  for (const v of drift) if (Math.abs(v) > max) max = Math.abs(v);
  return { values: Float32Array.from(drift, (v) => (max > 0 ? Math.abs(v) / max : 0)), label: `drift (${label}, relative to the largest ${max.toPrecision(3)})` };
}

/**
 * The attention query token `query` gives each key in a head's [tq, tk] map; keys it cannot see
 * get 0. Query rows sit at the end of the key range (row i is token i + tk − tq).
 */
export function queryValues(weights: Float32Array, tq: number, tk: number, m: Extract<PanelMetric, { metric: 'query' }>): OverlayValues {
  const row = m.query - (tk - tq);
  if (row < 0 || row >= tq) throw new Error(`token ${m.query} is not a query of this map (${tq} queries over ${tk} keys)`);
  return { values: weights.slice(row * tk, row * tk + tk), label: `attention from token #${m.query} in layer ${m.layer} head ${m.head}` };
}
