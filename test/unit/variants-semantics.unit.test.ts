// Variant semantics on multi-head inputs: §7 equivalences, masks, GQA, T = 1, masked and NaN rows,
// and the instrumentation (α exactness, proxy maps). Every variant is exercised where it applies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceAttention } from '../../runtime/kernels/reference/dispatch';
import { parseVariant } from '../../runtime/kernels/variants';
import { VARIANT_IDS, type AttentionInput } from '../../runtime/kernels/types';
import { assertClose, randomInput } from './variants-fixtures';

const ref = (input: AttentionInput, variant: string, capture: number[] = []) => referenceAttention(input, parseVariant(variant), capture);
const all = [...VARIANT_IDS];

test('§7 equivalences: sink-logit(0) ≡ softmax1, unified-max in the guard ≡ softmax, LSSAR(p=1, O=0) ≡ LSSA', () => {
  const input = randomInput({ qHeads: 2, kvHeads: 1, tq: 5, tk: 7, d: 8 });
  assert.deepEqual(ref(input, 'sink-logit:logit=0').output, ref(input, 'softmax1').output);
  assertClose(ref(input, 'unified-max:split=3').output, ref(input, 'softmax').output, 1e-6, 'unified-max');
  assertClose(ref(input, 'lssar:p=1,warm=100').output, ref(input, 'lssa').output, 1e-6, 'lssar p=1 O=0');
});

test('sink-logit: a per-head override changes only that head', () => {
  const input = randomInput({ qHeads: 2, kvHeads: 2, tq: 3, tk: 3, d: 4 });
  const base = ref(input, 'sink-logit:logit=1').output;
  const over = ref(input, 'sink-logit:logit=1,logit.1=4').output;
  assert.deepEqual(over.slice(0, 12), base.slice(0, 12));
  assert.notDeepEqual(over.slice(12), base.slice(12));
});

test('sigmoid-norm and elu1:normalize=1 are the normalized forms of sigmoid:b=0 and elu1', () => {
  const input = randomInput({ qHeads: 1, kvHeads: 1, tq: 4, tk: 4, d: 4 });
  for (const [norm, raw] of [['sigmoid-norm', 'sigmoid:b=0'], ['elu1:normalize=1', 'elu1']]) {
    const n = ref(input, norm, [0]).maps[0].weights;
    const r = ref(input, raw, [0]).maps[0].weights;
    for (let i = 0; i < 4; i++) {
      const row = r.slice(i * 4, i * 4 + 4);
      const sum = row.reduce((s, t) => s + t, 0);
      assertClose(n.slice(i * 4, i * 4 + 4), Array.from(row, (t) => t / sum), 1e-6, norm);
    }
  }
});

test('shiftmax approximates softmax (within its 8-bit quantization and ShiftExp error)', () => {
  const input = randomInput({ qHeads: 2, kvHeads: 2, tq: 6, tk: 6, d: 8 });
  assertClose(ref(input, 'shiftmax', [0]).maps[0].weights, ref(input, 'softmax', [0]).maps[0].weights, 0.06, 'shiftmax');
});

test('GQA: query heads sharing a kv head equal the same run with K and V copied per head', () => {
  const gqa = randomInput({ qHeads: 4, kvHeads: 2, tq: 5, tk: 6, d: 4, dv: 3, seed: 11 });
  const copy = (a: Float32Array, rows: number) => {
    const out = new Float32Array(a.length * 2);
    for (let h = 0; h < 4; h++) out.set(a.subarray(Math.floor(h / 2) * rows, Math.floor(h / 2) * rows + rows), h * rows);
    return out;
  };
  const mha = { ...gqa, kvHeads: 4, k: copy(gqa.k, 6 * 4), v: copy(gqa.v, 6 * 3) };
  for (const id of all) assert.deepEqual(ref(gqa, id).output, ref(mha, id).output, id);
});

test('causal with past keys: query row i sees keys 0..i + (tk − tq)', () => {
  const input = randomInput({ qHeads: 1, kvHeads: 1, tq: 2, tk: 5, d: 4 });
  for (const id of all) {
    const r = ref(input, id);
    assert.deepEqual(Array.from(r.stats.keyQueryCount), [2, 2, 2, 2, 1], id);
  }
});

// Not sigmoid's default b = −ln tk, soft-nystrom's landmarks (they pool every key) or LSSAR's warm
// rows (counted by sequence position, which moves with tk): those depend on tk by definition.
test('padding by bias = −∞ hides a key exactly like dropping it', () => {
  const input = randomInput({ qHeads: 2, kvHeads: 1, tq: 3, tk: 4, d: 4, causal: false });
  const padded = { ...input, mask: { causal: false, bias: new Float32Array(3 * 4).map((_, t) => (t % 4 === 0 ? -Infinity : 0)), biasHeads: 1 } };
  const dropped = { ...input, tk: 3, k: input.k.slice(4), v: input.v.slice(4) };
  for (const v of ['softmax', 'softmax1', 'sink-logit:logit=2', 'unified-max', 'sigmoid:b=-1', 'sigmoid-norm', 'elu1', 'lssa', 'lssar:warm=0', 'soft-gauss', 'shiftmax']) {
    assertClose(ref(padded, v).output, ref(dropped, v).output, 1e-6, v);
  }
});

