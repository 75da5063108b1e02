/**
 * Measures the panel in headless Chromium (not a test: timings are noisy here): time from the
 * `show` message to the 12 × 12 grid drawn, and from a head click to the first paint of a
 * 4,096 × 4,096 head map, sent whole (64 MB, as before level of detail) and max-pooled as the
 * runtime now sends it (level 2: 1,024 × 1,024, 4 MB); then, for the pooled map, a zoom past the
 * pooled level to its tiles drawn, and a variant change that recomputes the head in the panel
 * (WASM, 4,096 × 4,096 from the head's Q, K, V) to its map drawn. Min of --reps. The numbers are
 * synthetic (a causal map with a first-token sink, random Q, K, V); the rendering path is the real
 * one; the host answers in the page (postMessage within one page, not VS Code's process hop).
 *   node --import tsx scripts/e2e/measure-panel.ts [tokens, default 4096] [--reps N, default 5]
 */
import { parseArgs } from 'node:util';
import { launchChromium } from './chromium';
import { hostScript, servePanel } from '../../test/webview/harness';

type Sample = { showMs: number; headMs: number; firstDrawMs: number; canvas: number; zoomMs?: number; level?: number; recomputeMs?: number; computeMs?: number; bytes: number };

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { reps: { type: 'string' } } });
  const T = Number(positionals[0] ?? 4096);
  const reps = Number(values.reps ?? 5);
  const server = await servePanel();
  const browser = await launchChromium();
  const samples: Record<'whole' | 'pooled', Sample[]> = { whole: [], pooled: [] };
  try {
    for (let rep = 0; rep < reps; rep++) {
      for (const mode of ['whole', 'pooled'] as const) {
        const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
        await page.addInitScript(hostScript('dark'));
        await page.goto(`${server.origin}/panel.html`);
        await page.waitForFunction(() => (window as unknown as { __posted: { event?: string }[] }).__posted.some((m) => m.event === 'ready'));
        const r = await page.evaluate(async ([T, mode]) => {
          const L = 12, H = 12, D = 64, TILE = 256;
          const alpha = new Float32Array(L * H * T);
          for (let i = 0; i < alpha.length; i++) alpha[i] = (i % T === 0) ? 0.2 + 0.8 * ((i / T) % 7) / 7 : 0.5 / (1 + (i % T));
          const sink = new Float32Array(T).map((_, k) => (k === 0 ? 0.9 : 0.01));
          const tokens = Array.from({ length: T }, (_, k) => ({ id: k, text: `t${k}` }));
          const w = new Float32Array(T * T);
          for (let q = 0; q < T; q++) { w[q * T] = 0.5; const rest = 0.5 / (q + 1); for (let k = 0; k <= q; k++) w[q * T + k] += rest; }
          const rnd = (n: number): Float32Array => { const a = new Float32Array(n); let s = 7; for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) >>> 0; a[i] = s / 2 ** 32 - 0.5; } return a; };
          const input = { q: { shape: [T, D], data: rnd(T * D) }, k: { shape: [T, D], data: rnd(T * D) }, v: { shape: [T, D], data: rnd(T * D) }, scale: 1 / 8, softcap: 0, causal: true, bias: null, variant: 'softmax' };
          const pool = (level: number, i0: number, j0: number, rows: number, cols: number): Float32Array => {
            const b = 2 ** level;
            const out = new Float32Array(rows * cols);
            for (let q = i0 * b; q < Math.min(T, (i0 + rows) * b); q++) for (let k = j0 * b; k < Math.min(T, (j0 + cols) * b); k++) {
              const o = ((q / b | 0) - i0) * cols + ((k / b | 0) - j0);
              if (w[q * T + k] > out[o]) out[o] = w[q * T + k];
            }
            return out;
          };
          const level = Math.ceil(Math.log2(T / 1024));
          const n = Math.ceil(T / 2 ** level);
          const win = window as unknown as { __headMaps: unknown[]; __headTiles: (p: { layer: number; head: number; level: number; tiles: [number, number][] }) => unknown };
          // The runtime's pooling is not the panel's time: done before the clock starts.
          win.__headMaps = [mode === 'pooled' && level > 0
            ? { layer: 3, head: 4, weights: { shape: [n, n], data: pool(level, 0, 0, n, n) }, lod: { level, tq: T, tk: T, inspection: 1 }, input }
            : { layer: 3, head: 4, weights: { shape: [T, T], data: w }, input }];
          win.__headTiles = ({ layer, head, level, tiles }) => ({
            layer, head, level,
            tiles: tiles.map(([i, j]) => { const m = Math.ceil(T / 2 ** level); const rows = Math.min(TILE, m - i * TILE); const cols = Math.min(TILE, m - j * TILE); return { i, j, weights: { shape: [rows, cols], data: pool(level, i * TILE, j * TILE, rows, cols) } }; }),
          });
          const until = (f: () => boolean): Promise<void> => new Promise((res) => { const check = (): void => { if (f()) res(); else setTimeout(check, 1); }; check(); });
          const inspection = { model: { name: 'synthetic', layers: L, heads: H }, tokens, variant: 'softmax', variantParams: '', backend: 'js', variants: [{ id: 'softmax', description: 'x', params: [] }, { id: 'sigmoid', description: 'y', params: [] }], epsilon: 0.3, alpha: { shape: [L, H, T], data: alpha }, sinkScore: { shape: [T], data: sink }, wallMs: 0, outputs: null, drift: null };
          const t0 = performance.now();
          window.postMessage({ kind: 'event', event: 'show', body: { inspection } }, '*');
          await until(() => document.querySelectorAll('.model-grid .cell').length === L * H);
          const showMs = performance.now() - t0;
          const t1 = performance.now();
          (document.querySelector('.cell[data-layer="3"][data-head="4"]') as HTMLElement).click();
          await until(() => !!document.querySelector('.head-view canvas'));
          const headMs = performance.now() - t1;
          const canvas = document.querySelector('.head-view canvas') as HTMLCanvasElement;
          const map = win.__headMaps[0] as { weights: { data: Float32Array }; input: { q: { data: Float32Array }; k: { data: Float32Array }; v: { data: Float32Array } } };
          const out: Sample = { showMs, headMs, firstDrawMs: Number(canvas.dataset.drawMs), canvas: canvas.width, bytes: map.weights.data.byteLength + 3 * map.input.q.data.byteLength };
          if (mode === 'pooled') {
            // Zoom in (keyboard, about the centre) until the view needs a finer level than the pooled one, then to its tiles drawn.
            canvas.focus();
            const t2 = performance.now();
            while (Number(canvas.dataset.level) >= level) canvas.dispatchEvent(new KeyboardEvent('keydown', { key: '+', bubbles: true }));
            await until(() => canvas.dataset.tiles === 'complete');
            out.zoomMs = performance.now() - t2;
            out.level = Number(canvas.dataset.level);
            // A variant change: the head recomputed here with the WASM kernels (the whole 4,096² map) and drawn.
            const sel = document.querySelector('#variant') as HTMLElement & { value: string };
            const t3 = performance.now();
            sel.value = 'sigmoid';
            sel.dispatchEvent(new Event('change', { bubbles: true }));
            await until(() => !!document.querySelector('.head-view canvas[data-source="panel"]'));
            out.recomputeMs = performance.now() - t3;
            out.computeMs = Number((document.querySelector('.head-view canvas') as HTMLCanvasElement).dataset.computeMs);
          }
          return out;
        }, [T, mode] as const);
        samples[mode].push(r);
        await page.close();
      }
    }
    const min = (xs: (number | undefined)[]): string => Math.min(...xs.map((x) => x ?? Infinity)).toFixed(0);
    const all = (xs: (number | undefined)[]): string => xs.map((x) => (x ?? NaN).toFixed(0)).join(', ');
    console.log(`12×12 model, ${T} tokens: show → grid and strip drawn, min ${min(samples.whole.map((s) => s.showMs))} ms (${all(samples.whole.map((s) => s.showMs))})`);
    for (const mode of ['whole', 'pooled'] as const) {
      const s = samples[mode];
      console.log(`${T} × ${T} head map sent ${mode} (${(s[0].bytes / 1e6).toFixed(1)} MB with Q, K, V): click → canvas min ${min(s.map((x) => x.headMs))} ms (${all(s.map((x) => x.headMs))}); pyramid + first draw min ${min(s.map((x) => x.firstDrawMs))} ms (${all(s.map((x) => x.firstDrawMs))}), canvas ${s[0].canvas} px`);
    }
    const p = samples.pooled;
    if (p[0].zoomMs !== undefined) {
      console.log(`zoom past the pooled level → level-${p[0].level} tiles drawn: min ${min(p.map((x) => x.zoomMs))} ms (${all(p.map((x) => x.zoomMs))}; includes the 80 ms settle and the in-page host pooling the tiles)`);
      console.log(`variant change → head recomputed in the panel (WASM) and drawn: min ${min(p.map((x) => x.recomputeMs))} ms (${all(p.map((x) => x.recomputeMs))}), of which kernels + transfer min ${min(p.map((x) => x.computeMs))} ms`);
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((e: unknown) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
