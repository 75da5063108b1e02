/**
 * Serves the built panel (dist/webview.js, media/css/panel.css and the HTML that
 * extension/panel/html.ts builds, CSP included) to headless Chromium, with a stand-in for what the
 * VS Code webview host provides: the theme's CSS variables and acquireVsCodeApi(), whose host side
 * records every message and answers headMap requests from a recorded payload (headTiles from the
 * test's own window.__headTiles).
 */
import { createServer, type Server } from 'node:http';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { newNonce, panelHtml } from '../../extension/panel/html';
import { encodePayload, type PanelPayload } from '../../scripts/e2e/payload';
import { CHROMIUM, launchChromium } from '../../scripts/e2e/chromium';

const root = join(import.meta.dirname, '..', '..');

/** VS Code's default theme colours (Dark Modern / Light Modern) for the variables the panel reads. */
export const THEMES = {
  dark: { '--vscode-editor-background': '#1f1f1f', '--vscode-charts-orange': '#d18616', '--vscode-charts-blue': '#3794ff', '--vscode-charts-green': '#89d185', '--vscode-charts-purple': '#b180d7', '--vscode-charts-red': '#f14c4c', '--vscode-charts-yellow': '#cca700', '--vscode-focusBorder': '#0078d4', '--vscode-foreground': '#cccccc', '--vscode-editor-foreground': '#cccccc', '--vscode-errorForeground': '#f85149', '--vscode-descriptionForeground': '#9d9d9d', '--vscode-font-family': 'sans-serif', '--vscode-font-size': '13px', '--vscode-editor-font-family': 'monospace' },
  light: { '--vscode-editor-background': '#ffffff', '--vscode-charts-orange': '#d18616', '--vscode-charts-blue': '#1a85ff', '--vscode-charts-green': '#388a34', '--vscode-charts-purple': '#652d90', '--vscode-charts-red': '#e51400', '--vscode-charts-yellow': '#bf8803', '--vscode-focusBorder': '#005fb8', '--vscode-foreground': '#3b3b3b', '--vscode-editor-foreground': '#3b3b3b', '--vscode-errorForeground': '#f85149', '--vscode-descriptionForeground': '#3b3b3b', '--vscode-font-family': 'sans-serif', '--vscode-font-size': '13px', '--vscode-editor-font-family': 'monospace' },
} as const;
export type ThemeName = keyof typeof THEMES;

export interface PanelServer {
  origin: string;
  nonce: string;
  close(): Promise<void>;
}

