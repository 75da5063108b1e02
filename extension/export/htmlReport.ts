/**
 * A standalone HTML report of one inspection: opens in any browser from disk, loads nothing
 * (no scripts, no network: its own CSP allows only its one inline stylesheet, by hash), and holds
 * the settings, the token strip and model grid as inline SVG, and the numbers as tables. Pure.
 */
import { createHash } from 'node:crypto';
import type { InspectResult } from '../../runtime/protocol/runtime';
import { figureSvg, type FigurePalette, gridFigure, stripFigure } from '../../webview/export/figure';
import { ramp } from '../../webview/color';
import type { ExportContext } from './serialize';

/** Colours of figures made outside the panel: VS Code's Light Modern background and heat accent. */
export const REPORT_PALETTE: FigurePalette = { lut: ramp([255, 255, 255], [0xd1, 0x86, 0x16]), background: [255, 255, 255], foreground: [0x3b, 0x3b, 0x3b] };

const STYLE = `body { font-family: system-ui, sans-serif; color: #3b3b3b; margin: 24px; max-width: 1100px; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 28px; }
table { border-collapse: collapse; font-family: monospace; font-size: 12px; }
th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: right; } td.text { text-align: left; white-space: pre; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; } dt { font-weight: 600; } dd { margin: 0; }
figure { margin: 8px 0; } svg { max-width: 100%; height: auto; }`;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A number as the report prints it: 6 significant digits (the tables are for reading; JSON/CSV export keeps every bit). */
export function reportNumber(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(6))) : String(v);
}

export function inspectionHtml(r: InspectResult, ctx: ExportContext, when = new Date()): string {
  const n = r.tokens.length;
  const name = ctx.model.split(/[\\/]/).pop() ?? ctx.model;
  const strip = figureSvg(stripFigure({ tokens: r.tokens, values: r.sinkScore.data, metricLabel: 'sink score' }, REPORT_PALETTE)).replace(/^<svg /, '<svg role="img" aria-label="tokens coloured by sink score" ');
  const grid = figureSvg(gridFigure({ layers: r.layers, heads: r.heads, alpha: r.alpha.data, tokens: n }, REPORT_PALETTE)).replace(/^<svg /, '<svg role="img" aria-label="α₁ per layer and head" ');
  const facts: [string, string][] = [
    ['Model', ctx.model], ['Variant', ctx.variant], ['Core variants', [...new Set(r.variants)].join(', ')], ['Backend', ctx.backend],
    ['ε (sink score)', reportNumber(ctx.epsilon)], ['Shape', `${r.layers} layers × ${r.heads} heads · ${n} tokens`],
    ['Time', `${reportNumber(r.totalMs)} ms in all · kernels ${reportNumber(r.kernelMs)} ms · ONNX Runtime ${reportNumber(r.ortMs)} ms`],
    ['Exported', when.toISOString()],
  ];
  const tokenRows = r.tokens.map((t, k) => {
    const loss = r.outputs && k > 0 ? reportNumber(r.outputs.tokenLoss.data[k - 1]) : '';
    return `<tr><td>${k}</td><td>${t.id}</td><td class="text">${esc(JSON.stringify(t.text))}</td><td>${reportNumber(r.sinkScore.data[k])}</td>${r.outputs ? `<td>${loss}</td>` : ''}</tr>`;
  });
  const headCols = Array.from({ length: r.heads }, (_, h) => `<th>h${h}</th>`).join('');
  const alphaRows = Array.from({ length: r.layers }, (_, l) => `<tr><th>L${l}</th>${Array.from({ length: r.heads }, (_, h) => `<td>${reportNumber(r.alpha.data[(l * r.heads + h) * n])}</td>`).join('')}</tr>`);
  const outputs = r.outputs ? `<h2>Next token (loss ${reportNumber(r.outputs.loss)})</h2>
<table><thead><tr><th>rank</th><th>id</th><th>text</th><th>probability</th></tr></thead><tbody>
${r.outputs.topK.map((t, i) => `<tr><td>${i + 1}</td><td>${t.id}</td><td class="text">${esc(JSON.stringify(t.text))}</td><td>${reportNumber(t.prob)}</td></tr>`).join('\n')}
</tbody></table>` : '';
  const styleHash = createHash('sha256').update(STYLE).digest('base64');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'sha256-${styleHash}'">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>AttnScope report: ${esc(name)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>AttnScope report: ${esc(name)}</h1>
<dl>
${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('\n')}
</dl>
<h2>Tokens coloured by sink score</h2>
<figure>${strip}</figure>
<h2>α₁ (attention the first token receives) per layer and head</h2>
<figure>${grid}</figure>
<table id="alpha1"><thead><tr><th></th>${headCols}</tr></thead><tbody>
${alphaRows.join('\n')}
</tbody></table>
${outputs}
<h2>Per token</h2>
<table id="tokens"><thead><tr><th>#</th><th>id</th><th>text</th><th>sink score</th>${r.outputs ? '<th>loss</th>' : ''}</tr></thead><tbody>
${tokenRows.join('\n')}
</tbody></table>
</body>
</html>
`;
}
