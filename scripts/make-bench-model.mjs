#!/usr/bin/env node
// Builds the benchmark model (GPT-2 small's shape: 12 layers, 12 heads, d=768, 1,024 positions, vocab
// 50,257) from the committed skeleton test/fixtures/bench/gpt2-12x768.skeleton.onnx, whose parameter
// initializers carry no data but a fill rule in doc_string ("attnscope-fill:normal:0.02" | ":ones" |
// ":zeros", written by scripts/fixtures/bench_model.py). Fills them with seeded values and writes the
// full model (~650 MB, git-ignored) to .cache/bench/gpt2-12x768.onnx. Same seed, same bytes.
//
//   node scripts/make-bench-model.mjs [--out PATH] [--seed N] [--force] [--check [TOKENS]]
//
// --check loads the result in onnxruntime-node and runs one prompt of TOKENS (default 16) ids.
// Decoding/encoding uses protobufjs reflection on the engine's schema (runtime/model/onnx/generated/
// onnx.json, made from upstream onnx.proto by scripts/gen-onnx-proto.mjs during `npm install`); the
// reflection keeps the .proto's snake_case field names.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { endianness } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const require = createRequire(import.meta.url);
const FILL_PREFIX = 'attnscope-fill:';
const FLOAT = 1; // TensorProto.DataType.FLOAT
const MAX_PROTO_BYTES = 2 ** 31 - 1; // protobuf's single-message limit; beyond it ONNX needs external data

function fail(message) {
  console.error(`make-bench-model: ${message}`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = {
    skeleton: join(root, 'test/fixtures/bench/gpt2-12x768.skeleton.onnx'),
    out: join(root, '.cache/bench/gpt2-12x768.onnx'),
    seed: 1234, force: false, check: 0,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out') opts.out = argv[++i];
    else if (a === '--skeleton') opts.skeleton = argv[++i];
    else if (a === '--seed') opts.seed = Number(argv[++i]);
    else if (a === '--force') opts.force = true;
    else if (a === '--check') opts.check = /^\d+$/.test(argv[i + 1] ?? '') ? Number(argv[++i]) : 16;
    else fail(`unknown argument '${a}'; usage: [--out PATH] [--skeleton PATH] [--seed N] [--force] [--check [TOKENS]]`);
  }
  if (!Number.isInteger(opts.seed) || opts.seed < 0) fail('--seed takes a non-negative integer');
  if (!opts.out) fail('--out takes a path');
  return opts;
}

/** 32-bit FNV-1a of a string: each tensor gets its own stream, so fills do not depend on order. */
function hash32(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** mulberry32: small, fast, seeded uniform generator in [0, 1). */
function uniform(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** numel values for one rule: normal:STD (Box–Muller), ones, zeros. */
function fill(rule, numel, seed) {
  const out = new Float32Array(numel);
  if (rule === 'ones') return out.fill(1);
  if (rule === 'zeros') return out;
  const m = /^normal:([0-9.eE+-]+)$/.exec(rule);
  if (!m) fail(`unknown fill rule '${rule}' in the skeleton; known: normal:STD, ones, zeros`);
  const std = Number(m[1]);
  const next = uniform(seed);
  for (let i = 0; i < numel; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - next())) * std;
    const phi = 2 * Math.PI * next();
    out[i] = r * Math.cos(phi);
    if (i + 1 < numel) out[i + 1] = r * Math.sin(phi);
  }
  return out;
}

function loadSchema() {
  const schema = join(root, 'runtime/model/onnx/generated/onnx.json');
  if (!existsSync(schema)) fail(`${relative(root, schema)} is missing; run npm install (scripts/gen-onnx-proto.mjs makes it)`);
  const protobuf = require('protobufjs');
  return protobuf.Root.fromJSON(JSON.parse(readFileSync(schema, 'utf8'))).lookupType('onnx.ModelProto');
}

function build(opts) {
  if (endianness() !== 'LE') fail('raw_data is little-endian; this generator writes host-order floats and needs an LE host');
  if (!existsSync(opts.skeleton)) fail(`skeleton ${opts.skeleton} not found; regenerate it with scripts/fixtures/export_fixtures.py --groups bench`);
  const ModelProto = loadSchema();
  const model = ModelProto.decode(readFileSync(opts.skeleton));
  let filled = 0;
  let bytes = 0;
  for (const tensor of model.graph.initializer) {
    const doc = tensor.doc_string ?? '';
    if (!doc.startsWith(FILL_PREFIX)) continue;
    if (tensor.data_type !== FLOAT) fail(`${tensor.name}: fill rules are for float32 tensors, found data type ${tensor.data_type}`);
    const numel = tensor.dims.reduce((n, d) => n * Number(d), 1);
    const values = fill(doc.slice(FILL_PREFIX.length), numel, hash32(tensor.name) ^ opts.seed);
    tensor.raw_data = new Uint8Array(values.buffer);
    tensor.doc_string = '';
    filled += 1;
    bytes += values.byteLength;
  }
  if (!filled) fail(`${opts.skeleton} holds no initializer with a fill rule; is it a skeleton?`);
  if (bytes > MAX_PROTO_BYTES) fail(`${bytes} bytes of weights exceed one protobuf message; external data output is not implemented`);
  model.metadata_props = (model.metadata_props ?? []).filter((p) => p.key !== 'attnscope.skeleton');
  model.metadata_props.push({ key: 'attnscope.bench', value: `filled from ${relative(root, opts.skeleton)} with seed ${opts.seed}` });
  const encoded = ModelProto.encode(model).finish();
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, encoded);
  return { filled, bytes, fileBytes: encoded.byteLength };
}

async function check(path, tokens) {
  const ort = require('onnxruntime-node');
  const session = await ort.InferenceSession.create(path);
  const ids = BigInt64Array.from({ length: tokens }, (_, i) => BigInt((i * 7919 + 13) % 50257));
  const feeds = { input_ids: new ort.Tensor('int64', ids, [1, tokens]) };
  if (session.inputNames.includes('attention_mask')) {
    feeds.attention_mask = new ort.Tensor('int64', new BigInt64Array(tokens).fill(1n), [1, tokens]);
  }
  const t0 = performance.now();
  const { logits } = await session.run(feeds);
  const ms = performance.now() - t0;
  let maxAbs = 0;
  for (const v of logits.data) {
    if (!Number.isFinite(v)) fail(`check: logits hold a non-finite value (${v})`);
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  await session.release();
  return { dims: logits.dims, maxAbs, ms };
}

const opts = parseArgs(process.argv.slice(2));
if (existsSync(opts.out) && !opts.force && statSync(opts.out).mtimeMs >= statSync(opts.skeleton).mtimeMs) {
  console.log(`${relative(root, opts.out)} exists (use --force to rebuild)`);
} else {
  const t0 = performance.now();
  const r = build(opts);
  console.log(`wrote ${relative(root, opts.out)}: ${r.filled} initializers filled, ${(r.fileBytes / 1e6).toFixed(1)} MB, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
if (opts.check) {
  const r = await check(opts.out, opts.check);
  console.log(`check: onnxruntime-node ran ${opts.check} tokens -> logits [${r.dims}], max |logit| ${r.maxAbs.toFixed(3)}, ${r.ms.toFixed(0)} ms`);
}
