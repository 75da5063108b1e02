// The segmented run: every graph style built here, cut at its cores and computed by the js kernel,
// reproduces ONNX Runtime's unmodified run to 1e-4; inputs are filled as users expect; the cores'
// kernel inputs are kept for recomputation; a too-long prompt gives a one-line error.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SegmentedModel } from '../../runtime/engine/runner';
import { maxAbsDiff } from '../../runtime/cli/check';
import { ModelError } from '../../runtime/model/errors';
import { buildLm, type LmOptions } from './engine-graphs';

const dir = mkdtempSync(join(tmpdir(), 'attnscope-seg-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ids = [1, 5, 9, 3, 7, 2, 30, 11, 4];

function open(o: LmOptions): SegmentedModel {
  const p = join(dir, `${Object.values(o).join('-')}.onnx`);
  writeFileSync(p, buildLm(o).bytes);
  return SegmentedModel.open(p);
}

const CASES: { o: LmOptions; causal: boolean; kvHeads: number }[] = [
  { o: { style: 'unfused' }, causal: true, kvHeads: 4 },
  { o: { style: 'unfused', kvHeads: 2 }, causal: true, kvHeads: 2 },
  { o: { style: 'unfused', kvHeads: 1, layers: 3 }, causal: true, kvHeads: 1 },
  { o: { style: 'unfused', bidirectional: true }, causal: false, kvHeads: 4 },
  { o: { style: 'unfused', normalizer: 'sigmoid' }, causal: true, kvHeads: 4 },
  { o: { style: 'unfused', normalizer: 'softplus-sum' }, causal: true, kvHeads: 4 },
  { o: { style: 'unfused', softcap: 0.5, kvHeads: 2 }, causal: true, kvHeads: 2 },
  { o: { style: 'attention-op-4d', kvHeads: 2 }, causal: true, kvHeads: 2 },
  { o: { style: 'attention-op-3d', kvHeads: 2 }, causal: true, kvHeads: 2 },
];

for (const { o, causal, kvHeads } of CASES) {
  test(`segmented ${JSON.stringify(o)} matches ONNX Runtime to 1e-4`, async () => {
    const model = open(o);
    const reference = await model.runReference(ids);
    const run = await model.run(ids);
    const diff = maxAbsDiff(reference.logits, run.outputs.logits);
    assert.ok(diff <= 1e-4, `max abs diff ${diff}`);
    assert.equal(run.cores.length, o.layers ?? 2);
    for (const core of run.cores) {
      assert.equal(core.input.mask.causal, causal);
      assert.equal(core.kvHeads, kvHeads);
      assert.equal(core.input.tq, ids.length);
      assert.equal(core.input.q.length, core.input.qHeads * ids.length * core.input.headDim, 'Q kept for recomputation');
    }
    // A second prompt reuses the sessions and still matches.
    const again = await model.run(ids.slice(0, 4));
    assert.ok(maxAbsDiff((await model.runReference(ids.slice(0, 4))).logits, again.outputs.logits) <= 1e-4);
    await model.release();
  });
}

test('a kernel that computes something else is caught by the comparison', async () => {
  const model = open({ style: 'unfused', layers: 1 });
  const reference = await model.runReference(ids);
  const run = await model.run(ids, { variant: { id: 'softmax1', params: {} } });
  assert.ok(maxAbsDiff(reference.logits, run.outputs.logits) > 1e-3);
});

test('a prompt longer than the model\'s positions is a one-line error', () => {
  const model = open({ style: 'unfused', maxPositions: 8 });
  assert.equal(model.maxPositions, 8);
  assert.throws(() => model.feeds(ids), (err: unknown) => err instanceof ModelError && err.code === 'prompt-too-long' &&
    /9 tokens but .* has 8 positions/.test(err.message));
});
