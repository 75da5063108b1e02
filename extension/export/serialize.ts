/** The numbers of an inspection as JSON or CSV (pure, unit-tested). */
import type { InspectResult } from '../../runtime/protocol/runtime';

export interface ExportContext {
  model: string;
  variant: string;
  backend: string;
  epsilon: number;
}

/** Every number: α as nested arrays [layer][head][token], sink scores, tokens, timings. */
export function inspectionJson(r: InspectResult, ctx: ExportContext): string {
  const n = r.tokens.length;
  const alpha = Array.from({ length: r.layers }, (_, l) => Array.from({ length: r.heads }, (_, h) => {
    const o = (l * r.heads + h) * n;
    return Array.from(r.alpha.data.subarray(o, o + n));
  }));
  return JSON.stringify({
    model: ctx.model, variant: ctx.variant, coreVariants: r.variants, backend: ctx.backend, epsilon: ctx.epsilon,
    tokens: r.tokens, sinkScore: Array.from(r.sinkScore.data), alpha,
    outputs: r.outputs ? { topK: r.outputs.topK, loss: r.outputs.loss, tokenLoss: Array.from(r.outputs.tokenLoss.data) } : null,
    timings: { totalMs: r.totalMs, kernelMs: r.kernelMs, ortMs: r.ortMs },
  }, null, 1);
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per token: index, id, text, sink score, then α per layer and head (columns L0h0, L0h1, …). */
export function inspectionCsv(r: InspectResult): string {
  const n = r.tokens.length;
  const cols: string[] = [];
  for (let l = 0; l < r.layers; l++) for (let h = 0; h < r.heads; h++) cols.push(`alpha_L${l}h${h}`);
  const rows = [['index', 'id', 'text', 'sink_score', ...cols].join(',')];
  r.tokens.forEach((t, k) => {
    const alphas: string[] = [];
    for (let lh = 0; lh < r.layers * r.heads; lh++) alphas.push(String(r.alpha.data[lh * n + k]));
    rows.push([String(k), String(t.id), csvField(t.text), String(r.sinkScore.data[k]), ...alphas].join(','));
  });
  return `${rows.join('\n')}\n`;
}
