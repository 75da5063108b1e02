/**
 * The panel's HTML: a strict Content-Security-Policy (default-src 'none'; scripts only with this
 * load's nonce, plus compiling WebAssembly for the kernels; styles, images, fonts and the fetch
 * of the .wasm only from the extension's own resources), the stylesheet and the bundled script. Pure, so the webview test loads exactly what VS Code shows.
 */
import { randomBytes } from 'node:crypto';

export interface PanelHtmlParts {
  /** `webview.cspSource`. */
  cspSource: string;
  nonce: string;
  /** webview URIs of dist/webview.js, dist/attnscope_kernels.wasm, media/css/panel.css and dist/codicon.css. */
  scriptUri: string;
  wasmUri: string;
  styleUri: string;
  codiconUri: string;
}

/** CSP source for an empty inline style element. */
export const EMPTY_STYLE_HASH = 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';

export function newNonce(): string {
  return randomBytes(18).toString('base64url');
}

function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

export function panelHtml(p: PanelHtmlParts): string {
  const csp = [
    "default-src 'none'",
    // 'wasm-unsafe-eval' compiles WebAssembly only (the kernels); eval() stays forbidden.
    `script-src 'nonce-${p.nonce}' 'wasm-unsafe-eval'`,
    `connect-src ${p.cspSource}`,
    // The toolkit (FAST) inserts empty <style> elements and fills them through the CSSOM, which CSP
    // does not govern: allow exactly the empty inline style (sha256 of ""), never 'unsafe-inline'.
    `style-src ${p.cspSource} '${EMPTY_STYLE_HASH}'`,
    `img-src ${p.cspSource} blob: data:`,
    `font-src ${p.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(p.codiconUri)}">
<link rel="stylesheet" href="${attr(p.styleUri)}">
<title>AttnScope</title>
</head>
<body>
<main id="app" aria-label="AttnScope attention panel" data-wasm="${attr(p.wasmUri)}"></main>
<script nonce="${attr(p.nonce)}" src="${attr(p.scriptUri)}"></script>
</body>
</html>
`;
}
