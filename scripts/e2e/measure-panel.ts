/**
 * Measures the panel in headless Chromium (not a test: timings are noisy here): time from the
 * `show` message to the 12 × 12 grid drawn, and from a head click to the first paint of a
 * 4,096 × 4,096 head map. The numbers are synthetic (a causal map with a first-token sink); the
 * rendering path is the real one.  node --import tsx scripts/e2e/measure-panel.ts [tokens, default 4096]
 */
import { launchChromium } from './chromium';
import { hostScript, servePanel } from '../../test/webview/harness';

async function main(): Promise<void> {
  const server = await servePanel();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
    await page.addInitScript(hostScript('dark'));
    await page.goto(`${server.origin}/panel.html`);
    await page.waitForFunction(() => (window as unknown as { __posted: { event?: string }[] }).__posted.some((m) => m.event === 'ready'));
    const T = Number(process.argv[2] ?? 4096);
    const r = await page.evaluate(async (T) => {
      const L = 12, H = 12;
      const alpha = new Float32Array(L * H * T);
      for (let i = 0; i < alpha.length; i++) alpha[i] = (i % T === 0) ? 0.2 + 0.8 * ((i / T) % 7) / 7 : 0.5 / (1 + (i % T));
      const sink = new Float32Array(T).map((_, k) => (k === 0 ? 0.9 : 0.01));
      const tokens = Array.from({ length: T }, (_, k) => ({ id: k, text: `t${k}` }));
      const w = new Float32Array(T * T);
      for (let q = 0; q < T; q++) { w[q * T] = 0.5; const rest = 0.5 / (q + 1); for (let k = 0; k <= q; k++) w[q * T + k] += rest; }
      (window as unknown as { __headMaps: unknown[] }).__headMaps = [{ layer: 3, head: 4, weights: { shape: [T, T], data: w } }];
      const inspection = { model: { name: 'synthetic', layers: L, heads: H }, tokens, variant: 'softmax', variantParams: '', backend: 'js', variants: [{ id: 'softmax', description: 'x', params: [] }], epsilon: 0.3, alpha: { shape: [L, H, T], data: alpha }, sinkScore: { shape: [T], data: sink }, wallMs: 0, outputs: null, drift: null };
      const t0 = performance.now();
      window.postMessage({ kind: 'event', event: 'show', body: { inspection } }, '*');
      await new Promise((res) => { const check = (): void => { if (document.querySelectorAll('.model-grid .cell').length === L * H) res(null); else setTimeout(check, 1); }; check(); });
      const showMs = performance.now() - t0;
      const t1 = performance.now();
      (document.querySelector('.cell[data-layer="3"][data-head="4"]') as HTMLElement).click();
      await new Promise((res) => { const check = (): void => { if (document.querySelector('.head-view canvas')) res(null); else setTimeout(check, 1); }; check(); });
      const headMs = performance.now() - t1;
      const canvas = document.querySelector('.head-view canvas') as HTMLCanvasElement;
      return { showMs, headMs, firstDrawMs: Number(canvas.dataset.drawMs), canvas: canvas.width };
    }, T);
    console.log(`12×12 model, ${T} tokens: show → grid and strip drawn ${r.showMs.toFixed(0)} ms`);
    console.log(`${T} × ${T} head map: click → canvas ${r.headMs.toFixed(0)} ms (pyramid + first draw ${r.firstDrawMs} ms, canvas ${r.canvas}px)`);
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((e: unknown) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
