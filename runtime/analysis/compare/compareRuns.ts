import { rankHeadDrift, type HeadDrift, type HeadMap } from '../drift/headDrift';
import { outputDrift, type LogitRows, type OutputDrift } from '../drift/outputDrift';
import type { Divergence } from '../drift/rowDivergence';
import type { KeyImportance } from '../sinks/keyImportance';
import { DEFAULT_SINK_EPSILON, sinkRate } from '../sinks/sinkRate';
import { topK, type TokenProb } from './topK';

/** One run of one prompt: a variant, backend, quantisation mode or model, named by `label`. */
export interface RunCapture {
  label: string;
  /** Full maps of the heads to compare (every head, for a ranking). */
  maps: HeadMap[];
  /** α per attention core, from the kernels' instrumentation. */
  importance: KeyImportance[];
  logits: LogitRows;
}

export interface RunComparison {
  labels: [string, string];
  /** Heads ranked by mean row divergence, largest first. */
  heads: HeadDrift[];
  output: OutputDrift;
  /** Next-token top-k after the last position, side by side. */
  topK: [TokenProb[], TokenProb[]];
  /** Sink₁^ε (fraction) of each run and B − A. */
  sinkRate: [number, number];
  deltaSinkRate: number;
  /** Whether either run used the proxy map of spec §1.1. */
  proxy: boolean;
}

export interface CompareOptions {
  divergence?: Divergence;
  k?: number;
  epsilon?: number;
}

/** Compare run B against baseline A on the same prompt ids. */
export function compareRuns(a: RunCapture, b: RunCapture, ids: ArrayLike<number>, options: CompareOptions = {}): RunComparison {
  const k = options.k ?? 5;
  const epsilon = options.epsilon ?? DEFAULT_SINK_EPSILON;
  const sa = sinkRate(a.importance, epsilon)[0];
  const sb = sinkRate(b.importance, epsilon)[0];
  return {
    labels: [a.label, b.label],
    heads: rankHeadDrift(a.maps, b.maps, options.divergence ?? 'js'),
    output: outputDrift(a.logits, b.logits, ids),
    topK: [topK(a.logits, k), topK(b.logits, k)],
    sinkRate: [sa, sb],
    deltaSinkRate: sb - sa,
    proxy: [...a.importance, ...b.importance].some((l) => l.proxy),
  };
}
