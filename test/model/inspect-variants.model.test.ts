// `attnscope inspect --variant X --backend Y` for every variant on every backend, on two exported
// fixture models (GPT-2, MatMul/Softmax cores, 4 heads; Llama through SDPA as the ONNX Attention op,
// grouped-query, rotary): each run completes with finite outputs and sink scores, and the native and
// WASM runs give the js (TypeScript reference) run's next-token loss and top-1 token. One CLI process
// per model also runs a variant with parameters on a compiled backend, as a user types it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadFixtures, type Fixture } from '../fixtures/corpus';
import { SegmentedModel } from '../../runtime/engine/runner';
import { runInspect, type InspectReport } from '../../runtime/cli/inspect';
import type { ResolvedPrompt } from '../../runtime/cli/prompt';
import { resolveVariant } from '../../runtime/kernels/variants';
import { VARIANT_IDS, type BackendId } from '../../runtime/kernels/types';

const root = fileURLToPath(new URL('../..', import.meta.url));
const MODELS = ['gpt2-eager-ts17', 'llama-sdpa-dynamo23'];
const BACKENDS: BackendId[] = ['js', 'native', 'wasm'];
/**
 * Relative difference allowed between backends' mean next-token loss. Every kernel follows its
 * TypeScript reference to ≤ 1e-5 per weight (integer weights bit-exact) and sums in its own order;
 * measured through these 2-layer models: ≤ 2.4e-7 (lssar, native). Variants move the loss by
 * ≥ 3e-3 from one another here, so 1e-5 still catches a backend running the wrong map.
 */
const LOSS_TOLERANCE = 1e-5;

function promptOf(f: Fixture): ResolvedPrompt {
  const ids = f.case.inputIds;
  return { ids, tokens: ids.map((id) => ({ id, text: `#${id}`, start: null, end: null })), tokenizer: null };
}

function checkReport(r: InspectReport, what: string): void {
  assert.ok(r.loss !== null && Number.isFinite(r.loss) && r.loss > 0, `${what}: loss ${r.loss}`);
  assert.ok(r.nextToken && r.nextToken.topk.every((t) => Number.isFinite(t.prob)), `${what}: next-token probabilities`);
  for (const a of r.sink.alpha.flat()) assert.ok(Number.isFinite(a) && a >= 0, `${what}: sink score ${a}`);
  assert.ok(r.sink.rate >= 0 && r.sink.rate <= 100, `${what}: sink rate ${r.sink.rate}`);
}

for (const name of MODELS) {
  test(`inspect: every variant on js, native and wasm agrees on ${name}`, async () => {
    const fixture = loadFixtures().find((f) => basename(f.dir) === name);
    assert.ok(fixture, `fixture ${name} in test/fixtures/models`);
    const model = SegmentedModel.open(fixture.modelPath);
    try {
      const prompt = promptOf(fixture);
      for (const id of VARIANT_IDS) {
        const variant = resolveVariant({ id, params: id === 'unified-max' ? { phi: 2 } : {} });
        const reports = new Map<BackendId, InspectReport>();
        for (const backend of BACKENDS) {
          const r = await runInspect(model, fixture.modelPath, prompt, variant, backend);
          assert.equal(r.backend, backend);
          assert.match(r.variant, new RegExp(`^${id}\\b`));
          checkReport(r, `${id} on ${backend}`);
          reports.set(backend, r);
        }
        const js = reports.get('js')!;
        for (const backend of ['native', 'wasm'] as const) {
          const r = reports.get(backend)!;
          const rel = Math.abs(r.loss! - js.loss!) / Math.abs(js.loss!);
          assert.ok(rel <= LOSS_TOLERANCE, `${id}: ${backend} loss ${r.loss} vs js ${js.loss} (relative ${rel.toExponential(2)})`);
          assert.equal(r.nextToken!.topk[0].id, js.nextToken!.topk[0].id, `${id}: ${backend} top-1 token`);
        }
      }
    } finally {
      await model.release();
    }
  });

  test(`the CLI: inspect --variant with parameters --backend wasm and native on ${name}`, () => {
    const fixture = loadFixtures().find((f) => basename(f.dir) === name)!;
    const ids = fixture.case.inputIds.join(',');
    for (const [variant, backend] of [['shiftmax:bits=16,x0=tvm', 'wasm'], ['sigmoid:b=0', 'native']] as const) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'runtime/cli.ts'), 'inspect', '--model', fixture.modelPath, '--ids', ids,
        '--variant', variant, '--backend', backend, '--json'], { cwd: root, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const report = JSON.parse(r.stdout) as InspectReport;
      assert.equal(report.backend, backend);
      assert.match(report.variant, new RegExp(`^${variant.split(':')[0]}`));
      checkReport(report, `${variant} on ${backend}`);
    }
  });
}