test('an additive per-head bias (ALiBi) shifts the logits of that head only', () => {
  const input = randomInput({ qHeads: 2, kvHeads: 1, tq: 3, tk: 3, d: 4 });
  const bias = new Float32Array(2 * 9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) bias[9 + i * 3 + j] = -0.5 * (i - j);
  const r = ref({ ...input, mask: { causal: true, bias, biasHeads: 2 } }, 'softmax', [0, 1]);
  const plain = ref(input, 'softmax', [0, 1]);
  assert.deepEqual(r.maps[0].weights, plain.maps[0].weights);
  assert.notDeepEqual(r.maps[1].weights, plain.maps[1].weights);
  // Row 2 of head 1: logits shifted by [−1, −0.5, 0]; softmax of the shifted logits.
  const w = plain.maps[1].weights.slice(6, 9);
  const e = [w[0] * Math.exp(-1), w[1] * Math.exp(-0.5), w[2]];
  const z = e[0] + e[1] + e[2];
  assertClose(r.maps[1].weights.slice(6, 9), e.map((t) => t / z), 1e-6, 'alibi row');
});

test('streaming: the first `sinks` keys plus the `window` most recent visible keys', () => {
  const input = { ...randomInput({ qHeads: 1, kvHeads: 1, tq: 6, tk: 6, d: 4 }), mask: { causal: true, streaming: { sinks: 1, window: 2 } } };
  for (const id of all) {
    const r = ref(input, id, [0]);
    const seen = Array.from(r.maps[0].weights.slice(30, 36), (w) => w !== 0);
    assert.deepEqual(seen.map((s, j) => !s || [0, 4, 5].includes(j)), [true, true, true, true, true, true], id);
    assert.deepEqual(Array.from(r.stats.keyQueryCount), [6, 2, 2, 2, 2, 1], id);
  }
});

test('T = 1: every variant gives a finite output, softmax-family weight 1', () => {
  const input = randomInput({ qHeads: 2, kvHeads: 1, tq: 1, tk: 1, d: 4 });
  for (const id of all) {
    const r = ref(input, id, [0]);
    assert.ok(r.output.every(Number.isFinite), id);
    assert.deepEqual(r.stats.invalidRows, [], id);
  }
  for (const id of ['softmax', 'unified-max', 'lssa', 'lssar', 'sigmoid-norm']) assert.ok(Math.abs(ref(input, id, [0]).maps[0].weights[0] - 1) < 1e-7, id);
});

test('a fully masked row outputs 0, is not invalid, and is left out of the entropy mean', () => {
  const input = randomInput({ qHeads: 1, kvHeads: 1, tq: 3, tk: 3, d: 4, causal: false });
  const bias = new Float32Array(9);
  bias.fill(-Infinity, 3, 6);
  const masked = { ...input, mask: { causal: false, bias } };
  for (const id of all) {
    const r = ref(masked, id);
    assert.deepEqual(Array.from(r.output.slice(4, 8)), [0, 0, 0, 0], id);
    assert.deepEqual(r.stats.invalidRows, [], id);
    assert.deepEqual(Array.from(r.stats.keyQueryCount), [2, 2, 2], id);
  }
});

test('NaN and Inf logits: those rows output 0 and are listed; the others are untouched', () => {
  const input = randomInput({ qHeads: 2, kvHeads: 1, tq: 3, tk: 3, d: 4 });
  const q = input.q.slice();
  q[(1 * 3 + 2) * 4] = NaN; // head 1, row 2
  const k = input.k.slice();
  k[2 * 4] = Infinity; // key 2: seen by row 2 of both heads (causal)
  for (const id of all) {
    const clean = ref(input, id);
    const r = ref({ ...input, q }, id);
    assert.deepEqual(r.stats.invalidRows, [5], id);
    assert.deepEqual(Array.from(r.output.slice(20, 24)), [0, 0, 0, 0], id);
    assert.deepEqual(r.output.slice(0, 20), clean.output.slice(0, 20), id);
    const inf = ref({ ...input, k }, id);
    assert.deepEqual(inf.stats.invalidRows, id === 'soft-nystrom' ? [0, 1, 2, 3, 4, 5] : [2, 5], id);
  }
});

test('stats: α_k = sum / count is exact, proxy maps sum to 1 per row, softmax1 keeps its sink mass', () => {
  const input = randomInput({ qHeads: 2, kvHeads: 1, tq: 4, tk: 4, d: 4 });
  for (const id of all) {
    const r = ref(input, id, [1]);
    const total = r.stats.keyAttentionSum.slice(4).reduce((s, t) => s + t, 0);
    if (id === 'softmax1' || id === 'sink-logit') assert.ok(total < 4 - 1e-3, id);
    else if (id === 'lssar' || id === 'shiftmax') assert.ok(total <= 4 + 1e-6, id);
    else assert.ok(Math.abs(total - 4) < 1e-5, `${id}: ${total}`);
    assert.equal(r.stats.proxy, ['sigmoid', 'elu1', 'soft-gauss', 'soft-nystrom'].includes(id), id);
    assert.equal(r.maps.length, 1);
    assert.equal(r.maps[0].head, 1);
    assert.ok(r.stats.entropy.every((e) => e >= 0 && Number.isFinite(e)), id);
  }
  // Key 0 under softmax: every row's weight on it, summed, over the 4 rows that see it.
  const r = ref(input, 'softmax', [0]);
  let want = 0;
  for (let i = 0; i < 4; i++) want += r.maps[0].weights[i * 4];
  assert.ok(Math.abs(r.stats.keyAttentionSum[0] - want) < 1e-6);
  assert.equal(r.stats.keyQueryCount[0], 4);
});
