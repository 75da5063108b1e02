import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareMarkdown, driftMarkdown, streamMarkdown } from '../../extension/reports/markdown';
import type { CompareReport } from '../../runtime/protocol/runtime';

const output = { maxAbsDeltaLogit: 1.5, meanNextTokenKl: 0.02, top1Agreement: 0.75, lossA: 2, lossB: 2.5, deltaLoss: 0.5 };
const heads = [
  { layer: 1, head: 2, meanRowDivergence: 0.3, maxAbsDelta: 0.9, deltaSinkAlpha: -0.4 },
  { layer: 0, head: 0, meanRowDivergence: 0.1, maxAbsDelta: 0.2, deltaSinkAlpha: 0 },
];
const tokenDrift = [{ index: 0, text: '<s>', deltaAttention: -0.5 }, { index: 1, text: 'a|b', deltaAttention: 0.1 }];

test('compare report: ranked heads, moved tokens, outputs and next-token top-k side by side', () => {
  const r: CompareReport = {
    labels: ['softmax', 'sigmoid'], divergence: 'js', heads, tokenDrift, output,
    topK: [[{ id: 5, prob: 0.5, text: ' x' }], [{ id: 6, prob: 0.25, text: ' y' }]], sink: { a: 0.5, b: 0, delta: -0.5 }, totalMs: 12.4,
  };
  const md = compareMarkdown(r, 'demo.onnx', 1);
  assert.match(md, /^# AttnScope: softmax vs sigmoid\n\ndemo\.onnx · 2 tokens · 12 ms/);
  assert.match(md, /## Heads ranked by js divergence \(top 1 of 2\)\n\n\| layer \| head \|.*\n\| --- \|.*\n\| 1 \| 2 \| 0\.3000 \| 0\.9000 \| -0\.4000 \|\n\n/);
  assert.match(md, /\| 0 \| "<s>" \| -0\.5000 \|/);
  assert.match(md, /- loss: softmax 2\.0000, sigmoid 2\.5000, Δ 0\.5000/);
  assert.match(md, /top-1 agreement 75\.0 %/);
  assert.match(md, /- first-token sink rate: softmax 50\.0 %, sigmoid 0\.0 %, Δ -50\.0 %/);
  assert.match(md, /\| 1 \| " x" \| 0\.500 \| " y" \| 0\.250 \|/);
});

test('drift and stream reports', () => {
  const d = driftMarkdown({ quant: 'ivit', heads, tokenDrift, output, sink: { fp32: 0.4, quant: 0.3, delta: -0.1 }, totalMs: 5 }, 'm.onnx');
  assert.match(d, /# AttnScope: quantization drift \(ivit against fp32\)/);
  assert.match(d, /\| 1 \| "a\\\|b" \| 0\.1000 \|/);
  const s = streamMarkdown({ sinks: 4, window: 8, evaluatedFrom: 12, tokens: 3, runs: [{ label: 'sinks+window', loss: 2.25, perplexity: 9.49, tokenLoss: [2.5, 2] }], note: 'one pass', totalMs: 3 }, 'm.onnx');
  assert.match(s, /# AttnScope: streaming window \(4 sinks \+ 8 recent tokens\)\n\nm\.onnx · loss over predictions from token 12/);
  assert.match(s, /\| sinks\+window \| 2\.2500 \| 9\.49 \|/);
});
