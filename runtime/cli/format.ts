import type { CheckReport } from './check';
import type { CoreFacts } from './core-facts';
import type { GraphReport } from './graph';
import type { InspectReport } from './inspect';
import { inspectSinkLines } from './analysisRun';
import { kernelStatsLines } from '../protocol/kernelStats';

const num = (x: number | null, digits = 3): string => (x === null ? '?' : Number.isInteger(x) ? String(x) : x.toFixed(digits));
const flag = (b: boolean | null): string => (b === null ? '?' : b ? 'causal' : 'bidirectional');

function coreLine(c: CoreFacts): string {
  return `  layer ${c.layer}: ${c.kind} ${c.normalizer}, ${num(c.qHeads)} q heads / ${num(c.kvHeads)} kv heads, d=${num(c.headDim)}, ${flag(c.causal)}  (${c.name})`;
}

export function formatCheck(r: CheckReport): string {
  const lines = [
    `${r.pass ? 'PASS' : 'FAIL'} ${r.model}: ${r.cores} attention cores, ${r.tokens} tokens, backend ${r.backend}`,
    `max |segmented − ONNX Runtime| = ${r.maxAbsDiff.toExponential(2)} (tolerance ${r.tolerance.toExponential(0)})`,
    ...r.outputs.map((o) => `  ${o.name}: ${o.maxAbsDiff.toExponential(2)}`),
  ];
  return lines.join('\n');
}

/** Gu et al.'s Sink₁ reads the first 64 tokens (spec §1.1); on fewer, α₁ > ε is within reach of a head with no sink. */
export const SINK_METRIC_TOKENS = 64;

/**
 * On a prompt shorter than the metric's 64 tokens, what α₁ a head that spreads each query's weight
 * evenly over the keys it sees already has: (1/T)·Σ 1/i = H_T/T for causal heads, 1/T otherwise.
 */
function shortPromptNote(r: InspectReport): string[] {
  const t = r.tokens.length;
  if (t >= SINK_METRIC_TOKENS || t < 2) return [];
  let harmonic = 0;
  for (let i = 1; i <= t; i++) harmonic += 1 / i;
  const uniform = r.model.cores.every((c) => c.causal) ? harmonic / t : 1 / t;
  return [`  short prompt (${t} tokens): a head spreading its weight evenly already gives alpha1 = ${uniform.toFixed(2)}; ` +
    `Sink1 is defined on the first ${SINK_METRIC_TOKENS} tokens (use a longer prompt, or attnscope sinks --dataset)`];
}

export function formatInspect(r: InspectReport): string {
  const lines = [
    `${r.model.path}: ${r.model.layers} layers, ${r.model.heads} heads; variant ${r.variant}, backend ${r.backend}`,
    ...r.model.cores.map(coreLine),
    `tokens (${r.tokens.length}): ${r.tokens.map((t) => JSON.stringify(t.text)).join(' ')}`,
    `sink rate Sink1^${r.sink.epsilon} = ${r.sink.rate.toFixed(1)}% of heads give the first token alpha > ${r.sink.epsilon}`,
    ...shortPromptNote(r),
    ...r.sink.alpha.map((row, l) => `  layer ${l} alpha1: ${row.map((a) => a.toFixed(2)).join(' ')}`),
    ...inspectSinkLines(r.sinks, (i) => r.tokens[i]?.text ?? `#${i}`),
  ];
  if (r.nextToken) lines.push(`next token: ${r.nextToken.topk.map((t) => `${JSON.stringify(t.text)} ${(100 * t.prob).toFixed(1)}%`).join(', ')}`);
  if (r.loss !== null) lines.push(`loss (mean next-token NLL): ${r.loss.toFixed(4)} nats`);
  lines.push(...kernelStatsLines(r.kernel).map((l) => l.text));
  lines.push(`time: ${r.timings.totalMs.toFixed(1)} ms total, ${r.timings.kernelMs.toFixed(1)} ms in attention kernels`);
  return lines.join('\n');
}

export function formatGraph(r: GraphReport): string {
  const lines = [
    `${r.model}: opset ${r.opset}, ${r.nodes} nodes, ${r.cores.length} attention cores, max positions ${r.maxPositions ?? 'unbounded'}`,
    ...r.cores.flatMap((c) => [
      coreLine(c),
      `    Q ${c.q}  K ${c.k}  V ${c.v}  ->  ${c.output}; ${c.nodes} nodes replaced; scale ${c.scale !== null ? num(c.scale, 6) : c.scaleSource === 'default' ? '1/sqrt(headDim)' : 'computed by the graph'}${c.terms.length ? `; logits: ${c.terms.join(', ')}` : ''}`,
    ]),
    'cuts:',
    ...r.segments.map((s) => `  segment ${s.index}: ${s.nodes} nodes, ${s.inputs} inputs, ${s.outputs} outputs${s.coresAfter.length ? `; cut at ${s.cutTensors.join(', ')} -> cores of layer ${s.coresAfter.join(', ')}` : ''}`),
  ];
  if (r.rejected.length) lines.push('not attention:', ...r.rejected.map((x) => `  ${x.node} (${x.op}): ${x.reason}`));
  if (r.probeError) lines.push(`probe run failed: ${r.probeError}`);
  return lines.join('\n');
}
