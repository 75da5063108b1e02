// The C families of the variants engineer (rownorm.c incl. softplus-norm, gauss.c, integer.c) against their TS
// references, on every compiled backend that is built: shapes with T = 1, odd sizes, GQA, past keys,
// padding and ALiBi biases, streaming, fully masked rows, NaN/Inf rows and a 4,096-key row.
// A backend that is missing or lacks one of these variants fails the test with how to build it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeBackend } from '../../runtime/kernels/native/backend';
import { wasmBackend } from '../../runtime/kernels/wasm/backend';
import { loadWasmKernels } from '../../runtime/kernels/wasm/node';
import { parseVariant, referenceBackend } from '../../runtime/kernels/variants';
import type { AttentionBackend, AttentionInput, AttentionResult } from '../../runtime/kernels/types';
import { randomArray, randomInput } from '../unit/variants-fixtures';
import { normalizedError, withBias } from './parity-helpers';

/**
 * Tolerances on the normalized error max|a − b| / max(1, max|a|) of the output, with the reason.
 * The C kernels accumulate in float32 with our own exp/log (relative error < 4e-7), the reference in
 * float64, so a sum over d products and tk weights carries ~1e-6 relative error.
 */
const tolerance: [string, number, string][] = [
  ['sigmoid-norm', 1e-5, 'fp32 sums over d and tk; the normalization keeps weights in [0, 1]'],
  ['lssa', 1e-5, 'fp32 cosine (two sqrt) and softplus; L1 normalized'],
  ['softplus-norm', 1e-5, 'fp32 sums over d and tk, fp32 softplus; L1 normalized (the exported graphs: eps 0)'],
  ['softplus-norm:eps=0.5', 1e-5, 'as above, the denominator shifted by eps'],
  ['lssar:p=3', 2e-5, 'LSSA error times p = 3 through the power'],
  ['lssar', 1e-4, 'LSSA error times p = 15 through the power (u^15 multiplies relative error by 15)'],
  ['soft-gauss', 1e-5, 'fp32 exact-difference distances; unnormalized sums of up to tk weights ≤ 1'],
  ['soft-nystrom:m=8', 1e-4, 'the m × m inverse amplifies the fp32 kernel errors by cond(K2 + 0.01 I) ≤ ~1e2'],
  ['soft-nystrom:m=4,norm=1', 1e-4, 'as above, with the symmetric D^-1/2 scaling'],
  ['soft-nystrom:m=8,errorRows=5', 1e-4, 'as m=8, approxError over 5 sampled rows per head where tq > 5'],
  ['shiftmax', 1e-5, 'integer weights agree except where fp32 and fp64 logits straddle an int8 rounding edge'],
  ['shiftmax:S=0.05,bits=16,x0=tvm,exp=tvm,n=16', 1e-5, 'as above, TVM conventions, 16-bit output'],
];

/** The compiled backends; each must implement every variant tested here (else: rebuild). */
async function backends(): Promise<AttentionBackend[]> {
  const all = [nativeBackend(), wasmBackend(await loadWasmKernels())];
  for (const backend of all) {
    for (const [v] of tolerance) {
      const id = parseVariant(v).id;
      if (!backend.variants.includes(id)) throw new Error(`the ${backend.id} kernels lack ${id}: rebuild them (npm install)`);
    }
  }
  return all;
}

function withNaN(input: AttentionInput): AttentionInput {
  const q = input.q.slice();
  q[(0 * input.tq + 1) * input.headDim] = NaN; // head 0, row 1
  const k = input.k.slice();
  k[(input.kvHeads - 1) * input.tk * input.headDim + 5 * input.headDim] = Infinity; // last kv head, key 5
  return { ...input, q, k };
}

const shapes: [string, AttentionInput][] = [
  ['T = 1', randomInput({ qHeads: 2, kvHeads: 1, tq: 1, tk: 1, d: 8 })],
  ['odd sizes, GQA 6/2, causal', randomInput({ qHeads: 6, kvHeads: 2, tq: 37, tk: 53, d: 12, dv: 5, seed: 3 })],
  ['past keys, non-causal', randomInput({ qHeads: 2, kvHeads: 2, tq: 5, tk: 130, d: 16, causal: false, seed: 5 })],
  ['padding + ALiBi bias, a fully masked row', withBias(randomInput({ qHeads: 2, kvHeads: 1, tq: 9, tk: 40, d: 8, seed: 9 }), { padEvery: 7, padAt: 3, slope: 0.125, maskedRow: 2, causal: false })],
  ['streaming 4 sinks + 16 window', { ...randomInput({ qHeads: 2, kvHeads: 1, tq: 40, tk: 40, d: 8, seed: 4 }), mask: { causal: true, streaming: { sinks: 4, window: 16 } } }],
  ['NaN and Inf rows', withNaN(randomInput({ qHeads: 2, kvHeads: 2, tq: 8, tk: 8, d: 8, seed: 6 }))],
  ['long row, 4,096 keys', randomInput({ qHeads: 1, kvHeads: 1, tq: 2, tk: 4096, d: 64, seed: 8 })],
];

