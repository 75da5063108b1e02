// The CLI end to end (runtime/cli.ts through tsx, as dist/cli.js runs it): check / inspect / graph
// with --json on a model built here, and the one-line errors with exit code 2.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFullyMaskedRow, buildLm, GraphBuilder, weights } from './engine-graphs';
import { onnx } from '../../runtime/model/onnx/proto';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'attnscope-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const lm = join(dir, 'lm.onnx');
writeFileSync(lm, buildLm({ style: 'unfused', kvHeads: 2, vocab: 300, maxPositions: 12 }).bytes);

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'runtime/cli.ts'), ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectError(r: ReturnType<typeof cli>, pattern: RegExp): void {
  assert.equal(r.code, 2, `exit 2, got ${r.code}: ${r.stderr}`);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.match(r.stderr, pattern);
}

test('check --json passes with exit 0 on the default deterministic prompt', () => {
  const r = cli('check', '--model', lm, '--json');
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(report.model, lm);
  assert.equal(report.cores, 2);
  assert.equal(report.tolerance, 1e-4);
  assert.equal(report.pass, true);
  assert.ok((report.maxAbsDiff as number) <= 1e-4);
  assert.equal(report.tokens, 12, 'the default prompt is capped by the model positions');
});

test('inspect --json with a prompt and the tokenizer beside the model', (t) => {
  const tokenizerDir = mkdtempSync(join(tmpdir(), 'attnscope-cli-tok-'));
  t.after(() => rmSync(tokenizerDir, { recursive: true, force: true }));
  const chars = Array.from({ length: 256 }, (_, b) => String.fromCodePoint((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255) ? b : 0));
  let extra = 256;
  const vocab: Record<string, number> = {};
  chars.forEach((c, b) => { vocab[c === '\u0000' ? String.fromCodePoint(extra++) : c] = b; });
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  writeFileSync(join(tokenizerDir, 'tokenizer.json'), JSON.stringify({
    version: '1.0', added_tokens: [], normalizer: null, post_processor: null, pre_tokenizer: byteLevel, decoder: byteLevel,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges: [] },
  }));
  const model = join(tokenizerDir, 'model.onnx');
  writeFileSync(model, buildLm({ style: 'attention-op-4d', vocab: 300, maxPositions: 32 }).bytes);
  const r = cli('inspect', '--model', model, '--prompt', 'a sink!', '--variant', 'softmax', '--backend', 'js', '--json');
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.model.layers, 2);
  assert.equal(report.model.heads, 4);
  assert.deepEqual(Object.keys(report.model.cores[0]).sort(), ['causal', 'headDim', 'kind', 'kvHeads', 'layer', 'name', 'normalizer', 'qHeads']);
  assert.equal(report.model.cores[0].kind, 'attention-op');
  assert.equal(report.model.cores[0].causal, true);
  assert.deepEqual(report.tokens.map((t: { text: string }) => t.text), ['a', ' ', 's', 'i', 'n', 'k', '!']);
  assert.deepEqual(report.tokens.map((t: { start: number }) => t.start), [0, 1, 2, 3, 4, 5, 6]);
  assert.equal(report.variant, 'softmax');
  assert.equal(report.backend, 'js');
  assert.equal(report.sink.epsilon, 0.3);
  assert.equal(report.sink.alpha.length, 2);
  assert.equal(report.sink.alpha[0].length, 4);
  for (const a of report.sink.alpha.flat()) assert.ok(a > 0 && a <= 1);
  assert.ok(report.sink.rate >= 0 && report.sink.rate <= 100);
  assert.equal(report.nextToken.topk.length, 5);
  assert.ok(report.nextToken.topk[0].prob >= report.nextToken.topk[4].prob);
  assert.ok(report.loss > 0);
  assert.ok(report.timings.totalMs >= report.timings.kernelMs && report.timings.kernelMs > 0);
});

test('check exits 1 with pass=false when the segmented run differs from ONNX Runtime', () => {
  const masked = join(dir, 'masked-row.onnx');
  writeFileSync(masked, buildFullyMaskedRow());
  const r = cli('check', '--model', masked, '--ids', '1,2,3,4', '--json');
  assert.equal(r.code, 1, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.pass, false);
  assert.ok(report.maxAbsDiff > 1e-4);
});

test('graph --json lists the cores and the cuts', () => {
  const r = cli('graph', '--model', lm, '--json');
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.cores.length, 2);
  assert.equal(report.cores[0].kvHeads, 2);
  assert.equal(report.segments.length, 3);
  assert.deepEqual(report.segments.map((s: { coresAfter: number[] }) => s.coresAfter), [[0], [1], []]);
  assert.equal(report.maxPositions, 12);
});

test('bad inputs are one-line errors with exit 2', () => {
  const bytes = buildLm({ style: 'unfused' }).bytes;
  const cut = join(dir, 'cut.onnx');
  writeFileSync(cut, bytes.subarray(0, bytes.length >> 1));
  expectError(cli('check', '--model', cut), /truncated/);
  const text = join(dir, 'notes.onnx');
  writeFileSync(text, 'just some notes\n');
  expectError(cli('graph', '--model', text), /not an ONNX model/);
  const b = new GraphBuilder();
  const x = b.input('x', onnx.TensorProto.DataType.FLOAT, [1, 4, 8]);
  b.output(b.node('Relu', [b.node('MatMul', [x, b.init('w', [8, 8], weights(64, 3))])]));
  const mlp = join(dir, 'mlp.onnx');
  writeFileSync(mlp, b.encode(17));
  expectError(cli('graph', '--model', mlp), /no attention core found in mlp\.onnx/);
  expectError(cli('inspect', '--model', lm, '--ids', Array.from({ length: 13 }, (_, i) => i).join(',')), /13 tokens but lm\.onnx has 12 positions/);
  expectError(cli('inspect', '--model', lm, '--ids', '1,2', '--frobnicate'), /unknown flag --frobnicate/);
  expectError(cli('inspect', '--model', lm, '--ids', '1,x'), /--ids must be non-negative integers/);
  expectError(cli('check', '--model', lm, '--ids', '1,300'), /token id 300 is outside the vocabulary of lm\.onnx \(300 tokens\)/);
  expectError(cli('check', '--model'), /--model needs a value/);
});

test('inspect on a prompt shorter than the sink metric\'s 64 tokens says what an even head already scores', () => {
  const r = cli('inspect', '--model', lm, '--ids', '1,2,3,4,5,6,7', '--backend', 'js');
  assert.equal(r.code, 0, r.stderr);
  // Causal: (1/7)·(1 + 1/2 + … + 1/7) = 2.593/7 = 0.37.
  assert.match(r.stdout, /short prompt \(7 tokens\): a head spreading its weight evenly already gives alpha1 = 0\.37; Sink1 is defined on the first 64 tokens/);
});
