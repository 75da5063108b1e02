/**
 * The model summary of an .onnx file (custom editor): inputs, outputs, opset, the attention cores
 * found (layer, kind, heads, GQA, causal) or why none was found, and a link that uses the model.
 * No script at all: CSP default-src 'none', the one action is a command link. Pure, unit-tested.
 */
import type { ModelDescription } from '../../runtime/protocol/runtime';

export const USE_MODEL_COMMAND = 'attnscope.useModel';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function dims(d: (number | string)[] | null): string {
  return d ? `[${d.join(', ')}]` : 'unknown';
}

function table(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

export function summaryHtml(d: ModelDescription, cspSource: string, styleUri: string): string {
  const useArgs = encodeURIComponent(JSON.stringify([d.path]));
  const cores = d.cores.length
    ? table(['layer', 'kind', 'normalizer', 'heads', 'GQA', 'causal', 'node'], d.cores.map((c) => [
      String(c.layer), c.kind, c.normalizer, c.qHeads === null ? 'from the tensors' : String(c.qHeads),
      c.qHeads !== null && c.kvHeads !== null && c.kvHeads !== c.qHeads ? `yes (${c.kvHeads} kv heads)` : c.kvHeads === null ? '?' : 'no',
      c.causal === null ? 'from the mask' : c.causal ? 'yes' : 'no', c.name,
    ]))
    : '';
  const rejected = d.rejected.length ? `<h2>Not attention cores</h2>${table(['node', 'op', 'why'], d.rejected.map((r) => [r.node, r.op, r.reason]))}` : '';
  const body = d.problem
    ? `<p class="problem" role="alert">${esc(d.problem)}</p>`
    : `<p><a class="use" href="command:${USE_MODEL_COMMAND}?${useArgs}">Use this model</a></p>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${esc(cspSource)};">
<link rel="stylesheet" href="${esc(styleUri)}">
<title>${esc(d.name)}</title>
</head>
<body>
<h1>${esc(d.name)}</h1>
<p class="facts">ONNX opset ${d.opset ?? 'unknown'} · ${d.cores.length} attention core${d.cores.length === 1 ? '' : 's'}</p>
${body}
<h2>Attention cores</h2>
${cores || '<p>None found.</p>'}
${rejected}
<h2>Inputs</h2>
${table(['name', 'shape'], d.inputs.map((i) => [i.name, dims(i.dims)]))}
<h2>Outputs</h2>
${table(['name', 'shape'], d.outputs.map((o) => [o.name, dims(o.dims)]))}
</body>
</html>
`;
}
