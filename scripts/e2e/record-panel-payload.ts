/**
 * Records the panel payload of a real engine run: forks the runtime process exactly as the
 * extension does, loads a fixture model, inspects its case prompt and fetches two head maps.
 *   node --import tsx scripts/e2e/record-panel-payload.ts [fixture-name]
 * writes test/webview/<fixture-name>.payload.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { panelInspection, panelVariants } from '../../extension/panel/inspection';
import { RuntimeClient } from '../../extension/runtime/client';
import { encodePayload } from './payload';

const root = join(import.meta.dirname, '..', '..');
const name = process.argv[2] ?? 'gqa-decoder-contrib';
const dir = join(root, 'test/fixtures/models', name);
const { inputIds } = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { inputIds: number[] };

async function main(): Promise<void> {
  const client = new RuntimeClient({ serverPath: join(root, 'runtime/server.ts'), execArgv: ['--import', 'tsx'], cwd: root, hangLimitMs: 120_000 });
  try {
    const model = await client.request('loadModel', { path: join(dir, 'model.onnx') });
    const epsilon = 0.3;
    const result = await client.request('inspect', { prompt: { ids: inputIds }, variant: { id: 'softmax', params: {} }, backend: 'js', epsilon });
    const inspection = panelInspection(result, {
      model: { ...model, path: `test/fixtures/models/${name}/model.onnx` }, variant: 'softmax', variantParams: '', backend: 'js', epsilon,
      variants: panelVariants().slice(1), drift: null,
    });
    const heads = [{ layer: 1, head: 2 }, { layer: 0, head: 0 }];
    const headMaps = [];
    for (const h of heads) headMaps.push(await client.request('headMap', h));
    const out = join(root, 'test/webview', `${name}.payload.json`);
    writeFileSync(out, encodePayload({ source: `runtime inspect of test/fixtures/models/${name} (case.json prompt), js backend`, inspection, headMaps, otherVariant: 'sigmoid' }) + '\n');
    console.log(`wrote ${out}: ${inspection.model.layers} layers × ${inspection.model.heads} heads, ${inspection.tokens.length} tokens, ${headMaps.length} head maps`);
  } finally {
    client.dispose();
  }
}

main().catch((e: unknown) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
