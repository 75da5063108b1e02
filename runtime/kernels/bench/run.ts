/**
 * `npm run bench`: our attention kernels against ONNX Runtime on the same attention cores, measured
 * in one run (H = 12, d = 64, causal, fp32, T in {128, 512, 1024, 2048}, 1 and 2 threads). Prints a
 * table of medians and ratios, or with --json one object { rows, peak, e2e, ... }. Not a test.
 *
 *   --json            machine-readable output only
 *   --tokens 512,1024 the T values (default 128,512,1024,2048)
 *   --threads 1,2     the thread counts (default 1,2)
 *   --reps N          timed rounds per contender (default: 21 at T <= 128, 15 to T = 1024, 7 above)
 *   --no-e2e          skip the end-to-end ratio on the 12-layer benchmark model
 *   --no-web          skip onnxruntime-web
 */
import * as ort from 'onnxruntime-node';
import { loadNativeAddon, nativeBackend } from '../native/backend';
import { loadWasmKernels, relaxedSimdFlagSet } from '../wasm/node';
import { wasmBackend } from '../wasm/backend';
import { resolveVariant } from '../variants';
import type { AttentionBackend, AttentionInput, VariantId } from '../types';
import { VARIANT_IDS } from '../types';
import { buildOrtGraph, ortFeedData, type OrtGraphId } from './ortGraphs';
import { measureRoundRobin, type Contender } from './timing';
import type { Spread } from '../../profile/stats';
import { table } from './table';
import { measureEndToEnd, type EndToEnd } from './e2e';

const H = 12;
const D = 64;

export interface BenchRow {
  backend: string;
  variant: VariantId | null;
  instrumented: boolean;
  threads: number;
  T: number;
  /** Median of the samples. */
  ms: number;
  /** Median absolute deviation of the samples from `ms`: how busy the shared host was for this row. */
  madMs: number;
  /** Our time / the fastest ONNX Runtime node op at this T and thread count (null for ORT rows). */
  ratioVsOrt: number | null;
  /** WASM rows: our time / the fastest onnxruntime-web op at this T (1 thread). */
  ratioVsOrtWeb: number | null;
  /** Native rows: useful causal FLOPs (4·H·d·T(T+1)/2) per second over the measured FMA peak. */
  pctPeak: number | null;
}

interface Options { json: boolean; tokens: number[]; threads: number[]; reps: number | null; e2e: boolean; web: boolean }

function parseArgs(argv: string[]): Options {
  const o: Options = { json: false, tokens: [128, 512, 1024, 2048], threads: [1, 2], reps: null, e2e: true, web: true };
  const list = (s: string | undefined, what: string): number[] => {
    const xs = (s ?? '').split(',').map(Number);
    if (!xs.length || xs.some((x) => !Number.isInteger(x) || x < 1)) throw new Error(`bench: ${what} takes a comma-separated list of positive integers, got "${s}"`);
    return xs;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') o.json = true;
    else if (a === '--tokens') o.tokens = list(argv[++i], '--tokens');
    else if (a === '--threads') o.threads = list(argv[++i], '--threads');
    else if (a === '--reps') o.reps = list(argv[++i], '--reps')[0];
    else if (a === '--no-e2e') o.e2e = false;
    else if (a === '--no-web') o.web = false;
    else throw new Error(`bench: unknown option ${a}; options: --json --tokens LIST --threads LIST --reps N --no-e2e --no-web`);
  }
  return o;
}

function random(n: number, seed: number): Float32Array {
  let x = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let t = 0; t < n; t++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[t] = (x / 2 ** 32) * 2 - 1;
  }
  return out;
}

const repsFor = (T: number): number => (T <= 128 ? 21 : T <= 1024 ? 15 : 7);

/**
 * ONNX Runtime node sessions with intra-op spinning off. With it on (ORT's default), each session's
 * worker threads keep spinning on a core for more than 50 ms after a run: on two cores that took
 * ~10 ms of CPU from whichever contender ran next (ours or another ORT session) at 2 threads, even
 * after the round-robin's idle gap (measured: our kernel's process CPU 26.7 ms 15 ms after a
 * spinning GQA session, 16.7 ms after a non-spinning one or when idle). ORT's own time with
 * spinning off was not slower in isolation (GQA, 2 threads, 300 ms idle before each run).
 */
