// ONNX loading: typed one-line errors for a truncated file, a non-ONNX file, an unsupported opset, a
// file over the size limit and missing external data; a valid model decodes with its opset.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../runtime/model/onnx/load';
import { ModelError } from '../../runtime/model/errors';
import { onnx } from '../../runtime/model/onnx/proto';
import { buildLm } from './engine-graphs';

const dir = mkdtempSync(join(tmpdir(), 'attnscope-loader-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, bytes: Uint8Array | string): string => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};
const valid = buildLm({ style: 'unfused' }).bytes;

function expectError(path: string, code: string, pattern: RegExp, options = {}): void {
  assert.throws(() => loadModel(path, options), (err: unknown) => {
    assert.ok(err instanceof ModelError, `expected ModelError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'), 'one-line message');
    return true;
  });
}

test('a valid model decodes with its opset and graph', () => {
  const m = loadModel(write('ok.onnx', valid));
  assert.equal(m.opset, 17);
  assert.ok((m.proto.graph?.node?.length ?? 0) > 20);
  assert.equal(m.hadExternalData, false);
});

test('a truncated model says it is truncated', () => {
  expectError(write('cut.onnx', valid.subarray(0, Math.floor(valid.length * 0.6))), 'truncated', /truncated/);
  expectError(write('empty.onnx', new Uint8Array(0)), 'truncated', /empty/);
});

test('a non-ONNX file says it is not an ONNX model', () => {
  expectError(write('text.onnx', 'this is a text file, not a model\n'.repeat(20)), 'not-onnx', /not an ONNX model/);
  expectError(write('json.onnx', JSON.stringify({ model: 'gpt2', layers: 12 })), 'not-onnx', /not an ONNX model/);
});

test('an unsupported opset names the supported range', () => {
  const m = onnx.ModelProto.decode(valid);
  m.opset_import = [{ domain: '', version: 99 }];
  expectError(write('opset99.onnx', onnx.ModelProto.encode(m).finish()), 'unsupported-opset', /opset 99; supported are ai\.onnx opsets 11-24/);
  m.opset_import = [{ domain: 'com.example', version: 1 }];
  expectError(write('noopset.onnx', onnx.ModelProto.encode(m).finish()), 'unsupported-opset', /no ai\.onnx opset/);
});

test('a file over the size limit says the limit and what to do', () => {
  expectError(write('big.onnx', valid), 'too-large', /over the 1\.0 KiB limit.*external data/, { maxBytes: 1024 });
});

test('a missing model file and missing external data are reported', () => {
  expectError(join(dir, 'nope.onnx'), 'not-found', /not found/);
  const m = onnx.ModelProto.decode(valid);
  const wte = m.graph!.initializer!.find((t) => t.name === 'wte')!;
  wte.float_data = [];
  wte.data_location = onnx.TensorProto.DataLocation.EXTERNAL;
  wte.external_data = [{ key: 'location', value: 'weights.bin' }, { key: 'offset', value: '0' }, { key: 'length', value: '16' }];
  expectError(write('ext.onnx', onnx.ModelProto.encode(m).finish()), 'external-data', /weights\.bin.*not found/);
});
