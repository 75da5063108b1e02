// External data: initializers stored in a file beside the model are read at their offsets, and the
// segmented run of such a model matches ONNX Runtime's own run of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from '../../runtime/model/onnx/proto';
import { SegmentedModel } from '../../runtime/engine/runner';
import { maxAbsDiff } from '../../runtime/cli/check';
import { buildLm } from './engine-graphs';

test('a model with external data loads and runs segmented like ONNX Runtime', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'attnscope-ext-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const m = onnx.ModelProto.decode(buildLm({ style: 'unfused', kvHeads: 2 }).bytes);
  const chunks: Buffer[] = [Buffer.from('PAD!')];
  let offset = 4;
  for (const t of m.graph!.initializer!) {
    if (t.data_type !== onnx.TensorProto.DataType.FLOAT || (t.float_data?.length ?? 0) < 16) continue;
    const bytes = Buffer.from(Float32Array.from(t.float_data!).buffer);
    chunks.push(bytes);
    t.float_data = [];
    t.data_location = onnx.TensorProto.DataLocation.EXTERNAL;
    t.external_data = [{ key: 'location', value: 'model.onnx.data' }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(bytes.length) }];
    offset += bytes.length;
  }
  writeFileSync(join(dir, 'model.onnx.data'), Buffer.concat(chunks));
  writeFileSync(join(dir, 'model.onnx'), onnx.ModelProto.encode(m).finish());
  const model = SegmentedModel.open(join(dir, 'model.onnx'));
  assert.equal(model.model.hadExternalData, true);
  const ids = [3, 1, 4, 1, 5, 9, 2, 6];
  const reference = await model.runReference(ids);
  const segmented = await model.run(ids);
  assert.ok(maxAbsDiff(reference.logits, segmented.outputs.logits) <= 1e-4);
  await model.release();
});
