import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summaryHtml, USE_MODEL_COMMAND } from '../../extension/modelSummary/summaryHtml';
import type { ModelDescription } from '../../runtime/protocol/runtime';

const base: ModelDescription = {
  name: 'gqa <model>.onnx', path: '/m/gqa.onnx', opset: 17,
  inputs: [{ name: 'input_ids', dims: ['batch', 'sequence'] }], outputs: [{ name: 'logits', dims: null }],
  cores: [{ layer: 0, kind: 'gqa', normalizer: 'softmax', name: '/GroupQueryAttention_17', qHeads: 4, kvHeads: 2, causal: true }],
  rejected: [{ node: '/Softmax_3', op: 'Softmax', reason: 'its input is not Q·Kᵀ' }], problem: null,
};

test('the summary lists cores with heads, GQA and causality, escapes names, and links to use the model', () => {
  const html = summaryHtml(base, 'vscode-resource:', 'vscode-resource:/summary.css');
  assert.match(html, /content="default-src 'none'; style-src vscode-resource:;"/);
  assert.ok(!/<script/i.test(html));
  assert.match(html, /<h1>gqa &lt;model&gt;\.onnx<\/h1>/);
  assert.match(html, /<td>0<\/td><td>gqa<\/td><td>softmax<\/td><td>4<\/td><td>yes \(2 kv heads\)<\/td><td>yes<\/td>/);
  assert.match(html, /<td>input_ids<\/td><td>\[batch, sequence\]<\/td>/);
  assert.match(html, /<td>logits<\/td><td>unknown<\/td>/);
  assert.match(html, /its input is not Q·Kᵀ/);
  assert.ok(html.includes(`href="command:${USE_MODEL_COMMAND}?${encodeURIComponent(JSON.stringify(['/m/gqa.onnx']))}"`));
});

test('a model without attention cores says why, and offers no link', () => {
  const html = summaryHtml({ ...base, cores: [], problem: 'model.onnx has no attention core the detector knows' }, 'x:', 'x:/s.css');
  assert.match(html, /<p class="problem" role="alert">model\.onnx has no attention core the detector knows<\/p>/);
  assert.ok(!html.includes('command:'));
  assert.match(html, /None found\./);
});
