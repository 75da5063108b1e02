/**
 * Where the time of a first Inspect goes in the runtime, and what the panel is sent: forks the
 * runtime as the extension does, loads a model, waits `--wait` ms (the user selecting text; the
 * runtime warms the model up meanwhile), then times the first and the second inspection of the
 * same prompt and one head map (and, for a map sent pooled, one zoom's tiles), and counts the bytes of the panel's `show` message and of that
 * head map (typed arrays as bytes, the rest as JSON). Not a test: timings here are noisy.
 *   node --import tsx scripts/e2e/measure-inspect.ts [--model PATH] [--prompt-file PATH] [--tokens N] [--wait MS] [--backend native|wasm|js] [--vocab V]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { panelInspection, panelVariants } from '../../extension/panel/inspection';
import { RuntimeClient } from '../../extension/runtime/client';
import type { BackendId } from '../../runtime/kernels/types';
import { isRelativeBias } from '../../runtime/protocol/relativeBias';
import { loadTokenizer } from '../../runtime/tokenizer/tokenizer';

const root = join(import.meta.dirname, '..', '..');

/** Bytes of a message as it crosses postMessage: typed arrays as their bytes, everything else as JSON text. */
export function wireBytes(x: unknown): number {
  let bytes = 0;
  const json = JSON.stringify(x, (_k, v: unknown) => {
    if (ArrayBuffer.isView(v)) { bytes += v.byteLength; return 0; }
    return v;
  });
  return bytes + json.length;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { model: { type: 'string' }, 'prompt-file': { type: 'string' }, tokens: { type: 'string' }, wait: { type: 'string' }, backend: { type: 'string' }, vocab: { type: 'string' } } });
  const model = values.model ?? join(root, 'media/models/attnscope-demo-softmax.onnx');
  const tokenizer = join(root, 'media/models/tokenizer.json');
  const all = values['prompt-file'] ? readFileSync(values['prompt-file'], 'utf8')
    : readFileSync(join(root, 'media/models/heldout.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { text: string }).text).join('\n');
  const n = Number(values.tokens ?? 200);
  const tok = loadTokenizer(tokenizer);
  let lo = 0;
  let hi = all.length;
  while (lo < hi) { const mid = Math.ceil((lo + hi) / 2); if (tok.encode(all.slice(0, mid)).length <= n) lo = mid; else hi = mid - 1; }
  const text = all.slice(0, lo);
  const backend = (values.backend ?? 'native') as BackendId;
  const ms = (t: number): string => `${(performance.now() - t).toFixed(0)} ms`;
  let t = performance.now();
  const client = new RuntimeClient({ serverPath: join(root, 'dist/server.js'), cwd: root, hangLimitMs: 120_000 });
  const logs: string[] = [];
  client.onLog((l) => logs.push(l.message));
  try {
    await client.start();
    console.log(`fork + hello: ${ms(t)}`);
    t = performance.now();
    const summary = await client.request('loadModel', { path: model, tokenizer });
    console.log(`loadModel: ${ms(t)} (${summary.cores.length} attention cores)`);
    await new Promise((r) => setTimeout(r, Number(values.wait ?? 3000)));
    for (const run of ['first', 'second']) {
      t = performance.now();
      // --vocab V: N token ids spread over [0, V) instead of text (models without a tokenizer, or longer than the demo's 1,024 positions).
      const prompt = values.vocab ? { ids: Array.from({ length: n }, (_, i) => (i * 7919 + 1) % Number(values.vocab)) } : { text };
      const r = await client.request('inspect', { prompt, variant: null, backend, epsilon: 0.3 });
      console.log(`${run} inspect of ${r.tokens.length} tokens (${backend}): ${ms(t)} (engine ${r.totalMs.toFixed(0)} ms: ONNX Runtime ${r.ortMs.toFixed(0)}, kernels ${r.kernelMs.toFixed(0)})`);
      if (run === 'second') continue;
      const inspection = panelInspection(r, { model: summary, variant: 'model', variantParams: '', backend, epsilon: 0.3, variants: panelVariants(), drift: null });
      console.log(`panel show message: ${wireBytes({ inspection })} bytes (${r.layers} layers × ${r.heads} heads × ${r.tokens.length} tokens)`);
      // Every head once (each is recomputed by its kernel in the runtime): the time of a click's request, min and median.
      const times: number[] = [];
      for (let l = 0; l < r.layers; l++) {
        for (let h = 0; h < r.heads; h++) { const t1 = performance.now(); await client.request('headMap', { layer: l, head: h }); times.push(performance.now() - t1); }
      }
      times.sort((a, b) => a - b);
      console.log(`headMap of each of ${times.length} heads: min ${times[0].toFixed(0)} ms, median ${times[times.length >> 1].toFixed(0)} ms`);
      t = performance.now();
      const map = await client.request('headMap', { layer: 0, head: 0 });
      const lod = map.lod ? `, max-pooled at level ${map.lod.level} to ${map.weights.shape.join(' × ')} of ${map.lod.tq} × ${map.lod.tk}` : '';
      console.log(`head map on click: ${ms(t)}, ${wireBytes(map)} bytes (map ${map.weights.data.byteLength}${lod}, its Q, K, V ${map.input.q.data.byteLength + map.input.k.data.byteLength + map.input.v.data.byteLength}${map.input.bias ? `, bias ${isRelativeBias(map.input.bias) ? `${map.input.bias.byOffset.data.byteLength + map.input.bias.byKey.data.byteLength} (by offset and key)` : map.input.bias.data.byteLength}` : ''})`);
      if (map.lod) {
        // The first zoom past the pooled level: the level-0 tiles a 768 px canvas shows at ~1.7 cells a pixel (6 × 6).
        const tiles: [number, number][] = [];
        for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) if (j <= i) tiles.push([i, j]);
        t = performance.now();
        const r = await client.request('headTiles', { layer: 0, head: 0, level: 0, tiles, inspection: map.lod.inspection });
        console.log(`headTiles, ${tiles.length} level-0 tiles (the map kept in the runtime): ${ms(t)}, ${wireBytes(r)} bytes`);
      }
    }
    for (const l of logs) console.log(`[runtime] ${l}`);
  } finally {
    client.dispose();
  }
}

main().catch((e: unknown) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
