// The engine over the exporter corpus (test/fixtures/models, one test per fixture, globbed): the
// detector finds one core per layer with the expected kind, normalizer, heads and causality; the
// segmented run with each core's own normalizer, on every backend (js, native, wasm), matches ONNX
// Runtime's unmodified run to 1e-4, and the js run matches the reference (torch) outputs to 1e-3;
// inputs are filled as the corpus declares them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadFixtures, readReference, type Fixture } from '../fixtures/corpus';
import { SegmentedModel } from '../../runtime/engine/runner';
import { maxAbsDiff, CHECK_TOLERANCE } from '../../runtime/cli/check';

/** torch (fp32) vs our fp32 segmented run: different summation orders, ~1e-6 on these models. */
const REFERENCE_TOLERANCE = 1e-3;

async function checkFixture(f: Fixture): Promise<void> {
  const c = f.case;
  const model = SegmentedModel.open(f.modelPath);
  try {
    assert.equal(model.cores.length, c.expected.cores, 'cores detected');
    assert.equal(model.cores.length, c.expected.layers, 'cores = layers');
    for (const core of model.cores) {
      assert.equal(core.kind, c.expected.kind);
      assert.equal(core.normalizer, c.expected.normalizer);
    }
    const feeds = model.feeds(c.inputIds);
    assert.deepEqual(Object.keys(feeds).sort(), c.inputs.map((i) => i.name).sort(), 'inputs filled');
    for (const i of c.inputs) assert.equal(feeds[i.name].type, i.dtype, `${i.name} dtype`);
    // Rotary and ALiBi models (positions computed on the fly) have no position table to read a limit from.
    if (model.maxPositions !== null || !/llama|mistral|qwen|bloom/i.test(c.hfArchitecture ?? '')) assert.equal(model.maxPositions, c.expected.maxPositions, 'max positions');
    if (model.maxPositions !== null) {
      const tooLong = Array.from({ length: model.maxPositions + 1 }, (_, i) => c.inputIds[i % c.inputIds.length]);
      assert.throws(() => model.feeds(tooLong), /has \d+ positions; shorten the prompt/);
    }

    const reference = await model.runReference(c.inputIds);
    // Every backend reproduces ONNX Runtime; the js reference run is also held to the torch outputs.
    for (const backend of ['native', 'wasm'] as const) {
      const other = await model.run(c.inputIds, { backend, keepInputs: false });
      for (const name of Object.keys(reference)) {
        const d = maxAbsDiff(reference[name], other.outputs[name]);
        assert.ok(d <= CHECK_TOLERANCE, `${name}: segmented (${backend}) vs ONNX Runtime ${d}`);
      }
    }
    const run = await model.run(c.inputIds);
    for (const core of run.cores) {
      assert.equal(core.input.qHeads, c.expected.qHeads, 'q heads');
      assert.equal(core.kvHeads, c.expected.kvHeads, 'kv heads');
      assert.equal(core.input.headDim, c.expected.headDim, 'head dim');
      assert.equal(core.input.mask.causal, c.expected.causal, 'causal');
    }
    for (const name of Object.keys(reference)) {
      const d = maxAbsDiff(reference[name], run.outputs[name]);
      assert.ok(d <= CHECK_TOLERANCE, `${name}: segmented vs ONNX Runtime ${d}`);
    }
    for (const out of c.outputs) {
      const expected = readReference(f, out);
      const got = run.outputs[out.name];
      assert.ok(got, `output ${out.name}`);
      assert.deepEqual(got.dims.map(Number), out.shape);
      const data = got.data as Float32Array;
      let d = 0;
      for (let i = 0; i < expected.length; i++) d = Math.max(d, Math.abs(data[i] - expected[i]));
      assert.ok(d <= REFERENCE_TOLERANCE, `${out.name}: segmented vs ${c.reference} ${d}`);
    }
  } finally {
    await model.release();
  }
}

for (const f of loadFixtures()) test(`engine on ${f.case.id}`, () => checkFixture(f));
