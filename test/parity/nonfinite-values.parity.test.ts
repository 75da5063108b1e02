// An Inf or NaN in V reaches exactly the rows that weigh its key (weight not 0), on every backend and variant: the
// reference skips zero weights, and the compiled kernels, whose register tiles multiply a group of
// rows by every key any of them sees (0 · NaN = NaN), must give the rows that do not see the key
// (causal, a streaming window, a padding bias) the same finite outputs. Shapes put the bad key inside
// a register-tile group (4 rows in wasm, 6 natively, 4 in soft-nystrom's groups), with GQA.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeBackend } from '../../runtime/kernels/native/backend';
import { wasmBackend } from '../../runtime/kernels/wasm/backend';
import { loadWasmKernels } from '../../runtime/kernels/wasm/node';
import { referenceBackend, resolveVariant } from '../../runtime/kernels/variants';
import { VARIANT_IDS, type AttentionBackend, type AttentionInput } from '../../runtime/kernels/types';
import { randomInput } from '../unit/variants-fixtures';
import { normalizedError } from './parity-helpers';

/** On the rows both leave finite; each variant's own parity test states its tighter bound. */
const TOLERANCE = 1e-4;

function withBadValue(input: AttentionInput, key: number, value: number): AttentionInput {
  const v = input.v.slice();
  v[(1 * input.tk + key) * input.headDimV + 3] = value; // kv head 1, one column of the key's value
  return { ...input, v };
}

/** Per output row (head-major), whether all its values are finite. */
function finiteRows(out: Float32Array, dv: number): boolean[] {
  const rows: boolean[] = [];
  for (let r = 0; r < out.length / dv; r++) rows.push(out.subarray(r * dv, (r + 1) * dv).every(Number.isFinite));
  return rows;
}

const shapes: { name: string; input: AttentionInput; key: number }[] = [
  { name: 'causal T=12, bad key 6', key: 6, input: withBadValue(randomInput({ qHeads: 4, kvHeads: 2, tq: 12, tk: 12, d: 16 }), 6, NaN) },
  { name: 'causal T=70, bad key 5', key: 5, input: withBadValue(randomInput({ qHeads: 4, kvHeads: 2, tq: 70, tk: 70, d: 16, seed: 3 }), 5, Infinity) },
  {
    name: 'streaming 2 sinks + 8, bad key 20',
    key: 20,
    input: (() => {
      const i = withBadValue(randomInput({ qHeads: 4, kvHeads: 2, tq: 40, tk: 40, d: 16, seed: 5 }), 20, NaN);
      return { ...i, mask: { causal: true, streaming: { sinks: 2, window: 8 } } };
    })(),
  },
];

/** Per output row (head-major): whether the row weighs `key` of kv head 1 (nonzero in the captured maps). */
function weighsKey(maps: { head: number; weights: Float32Array }[], input: AttentionInput, key: number): boolean[] {
  const rows: boolean[] = [];
  const group = input.qHeads / input.kvHeads;
  for (const m of [...maps].sort((a, b) => a.head - b.head)) {
    const kvHead = Math.floor(m.head / group);
    for (let i = 0; i < input.tq; i++) rows.push(kvHead === 1 && m.weights[i * input.tk + key] !== 0);
  }
  return rows;
}

test('an Inf/NaN in V reaches exactly the rows that weigh its key, every variant on native and wasm', async () => {
  const compiled: AttentionBackend[] = [nativeBackend(), wasmBackend(await loadWasmKernels())];
  for (const { name, input, key } of shapes) {
    const captureHeads = Array.from({ length: input.qHeads }, (_, h) => h);
    for (const id of VARIANT_IDS) {
      const variant = resolveVariant({ id, params: id === 'unified-max' ? { phi: 2 } : {} });
      const ref = await referenceBackend.run({ input, variant, instrument: true, captureHeads });
      const refFinite = finiteRows(ref.output, input.headDimV);
      assert.deepEqual(refFinite, weighsKey(ref.maps, input, key).map((w) => !w), `${id}, ${name}: the reference`);
      assert.ok(refFinite.some((f) => f) && refFinite.some((f) => !f), `${name}: the shape has rows on both sides of the bad key`);
      for (const backend of compiled) {
        const got = await backend.run({ input, variant, threads: 2, instrument: true, captureHeads });
        const finite = finiteRows(got.output, input.headDimV);
        // a row whose weight of the key is 0 in one and a tiny number in the other (an underflow on
        // the edge of float32, lssar's 15th power) may differ from the reference; never from itself
        const wrong = finite.map((f, r) => (f === !weighsKey(got.maps, input, key)[r] ? -1 : r)).filter((r) => r >= 0);
        assert.deepEqual(wrong, [], `${id} on ${backend.id}, ${name}: rows non-finite without weighing the key, or finite with it`);
        const both = (t: number): boolean => refFinite[Math.floor(t / input.headDimV)] && finite[Math.floor(t / input.headDimV)];
        const err = normalizedError(ref.output.map((x, t) => (both(t) ? x : 0)), got.output.map((x, t) => (both(t) ? x : 0)));
        assert.ok(err <= TOLERANCE, `${id} on ${backend.id}, ${name}: normalized error ${err.toExponential(2)} on the finite rows`);
      }
    }
  }
});