function compare(want: AttentionResult, got: AttentionResult, tol: number, what: string): void {
  assert.ok(got.output.every(Number.isFinite), `${what}: output finite`);
  const err = normalizedError(want.output, got.output);
  assert.ok(err <= tol, `${what}: output normalized error ${err.toExponential(2)} > ${tol}`);
  assert.deepEqual(got.stats.invalidRows, want.stats.invalidRows, `${what}: invalid rows`);
  assert.deepEqual(got.stats.keyQueryCount, want.stats.keyQueryCount, `${what}: key counts`);
  assert.equal(got.stats.proxy, want.stats.proxy, `${what}: proxy`);
  const rows = Math.max(1, want.output.length / want.stats.entropy.length);
  const sumErr = normalizedError(want.stats.keyAttentionSum, got.stats.keyAttentionSum);
  assert.ok(sumErr <= tol * rows, `${what}: key attention sums ${sumErr.toExponential(2)}`);
  const entErr = normalizedError(want.stats.entropy, got.stats.entropy);
  assert.ok(entErr <= Math.max(1e-4, 10 * tol), `${what}: entropy ${entErr.toExponential(2)}`);
  const mapErr = normalizedError(want.maps[0].weights, got.maps[0].weights);
  assert.ok(mapErr <= tol, `${what}: captured map ${mapErr.toExponential(2)}`);
  if (want.stats.approxError > 0 || got.stats.approxError > 0) {
    const rel = Math.abs(want.stats.approxError - got.stats.approxError) / Math.max(1, want.stats.approxError);
    assert.ok(rel <= tol * 10, `${what}: approxError ${got.stats.approxError} vs ${want.stats.approxError}`);
  }
  assert.equal(got.stats.nrResidual < 1e-6, want.stats.nrResidual < 1e-6, `${what}: NR residual ${got.stats.nrResidual} vs ${want.stats.nrResidual}`);
}

for (const [variant, tol, why] of tolerance) {
  test(`${variant} on every compiled backend matches the reference (tol ${tol}: ${why})`, async () => {
    for (const backend of await backends()) {
      for (const [shape, input] of shapes) {
        const request = { input, variant: parseVariant(variant), captureHeads: [input.qHeads - 1] };
        const want = await referenceBackend.run(request);
        for (const threads of [1, 2]) {
          compare(want, await backend.run({ ...request, threads }), tol, `${backend.id} ${variant} ${shape} ×${threads}`);
        }
      }
    }
  });
}

test('softplus-norm on every compiled backend with logits past torch\'s threshold 20 and past float32 exp underflow', async () => {
  // scale 60 spreads the logits over about ±150: keys above 20 take the identity branch of the
  // reference, keys below −88 have a softplus that underflows in float32 (and stays ~0 in float64).
  const input = { ...randomInput({ qHeads: 2, kvHeads: 1, tq: 7, tk: 45, d: 16, seed: 11 }), scale: 60 };
  const request = { input, variant: parseVariant('softplus-norm'), captureHeads: [1] };
  let lo = Infinity;
  let hi = -Infinity;
  for (let r = 0; r < 2 * 7; r++) {
    for (let j = 0; j < 45; j++) {
      let dot = 0;
      for (let c = 0; c < 16; c++) dot += input.q[r * 16 + c] * input.k[j * 16 + c];
      lo = Math.min(lo, 60 * dot);
      hi = Math.max(hi, 60 * dot);
    }
  }
  assert.ok(lo < -88 && hi > 20, `the logits reach both ends: ${lo}..${hi}`);
  const want = await referenceBackend.run(request);
  for (const backend of await backends()) compare(want, await backend.run(request), 1e-5, `${backend.id} softplus-norm large logits`);
});

test('shiftmax is bit-exact when the logits are exact in float32 (integers × 2^-k), short and long rows', async () => {
  const grid = (n: number, seed: number) => Float32Array.from(randomArray(n, seed), (x) => Math.round(x * 8) / 4);
  // tk = 300: rows past 256 visible keys take the kernels' ShiftExp table path.
  for (const [tq, tk] of [[11, 29], [6, 300]]) {
    const input: AttentionInput = {
      q: grid(3 * tq * 4, 1), k: grid(3 * tk * 4, 2), v: randomArray(3 * tk * 4, 3),
      qHeads: 3, kvHeads: 3, tq, tk, headDim: 4, headDimV: 4, scale: 0.5, mask: { causal: true },
    };
    for (const backend of await backends()) {
      for (const variant of ['shiftmax', 'shiftmax:S=0.0625', 'shiftmax:bits=16,n=16,x0=tvm,exp=tvm']) {
        const request = { input, variant: parseVariant(variant), captureHeads: [0, 1, 2] };
        const want = await referenceBackend.run(request);
        const got = await backend.run(request);
        for (let m = 0; m < 3; m++) assert.deepEqual(got.maps[m].weights, want.maps[m].weights, `${backend.id} ${variant} tk ${tk} head ${m}`);
      }
    }
  }
});