export async function servePanel(): Promise<PanelServer> {
  const nonce = newNonce();
  const files: Record<string, [string, string]> = {
    '/dist/webview.js': [join(root, 'dist/webview.js'), 'text/javascript'],
    '/media/css/panel.css': [join(root, 'media/css/panel.css'), 'text/css'],
    '/dist/codicon.css': [join(root, 'dist/codicon.css'), 'text/css'],
    '/dist/codicon.ttf': [join(root, 'dist/codicon.ttf'), 'font/ttf'],
    '/dist/attnscope_kernels.wasm': [join(root, 'dist/attnscope_kernels.wasm'), 'application/wasm'],
    '/dist/attnscope_kernels_relaxed.wasm': [join(root, 'dist/attnscope_kernels_relaxed.wasm'), 'application/wasm'],
  };
  let origin = '';
  const server: Server = createServer((req, res) => {
    if (req.url === '/panel.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(panelHtml({ cspSource: origin, nonce, scriptUri: `${origin}/dist/webview.js`, wasmUri: `${origin}/dist/attnscope_kernels.wasm`, styleUri: `${origin}/media/css/panel.css`, codiconUri: `${origin}/dist/codicon.css` }));
      return;
    }
    // A top-level page asks for a favicon; a VS Code webview frame does not.
    if (req.url === '/favicon.ico') { res.writeHead(204); res.end(); return; }
    const f = files[(req.url ?? '').split('?')[0]]; // the font is asked for with a version query
    if (!f) { console.error(`panel harness: 404 ${req.url}`); res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': f[1] });
    res.end(readFileSync(f[0]));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, nonce, close: () => new Promise((r) => server.close(() => r())) };
}

/**
 * The init script run before the panel's own: theme variables on <html> (set through the CSSOM,
 * as VS Code does, so the CSP allows them) and acquireVsCodeApi() with a recording host.
 */
export function hostScript(theme: ThemeName, state?: unknown): string {
  // tsx compiles the test's page.evaluate callbacks with esbuild's keepNames, which calls __name().
  return `(() => {
    globalThis.__name = (f) => f;
    const vars = ${JSON.stringify(THEMES[theme])};
    const apply = () => { for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v); };
    if (document.documentElement) apply(); else new MutationObserver((_, o) => { if (document.documentElement) { apply(); o.disconnect(); } }).observe(document, { childList: true });
    window.__posted = [];
    window.__state = ${JSON.stringify(state ?? null)} ?? undefined;
    window.__headMaps = [];
    const reply = (m) => window.postMessage(m, '*');
    window.acquireVsCodeApi = () => ({
      postMessage(m) {
        window.__posted.push(m);
        if (m && m.kind === 'request' && m.method === 'headMap') {
          const map = window.__headMaps.find((h) => h.layer === m.params.layer && h.head === m.params.head);
          setTimeout(() => reply(map
            ? { kind: 'response', inReplyTo: m.messageId, result: map }
            : { kind: 'response', inReplyTo: m.messageId, error: { code: 'bad-request', message: 'no recorded map for layer ' + m.params.layer + ' head ' + m.params.head } }), 0);
        }
        // Tiles of a pooled map (lod): answered by the test's window.__headTiles(params), after window.__tileDelay ms.
        if (m && m.kind === 'request' && m.method === 'headTiles') {
          setTimeout(() => reply(typeof window.__headTiles === 'function'
            ? { kind: 'response', inReplyTo: m.messageId, result: window.__headTiles(m.params) }
            : { kind: 'response', inReplyTo: m.messageId, error: { code: 'bad-request', message: 'no tiles in this test' } }), window.__tileDelay || 0);
        }
      },
      getState() { return window.__state; },
      setState(s) { window.__state = s; },
    });
  })();`;
}

/** Bundles the current sources (so a test never runs a stale dist/webview.js), launches Chromium and serves the panel. */
export async function startPanel(): Promise<{ browser: Browser; server: PanelServer }> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (see RECIPES.md)`);
  const built = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), 'bundle'], { cwd: root, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`node scripts/build.mjs bundle failed: ${built.stderr}`);
  const browser = await launchChromium();
  const server = await servePanel();
  return { browser, server };
}

/** Sends a message to the panel as the extension would; typed arrays are rebuilt in the page. */
export async function send(page: Page, message: unknown): Promise<void> {
  const json = encodePayload(message as PanelPayload);
  await page.evaluate((text) => {
    const revive = (_k: string, v: unknown): unknown => {
      const o = v as { f32?: string } | null;
      if (o && typeof o === 'object' && typeof o.f32 === 'string') return new Float32Array(Uint8Array.from(atob(o.f32), (c) => c.charCodeAt(0)).buffer);
      return v;
    };
    window.postMessage(JSON.parse(text, revive), '*');
  }, json);
}

/**
 * Opens the panel in a new page with the recording host, waits for its `ready` event, and gives the
 * host the head maps of the recorded payload to answer with. Collects console warnings and errors
 * (page errors among them).
 */
export async function openPanel(
  browser: Browser, server: PanelServer, theme: ThemeName, viewport: { width: number; height: number }, payloadText: string,
): Promise<{ page: Page; warnings: string[]; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  const warnings: string[] = [];
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(hostScript(theme));
  await page.goto(`${server.origin}/panel.html`);
  await page.waitForFunction(() => (window as unknown as { __posted: { event?: string }[] }).__posted.some((m) => m.event === 'ready'));
  await page.evaluate((text) => {
    const revive = (_k: string, v: unknown): unknown => {
      const o = v as { f32?: string } | null;
      if (o && typeof o === 'object' && typeof o.f32 === 'string') return new Float32Array(Uint8Array.from(atob(o.f32), (c) => c.charCodeAt(0)).buffer);
      return v;
    };
    (window as unknown as { __headMaps: unknown }).__headMaps = JSON.parse(text, revive).headMaps;
  }, payloadText);
  return { page, warnings, errors };
}
