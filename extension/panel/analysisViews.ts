/**
 * The runtime's drift and streaming reports as the panel's Drift and Streaming tabs take them
 * (extension/protocol/analyses.ts, the shape of the CLI's --json). Pure, unit-tested.
 */
import type { PanelCompare, PanelDrift, PanelStream } from '../protocol/analyses';
import type { CompareReport, DriftReport, StreamReport } from '../../runtime/protocol/runtime';

export function compareForPanel(r: CompareReport, model: string): PanelCompare {
  return { model, tokens: r.tokenDrift.length, labels: r.labels, heads: r.heads, output: r.output, topK: r.topK, sink: r.sink };
}

export function driftForPanel(r: DriftReport, model: string): PanelDrift {
  return { model, quant: { mode: r.quant }, tokens: r.tokenDrift.length, heads: r.heads, output: r.output, sink: r.sink };
}

export function streamForPanel(r: StreamReport, model: string): PanelStream {
  return { model, tokens: r.tokens, sinks: r.sinks, window: r.window, evaluatedFrom: r.evaluatedFrom, runs: r.runs, note: r.note };
}