async function ortSession(id: OrtGraphId, T: number, threads: number): Promise<Contender & { close(): Promise<void> }> {
  const shape = { heads: H, tokens: T, headDim: D };
  const session = await ort.InferenceSession.create(buildOrtGraph(id, shape).bytes, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const n = H * T * D;
  const data = ortFeedData(id, shape, random(n, 1), random(n, 2), random(n, 3));
  const feeds = Object.fromEntries(Object.entries(data).map(([k, t]) => [k, new ort.Tensor(t.data instanceof Int32Array ? 'int32' : 'float32', t.data, t.dims)]));
  return { key: `ort-node:${id}`, run: () => session.run(feeds), close: () => session.release() };
}

type OrtWeb = typeof import('onnxruntime-web');

async function webSession(web: OrtWeb, id: OrtGraphId, T: number): Promise<Contender> {
  const shape = { heads: H, tokens: T, headDim: D };
  const session = await web.InferenceSession.create(buildOrtGraph(id, shape).bytes, { executionProviders: ['wasm'] });
  const n = H * T * D;
  const data = ortFeedData(id, shape, random(n, 1), random(n, 2), random(n, 3));
  const feeds = Object.fromEntries(Object.entries(data).map(([k, t]) => [k, new web.Tensor(t.data instanceof Int32Array ? 'int32' : 'float32', t.data, t.dims)]));
  return { key: `ort-web:${id}`, run: () => session.run(feeds) };
}

function kernelContenders(backend: AttentionBackend, input: AttentionInput, threads: number): Contender[] {
  const out: Contender[] = [];
  for (const id of VARIANT_IDS) {
    if (!backend.variants.includes(id)) continue;
    const variant = resolveVariant({ id, params: id === 'unified-max' ? { phi: 4 } : {} });
    for (const instrument of id === 'softmax' ? [true, false] : [true]) {
      out.push({ key: `${backend.id}|${id}|${instrument}`, run: () => backend.run({ input, variant, threads, instrument }) });
    }
  }
  return out;
}

export async function bench(o: Options, log: (line: string) => void): Promise<{ rows: BenchRow[]; peak: Record<number, number>; isa: string; wasmIsa: string; e2e: EndToEnd[] }> {
  const addon = loadNativeAddon();
  const native = nativeBackend(addon);
  const wasm = wasmBackend(await loadWasmKernels());
  // the build the product runs here (runtime/kernels/wasm/node.ts: relaxed SIMD where it compiles)
  log(`WASM kernels: ${wasm.isa} build (Node ${process.versions.node}, V8 ${process.versions.v8}${relaxedSimdFlagSet() ? ', --experimental-wasm-relaxed-simd set by the loader' : ''})`);
  const web: OrtWeb | null = o.web ? await import('onnxruntime-web') : null;
  if (web) web.env.wasm.numThreads = 1;
  // The peak is the best of several measurements over the run (first, and after each shape): taken
  // once, it read as low as half the machine's when another process held a core at that moment,
  // and the 2-thread % of peak then came out above 100%.
  const peak: Record<number, number> = {};
  const measurePeak = (): void => {
    for (const t of o.threads) peak[t] = Math.max(peak[t] ?? 0, ...[0, 1, 2].map(() => addon.fmaPeak(t, 5e7).gflops));
  };
  measurePeak();
  const rows: BenchRow[] = [];
  for (const T of o.tokens) {
    const input: AttentionInput = {
      q: random(H * T * D, 1), k: random(H * T * D, 2), v: random(H * T * D, 3),
      qHeads: H, kvHeads: H, tq: T, tk: T, headDim: D, headDimV: D, scale: 1 / Math.sqrt(D), mask: { causal: true },
    };
    const webTimes = new Map<string, Spread>();
    if (web) {
      const contenders = [await webSession(web, 'unfused', T), await webSession(web, 'attention', T), ...kernelContenders(wasm, input, 1)];
      for (const [k, t] of await measureRoundRobin(contenders, o.reps ?? repsFor(T))) webTimes.set(k, t);
    } else {
      for (const [k, t] of await measureRoundRobin(kernelContenders(wasm, input, 1), o.reps ?? repsFor(T))) webTimes.set(k, t);
    }
    const webBest = Math.min(...[...webTimes].filter(([k]) => k.startsWith('ort-web')).map(([, t]) => t.median));
    for (const threads of o.threads) {
      const sessions = [await ortSession('unfused', T, threads), await ortSession('attention', T, threads), await ortSession('gqa', T, threads)];
      const times = await measureRoundRobin([...sessions, ...kernelContenders(native, input, threads)], o.reps ?? repsFor(T));
      for (const s of sessions) await s.close();
      const ortBest = Math.min(...[...times].filter(([k]) => k.startsWith('ort-node')).map(([, t]) => t.median));
      const usefulFlops = 4 * H * D * (T * (T + 1)) / 2;
      for (const [k, { median: ms, mad: madMs }] of times) {
        if (k.startsWith('ort-node')) {
          rows.push({ backend: k, variant: null, instrumented: false, threads, T, ms, madMs, ratioVsOrt: null, ratioVsOrtWeb: null, pctPeak: null });
        } else {
          const [backend, variant, instr] = k.split('|');
          rows.push({ backend, variant: variant as VariantId, instrumented: instr === 'true', threads, T, ms, madMs, ratioVsOrt: ms / ortBest, ratioVsOrtWeb: null, pctPeak: usefulFlops / (ms * 1e6) }); // GFLOP/s until the peak is final
        }
      }
      if (threads === 1 || !o.threads.includes(1)) {
        for (const [k, { median: ms, mad: madMs }] of webTimes) {
          if (k.startsWith('ort-web')) {
            rows.push({ backend: k, variant: null, instrumented: false, threads: 1, T, ms, madMs, ratioVsOrt: null, ratioVsOrtWeb: null, pctPeak: null });
          } else {
            const [backend, variant, instr] = k.split('|');
            rows.push({ backend, variant: variant as VariantId, instrumented: instr === 'true', threads: 1, T, ms, madMs, ratioVsOrt: ms / ortBest, ratioVsOrtWeb: Number.isFinite(webBest) ? ms / webBest : null, pctPeak: null });
          }
        }
      }
      log(`T=${T} threads=${threads}: measured (${rows.length} rows so far)`);
      measurePeak();
    }
  }
  const e2e: EndToEnd[] = [];
  if (o.e2e) {
    for (const threads of o.threads) {
      const r = await measureEndToEnd(threads, 1024, log);
      if (r) e2e.push(r);
    }
  }
  measurePeak();
  for (const r of rows) if (r.pctPeak !== null) r.pctPeak /= peak[r.threads];
  log(`FMA peak (register-only, ${native.isa}, best over the run): ${o.threads.map((t) => `${t} thread${t > 1 ? 's' : ''} ${peak[t].toFixed(0)} GFLOP/s`).join(', ')}`);
  return { rows, peak, isa: native.isa, wasmIsa: wasm.isa, e2e };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const log = (line: string): void => { if (!o.json) console.log(line); else process.stderr.write(`${line}\n`); };
  const result = await bench(o, log);
  const e2eRatio = result.e2e.length ? Object.fromEntries(result.e2e.map((e) => [e.threads, e.ratio])) : null;
  if (o.json) {
    console.log(JSON.stringify({ heads: H, headDim: D, causal: true, isa: result.isa, wasmIsa: result.wasmIsa, fmaPeakGflops: result.peak, rows: result.rows, e2e: result.e2e, e2eRatio }, null, 1));
  } else {
    console.log(table(result.rows));
    for (const e of result.e2e) console.log(`end to end (${e.model}, T=${e.tokens}, ${e.threads} thread${e.threads > 1 ? 's' : ''}): segmented + native ${e.segmentedMs.toFixed(0)} ms vs ONNX Runtime whole ${e.wholeMs.toFixed(0)} ms: e2eRatio ${e.ratio.toFixed(2)}`);
  }
  process.exit(0); // onnxruntime-web keeps worker handles open
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
