import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { driftCommand } from '../../runtime/cli/drift';
import { compareCommand } from '../../runtime/cli/compare';
import { sinksCommand } from '../../runtime/cli/sinks';
import { streamCommand } from '../../runtime/cli/stream';
import { sinkSummary } from '../../runtime/cli/sink-summary';
import { SegmentedModel } from '../../runtime/engine/runner';
import { runInspect } from '../../runtime/cli/inspect';

// Real exported fixture models (test/fixtures/models): 2 layers, 4 query heads, causal, 64 positions.
const LLAMA = 'test/fixtures/models/llama-eager-ts17/model.onnx';
const GPT2 = 'test/fixtures/models/gpt2-eager-ts17/model.onnx';
const GPT2_SIGMOID = 'test/fixtures/models/gpt2-sigmoid-ts17/model.onnx';
const IDS = Array.from({ length: 40 }, (_, i) => (i * 37 + 11) % 128);
const ids = IDS.join(',');

interface HeadJson { layer: number; head: number; meanRowDivergence: number; maxAbsDelta: number; deltaSinkAlpha: number }

function ranked(heads: HeadJson[]): boolean {
  return heads.every((h, i) => i === 0 || heads[i - 1].meanRowDivergence >= h.meanRowDivergence);
}

test('drift --quant ivit and int8 on a Llama export: every head ranked, I-ViT drifts more than int8', async () => {
  const ivit = JSON.parse(await driftCommand(['--model', LLAMA, '--ids', ids, '--quant', 'ivit', '--json']));
  const int8 = JSON.parse(await driftCommand(['--model', LLAMA, '--ids', ids, '--quant', 'int8', '--json']));
  for (const r of [ivit, int8]) {
    assert.equal(r.heads.length, 8);
    assert.ok(ranked(r.heads));
    assert.ok(r.output.top1Agreement >= 0 && r.output.top1Agreement <= 1);
    assert.equal(r.tokenDrift.length, IDS.length);
    assert.equal(r.output.deltaTokenLoss.length, IDS.length - 1);
  }
  const total = (r: { heads: HeadJson[] }): number => r.heads.reduce((s, h) => s + h.meanRowDivergence, 0);
  assert.ok(total(int8) > 0 && total(ivit) > total(int8), `ivit ${total(ivit)} int8 ${total(int8)}`);
  assert.ok(ivit.output.meanNextTokenKl > 0);
  const text = await driftCommand(['--model', LLAMA, '--ids', ids, '--quant', 'ivit', '--out-bits', '16', '--top', '3']);
  assert.match(text, /heads with the largest drift \(of 8\)/);
  assert.match(text, /top-1 agreement/);
  // I-LayerNorm on the residual stream entering each of the 2 layers (ivit only); Llama normalises with RMSNorm, which the text says
  assert.equal(int8.iLayerNorm, undefined);
  assert.deepEqual(ivit.iLayerNorm.boundaries.map((b: { boundary: number }) => b.boundary), [0, 1]);
  assert.equal(ivit.iLayerNorm.modelLayerNorms, 0);
  for (const b of ivit.iLayerNorm.boundaries) assert.ok(b.maxAbsDelta > 0 && b.maxAbsDelta < 0.05 && b.meanAbsDelta <= b.maxAbsDelta, JSON.stringify(b));
  assert.match(text, /I-LayerNorm on the residual stream entering each layer \(16-bit per tensor/);
  assert.match(text, /no LayerNormalization node/);
  const gpt2 = JSON.parse(await driftCommand(['--model', GPT2, '--ids', ids, '--quant', 'ivit', '--backend', 'wasm', '--json']));
  assert.equal(gpt2.iLayerNorm.backend, 'wasm');
  assert.ok(gpt2.iLayerNorm.modelLayerNorms > 0 && gpt2.iLayerNorm.boundaries.length === 2);
});

test('compare: a variant against itself is zero everywhere; softmax against sigmoid is not', async () => {
  const same = JSON.parse(await compareCommand(['--model', GPT2, '--variant', 'softmax', '--variant', 'softmax', '--ids', ids, '--json']));
  assert.ok(same.heads.every((h: HeadJson) => h.meanRowDivergence === 0 && h.maxAbsDelta === 0));
  assert.equal(same.output.deltaLoss, 0);
  assert.deepEqual(same.topK[0], same.topK[1]);
  const diff = JSON.parse(await compareCommand(['--model', GPT2, '--variant', 'softmax', '--variant', 'sigmoid', '--ids', ids, '--json', '--divergence', 'kl']));
  assert.equal(diff.proxy, true);
  assert.ok(ranked(diff.heads) && diff.heads[0].meanRowDivergence > 0.01);
  assert.notEqual(diff.output.deltaLoss, 0);
  // Two models sharing a vocabulary: each runs its own normalizer.
  const models = JSON.parse(await compareCommand(['--model', GPT2, '--model', GPT2_SIGMOID, '--ids', ids, '--json']));
  assert.deepEqual(models.runs.map((r: { variant: string | null }) => r.variant), [null, null]);
  assert.ok(models.heads.length === 8 && models.output.lossA !== models.output.lossB);
  await assert.rejects(compareCommand(['--model', GPT2, '--ids', ids]), /nothing differs/);
  // Quantisation modes side by side: fp32 against ivit is exactly what drift reports.
  const q = JSON.parse(await compareCommand(['--model', LLAMA, '--quant', 'fp32', '--quant', 'ivit', '--ids', ids, '--json', '--divergence', 'kl']));
  const d = JSON.parse(await driftCommand(['--model', LLAMA, '--ids', ids, '--quant', 'ivit', '--json']));
  assert.deepEqual(q.runs.map((r: { quant: string }) => r.quant), ['fp32', 'ivit']);
  assert.equal(q.output.lossB, d.output.lossB);
  assert.equal(q.output.top1Agreement, d.output.top1Agreement);
  assert.deepEqual(q.heads.map((h: HeadJson) => h.meanRowDivergence), d.heads.map((h: HeadJson) => h.meanRowDivergence));
});

test('sinks: α₁ per head agrees with the engine summary; the dataset rate counts and skips samples', async () => {
  const r = JSON.parse(await sinksCommand(['--model', GPT2, '--ids', ids, '--backend', 'js', '--json']));
  const model = SegmentedModel.open(GPT2);
  const run = await model.run(IDS);
  await model.release();
  const summary = sinkSummary(run.cores);
  for (const h of r.heads) assert.ok(Math.abs(h.alphaFirst - summary.alpha[h.layer][h.head]) < 1e-12);
  assert.ok(Math.abs(r.firstTokenRate * 100 - summary.rate) < 1e-9);
  assert.equal(r.tokens.length, IDS.length);
  assert.equal(r.keyValue.length, 2);
  // The residual stream at the input of each of the 2 layers, read from the segments' outputs.
  assert.deepEqual(r.massiveActivation.map((m: { boundary: number }) => m.boundary), [0, 1]);
  assert.ok(r.massiveActivation.every((m: { ratio: number }) => Number.isFinite(m.ratio) && m.ratio > 0));
  const sig = JSON.parse(await sinksCommand(['--model', GPT2_SIGMOID, '--ids', ids, '--json']));
  assert.equal(sig.proxy, true);

  const dir = mkdtempSync(join(tmpdir(), 'attnscope-sinks-'));
  const data = join(dir, 'heldout.jsonl');
  writeFileSync(data, [IDS, IDS.slice(0, 10), IDS.slice(5), IDS.slice(3)].map((x) => JSON.stringify({ ids: x })).join('\n'));
  const ds = JSON.parse(await sinksCommand(['--model', GPT2, '--dataset', data, '--tokens', '32', '--samples', '2', '--json']));
  assert.equal(ds.samplesUsed, 2);
  assert.equal(ds.samplesTooShort, 1);
  assert.equal(ds.rate.length, 32);
  assert.ok(ds.firstTokenPercent >= 0 && ds.firstTokenPercent <= 100);
  writeFileSync(data, '{"ids": [1, 2]}\nnot json\n');
  await assert.rejects(sinksCommand(['--model', GPT2, '--dataset', data]), /line 2 is not JSON/);
});

test('stream: the full-attention run is the plain model; the windows change the loss; short prompts are refused', async () => {
  const r = JSON.parse(await streamCommand(['--model', LLAMA, '--ids', ids, '--sinks', '4', '--window', '8', '--json']));
  assert.deepEqual(r.runs.map((x: { label: string }) => x.label), ['full attention', '4 sinks + 8 window', 'window 8 only']);
  assert.equal(r.evaluatedFrom, 12);
  const cmp = JSON.parse(await compareCommand(['--model', LLAMA, '--variant', 'softmax', '--variant', 'softmax', '--ids', ids, '--json']));
  const fullLoss = r.runs[0].tokenLoss.reduce((s: number, x: number) => s + x, 0) / r.runs[0].tokenLoss.length;
  assert.ok(Math.abs(fullLoss - cmp.output.lossA) < 1e-9, 'full attention = the unmodified segmented run');
  assert.notEqual(r.runs[1].loss, r.runs[0].loss);
  assert.notEqual(r.runs[2].loss, r.runs[1].loss);
  // Positions before the first eviction see the same keys in every run, so their loss is identical.
  for (let t = 0; t < 12; t++) assert.ok(Math.abs(r.runs[1].tokenLoss[t] - r.runs[0].tokenLoss[t]) < 1e-4, `position ${t}`);
  await assert.rejects(streamCommand(['--model', LLAMA, '--ids', '1,2,3,4,5', '--window', '8']), /longer prompt/);
});

test('stream recompute mode: row indexing reproduces full attention; beyond the positions it slides', async () => {
  const args = ['--model', LLAMA, '--ids', ids, '--sinks', '2', '--window', '6', '--json'];
  const mask = JSON.parse(await streamCommand([...args, '--mode', 'mask']));
  const re = JSON.parse(await streamCommand([...args, '--mode', 'recompute', '--stride', '3']));
  assert.equal(re.mode, 'recompute');
  assert.equal(re.evaluatedFrom, 8);
  // The prompt fits the 64 positions, so the recomputed full-attention rows are the plain prefix runs.
  for (let t = 8; t < IDS.length - 1; t++) assert.ok(Math.abs(re.runs[0].tokenLoss[t] - mask.runs[0].tokenLoss[t]) < 1e-4, `row ${t}`);
  assert.ok(re.runs.every((r: { loss: number }) => Number.isFinite(r.loss)));
  const long = Array.from({ length: 100 }, (_, i) => (i * 53 + 7) % 128).join(',');
  const auto = JSON.parse(await streamCommand(['--model', GPT2, '--ids', long, '--sinks', '4', '--window', '28', '--stride', '14', '--json']));
  assert.equal(auto.mode, 'recompute');
  assert.match(auto.runs[0].label, /full context \(64 positions, sliding\)/);
  await assert.rejects(streamCommand(['--model', GPT2, '--ids', long, '--sinks', '4', '--window', '64']), /larger than the model's 64 positions/);
});

test('inspect carries the sink fields: per-token scores, secondary sinks, massive activation, K/V norms', async () => {
  const model = SegmentedModel.open(GPT2);
  const r = await runInspect(model, GPT2, { ids: IDS, tokenizer: null, tokens: IDS.map((id) => ({ id, text: `#${id}`, start: null, end: null })) }, null, 'js');
  await model.release();
  assert.equal(r.sinks.tokens.length, IDS.length);
  assert.ok(Math.abs(r.sinks.tokens[0].share * 100 - r.sink.rate) < 1e-9);
  assert.equal(r.sinks.massiveActivation.length, 2);
  assert.equal(r.sinks.keyValue.length, 2);
  assert.equal(r.sinks.proxy, false);
});

test('analysis commands give one-line errors for bad options', async () => {
  await assert.rejects(driftCommand(['--model', LLAMA, '--ids', ids]), /--quant is required/);
  await assert.rejects(driftCommand(['--model', LLAMA, '--ids', ids, '--quant', 'fp8']), /unknown quantisation mode "fp8"/);
  await assert.rejects(driftCommand(['--model', GPT2_SIGMOID, '--ids', ids, '--quant', 'ivit']), /uses sigmoid; run drift on a softmax model/);
  await assert.rejects(streamCommand(['--model', LLAMA, '--ids', ids, '--sinks', '-1']), /--sinks must be an integer ≥ 0/);
  await assert.rejects(sinksCommand(['--model', LLAMA, '--ids', ids, '--bogus', '1']), /unknown option --bogus/);
  await assert.rejects(sinksCommand(['--model', 'nope.onnx', '--ids', ids]), /nope.onnx does not exist/);
  assert.match(await streamCommand(['--help']), /^attnscope stream/);
});
