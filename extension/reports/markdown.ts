/** The analyses' reports as Markdown documents (pure, unit-tested). */
import type { CompareReport, DriftReport, HeadShift, OutputShift, StreamReport } from '../../runtime/protocol/runtime';

const f = (x: number, d = 4): string => (Number.isFinite(x) ? x.toFixed(d) : String(x));
const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

function row(cells: (string | number)[]): string {
  return `| ${cells.map((c) => String(c).replace(/\|/g, '\\|').replace(/\n/g, '⏎')).join(' | ')} |`;
}

function table(head: string[], rows: (string | number)[][]): string {
  return [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');
}

function headsTable(heads: HeadShift[], top: number): string {
  return table(['layer', 'head', 'mean row divergence', 'max abs ΔA', 'Δ α₁'], heads.slice(0, top).map((h) => [h.layer, h.head, f(h.meanRowDivergence), f(h.maxAbsDelta), f(h.deltaSinkAlpha)]));
}

function tokensTable(tokens: { index: number; text?: string; deltaAttention: number }[], top: number): string {
  const worst = [...tokens].sort((a, b) => Math.abs(b.deltaAttention) - Math.abs(a.deltaAttention)).slice(0, top);
  return table(['#', 'token', 'Δ attention received'], worst.map((t) => [t.index, JSON.stringify(t.text ?? ''), f(t.deltaAttention)]));
}

function outputLines(o: OutputShift, a: string, b: string): string[] {
  return [
    `- loss: ${a} ${f(o.lossA)}, ${b} ${f(o.lossB)}, Δ ${f(o.deltaLoss)}`,
    `- logits: max |Δ| ${f(o.maxAbsDeltaLogit)}, mean next-token KL ${f(o.meanNextTokenKl)}, top-1 agreement ${pct(o.top1Agreement)}`,
  ];
}

export function compareMarkdown(r: CompareReport, model: string, top = 10): string {
  const [a, b] = r.labels;
  const k = Math.max(r.topK[0].length, r.topK[1].length);
  return [
    `# AttnScope: ${a} vs ${b}`,
    '',
    `${model} · ${r.tokenDrift.length} tokens · ${Math.round(r.totalMs)} ms`,
    '',
    `## Heads ranked by ${r.divergence} divergence (top ${Math.min(top, r.heads.length)} of ${r.heads.length})`,
    '',
    headsTable(r.heads, top),
    '',
    '## Tokens whose received attention moved most (B − A, mean over heads)',
    '',
    tokensTable(r.tokenDrift, top),
    '',
    '## Outputs',
    '',
    ...outputLines(r.output, a, b),
    `- first-token sink rate: ${a} ${pct(r.sink.a)}, ${b} ${pct(r.sink.b)}, Δ ${pct(r.sink.delta)}`,
    '',
    '## Next token after the prompt',
    '',
    table(['rank', `${a} token`, `${a} p`, `${b} token`, `${b} p`], Array.from({ length: k }, (_, i) => [
      i + 1, JSON.stringify(r.topK[0][i]?.text ?? r.topK[0][i]?.id ?? ''), f(r.topK[0][i]?.prob ?? NaN, 3),
      JSON.stringify(r.topK[1][i]?.text ?? r.topK[1][i]?.id ?? ''), f(r.topK[1][i]?.prob ?? NaN, 3),
    ])),
    '',
  ].join('\n');
}

export function driftMarkdown(r: DriftReport, model: string, top = 10): string {
  return [
    `# AttnScope: quantization drift (${r.quant} against fp32)`,
    '',
    `${model} · ${r.tokenDrift.length} tokens · ${Math.round(r.totalMs)} ms`,
    '',
    `## Heads ranked by drift (top ${Math.min(top, r.heads.length)} of ${r.heads.length})`,
    '',
    headsTable(r.heads, top),
    '',
    '## Tokens whose received attention moved most',
    '',
    tokensTable(r.tokenDrift, top),
    '',
    '## End to end',
    '',
    ...outputLines(r.output, 'fp32', r.quant),
    `- first-token sink rate: fp32 ${pct(r.sink.fp32)}, ${r.quant} ${pct(r.sink.quant)}, Δ ${pct(r.sink.delta)}`,
    '',
  ].join('\n');
}

export function streamMarkdown(r: StreamReport, model: string): string {
  return [
    `# AttnScope: streaming window (${r.sinks} sinks + ${r.window} recent tokens)`,
    '',
    `${model} · loss over predictions from token ${r.evaluatedFrom} · ${Math.round(r.totalMs)} ms`,
    '',
    table(['cache', 'loss', 'perplexity'], r.runs.map((x) => [x.label, f(x.loss), f(x.perplexity, 2)])),
    '',
    r.note,
    '',
  ].join('\n');
}
