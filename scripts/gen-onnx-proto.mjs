#!/usr/bin/env node
// Generates the ONNX protobuf decoder (runtime/model/onnx/generated/onnx.{js,d.ts}) from upstream
// onnx.proto. The schema comes from the npm package `onnx-buf` (a compiled onnx.proto of ONNX 1.20:
// IR 11, float8/float4/int4/int2 data types), which embeds onnx.proto as a serialized
// FileDescriptorProto. We turn that descriptor into a protobufjs reflection root, write it as JSON,
// and let protobufjs-cli (pbjs static-module + pbts) emit the decoder and its types.
// No hand-written wire parsing anywhere: the decoder is 100% generated.
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const require = createRequire(import.meta.url);
const outDir = join(root, 'runtime/model/onnx/generated');
const source = require.resolve('onnx-buf/dist/onnx_pb.js', { paths: [root] });

const text = readFileSync(source, 'utf8');
const m = /fileDesc\("([A-Za-z0-9+/=]+)"/.exec(text);
if (!m) throw new Error(`gen-onnx-proto: no embedded onnx.proto descriptor found in ${source}; the onnx-buf package layout changed`);

const protobuf = require('protobufjs');
const descriptor = require('protobufjs/ext/descriptor');
const fileProto = descriptor.FileDescriptorProto.decode(Buffer.from(m[1], 'base64'));
if (fileProto.package !== 'onnx') throw new Error(`gen-onnx-proto: expected package onnx, found ${fileProto.package}`);
// protobuf-es strips the proto2 syntax marker from embedded descriptors; proto2 is what onnx.proto is.
const set = descriptor.FileDescriptorSet.fromObject({ file: [{ ...fileProto.toJSON(), syntax: 'proto2' }] });
const reflection = protobuf.Root.fromDescriptor(set);
for (const name of ['ModelProto', 'TensorProto', 'GraphProto', 'NodeProto']) reflection.lookupType(`onnx.${name}`);

mkdirSync(outDir, { recursive: true });
const jsonPath = join(outDir, 'onnx.json');
writeFileSync(jsonPath, JSON.stringify(reflection.toJSON({ keepComments: false }), null, 1));

const { pbjs, pbts } = require('protobufjs-cli');
const run = (fn, args) => new Promise((resolve, reject) => fn.main(args, (err, out) => (err ? reject(err) : resolve(out))));
const jsPath = join(outDir, 'onnx.js');
await run(pbjs, ['-t', 'static-module', '-w', 'commonjs', '--no-verify', '--no-delimited', '--no-beautify',
  '--force-number', '-o', jsPath, jsonPath]);
await run(pbts, ['-o', join(outDir, 'onnx.d.ts'), jsPath]);
if (!existsSync(join(outDir, 'onnx.d.ts'))) throw new Error('gen-onnx-proto: pbts wrote no onnx.d.ts');
console.log(`generated ${dirname(jsPath).slice(root.length + 1)}/onnx.{js,d.ts} from ${source.slice(root.length + 1)}`);
