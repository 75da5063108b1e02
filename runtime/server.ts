/**
 * The runtime process: serves the engine to the extension host over the typed protocol of
 * runtime/protocol/runtime.ts on the IPC channel it was forked with (`serialization: 'advanced'`).
 * It holds no UI state; if it dies, the extension host reports it and forks a fresh one.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { topK } from './analysis/compare/topK';
import { tokenLoss } from './analysis/drift/outputDrift';
import { logitsOf } from './cli/analysisRun';
import { keyImportanceFromStats } from './analysis/sinks/keyImportance';
import { tokenSinkScores } from './analysis/sinks/sinkRate';
import { compareCommand } from './cli/compare';
import { kernelStatsOf } from './cli/kernel-stats';
import { driftCommand } from './cli/drift';
import { profileCommand } from './cli/profile';
import type { ChromeTrace } from './profile/chromeTrace';
import type { ProfileReport } from './profile/format';
import { streamCommand } from './cli/stream';
import { BACKEND_IDS, getBackend } from './engine/backends';
import type { CoreRun } from './engine/core-run';
import { headInput, oneHead } from './engine/head-input';
import { lodLevel, maxPool, poolTile, TILE, tileShape } from './protocol/lod';
import { nativeVariant, SegmentedModel } from './engine/runner';
import type { AttentionBackend, BackendId, VariantSpec } from './kernels/types';
import { formatVariant, resolveVariant } from './kernels/variants';
import { detectCores } from './model/detect/detect';
import { ModelError } from './model/errors';
import { GraphIndex } from './model/graph';
import { loadModel, type LoadedModel } from './model/onnx/load';
import { loadTokenizer, type PromptTokenizer, tokenizerBeside } from './tokenizer/tokenizer';
import { RpcError, type ErrorCode } from './protocol/errors';
import { type Channel, type Handlers, RpcPeer } from './protocol/rpc';
import {
  type ExtensionHostEvents, type CompareReport, type DriftReport, type ExtensionHostMethods, type InspectParams, type LmOutputs, type ModelDescription, type StreamReport, type InspectToken, RUNTIME_PROTOCOL_VERSION, type RuntimeEvents, type RuntimeMethods,
  runtimeParamValidators,
} from './protocol/runtime';
import { tensor } from './protocol/tensor';

/** The variant with its params checked and defaults filled, or a bad-request error. */
function checkedVariant(variant: VariantSpec): VariantSpec {
  try {
    return resolveVariant(variant);
  } catch (e) {
    throw new RpcError('bad-request', e instanceof Error ? e.message : String(e));
  }
}

const MODEL_ERROR_CODES: Partial<Record<ModelError['code'], ErrorCode>> = { backend: 'unsupported', 'bad-input': 'bad-request', 'prompt-too-long': 'bad-request' };

/** Runs an engine call; its typed ModelErrors become typed protocol errors with the same one-line message. */
async function engine<T>(f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof ModelError) throw new RpcError(MODEL_ERROR_CODES[e.code] ?? 'model-error', e.message);
    throw e;
  }
}

/** The kernel backends this build can load. */
async function availableBackends(): Promise<AttentionBackend[]> {
  const out: AttentionBackend[] = [];
  for (const id of BACKEND_IDS) {
    try { out.push(await getBackend(id)); } catch { /* not in this build: hello leaves it out */ }
  }
  return out;
}

async function backendFor(id: BackendId, variant: VariantSpec): Promise<AttentionBackend> {
  const all = await availableBackends();
  const b = all.find((x) => x.id === id);
  if (!b || !b.variants.includes(variant.id)) {
    const have = all.filter((x) => x.variants.includes(variant.id)).map((x) => x.id);
    throw new RpcError('unsupported', `variant ${variant.id} is not available on the ${id} backend in this runtime (it is on: ${have.join(', ') || 'none'})`);
  }
  return b;
}

/** The loaded model and the last inspection (kept so any head can be recomputed without a re-run). */
let model: SegmentedModel | undefined;
let tokenizer: PromptTokenizer | null = null;
let last: { ids: number[]; cores: CoreRun[]; variants: VariantSpec[]; backend: AttentionBackend } | undefined;
/** Counts inspections, so that tiles are served only for the map of the inspection they were asked for. */
let inspection = 0;

function loaded(): SegmentedModel {
  if (!model) throw new RpcError('not-ready', 'no model is loaded; open one first (AttnScope: Open Model…)');
  return model;
}

/**
 * The warm-up run after a load: a two-token prompt through every segment creates the ONNX Runtime
 * sessions (one per segment, built lazily on a model's first run) and touches the kernels, so the
 * user's first Inspect does not pay for them (about a third of a first inspection of 512 tokens on
 * the demo model). Calls that run the model wait for it; a failure is only logged (the real run
 * then reports it).
 */
let warming: Promise<void> = Promise.resolve();

function warmUp(m: SegmentedModel): void {
  warming = (async () => {
    await new Promise((r) => setImmediate(r)); // after the loadModel response has gone out
    const kernel = (await availableBackends()).find((b) => b.id !== 'js');
    if (model !== m || !kernel) return;
    const t0 = performance.now();
    await m.run([0, 0], { kernel, variant: null });
    peer.notify('log', { level: 'info', message: `warmed up ${m.name} in ${(performance.now() - t0).toFixed(0)} ms (ONNX Runtime sessions, ${kernel.id} kernels)` });
  })().catch((e: unknown) => {
    peer.notify('log', { level: 'warn', message: `warm-up run of ${m.name} failed: ${e instanceof Error ? e.message : String(e)}` });
  });
}

/** The prompt's tokens: text through the model's tokenizer, or ids as given (with their text where known). */
function promptTokens(prompt: InspectParams['prompt']): InspectToken[] {
  if ('ids' in prompt) return prompt.ids.map((id) => ({ id, text: tokenizer ? tokenizer.tokenText(id) : String(id), start: null, end: null }));
  if (!tokenizer) throw new RpcError('not-ready', 'this model has no tokenizer.json beside it: select token ids (e.g. 12 7 99) or open the model with a tokenizer');
  const tokens = tokenizer.encode(prompt.text);
  if (!tokens.length) throw new RpcError('bad-request', 'the prompt has no tokens; select some text');
  return tokens;
}

/**
 * Runs one of the analyses' commands (runtime/cli) on the loaded model and the last inspected
 * prompt, with --json, and returns its parsed report. Their one-line errors keep their text.
 */
async function analysis(command: (argv: string[]) => Promise<string>, args: string[]): Promise<Record<string, unknown>> {
  const m = loaded();
  if (!last) throw new RpcError('not-ready', 'nothing inspected yet; run AttnScope: Inspect Selection first');
  const argv = ['--model', m.model.path, '--ids', last.ids.join(','), ...args, '--json'];
  let text: string;
  try {
    text = await command(argv);
  } catch (e) {
    if (e instanceof ModelError) throw new RpcError(MODEL_ERROR_CODES[e.code] ?? 'model-error', e.message);
    throw new RpcError('bad-request', e instanceof Error ? e.message.split('\n')[0] : String(e));
  }
  return JSON.parse(text) as Record<string, unknown>;
}

/** Top-5 next tokens and per-token loss when the model is a causal LM, else null. */
function lmOutputs(outputs: Record<string, ort.Tensor>, ids: number[], name: string): LmOutputs | null {
  let rows;
  try {
    rows = logitsOf(outputs, ids.length, name);
  } catch {
    return null; // not a causal LM (an encoder): no next-token outputs to show
  }
  const loss = Float32Array.from(tokenLoss(rows, ids));
  return {
    topK: topK(rows, 5).map((t) => ({ ...t, text: tokenizer ? tokenizer.tokenText(t.id) : String(t.id) })),
    tokenLoss: tensor(loss, [loss.length]),
    loss: loss.length ? loss.reduce((a, b) => a + b, 0) / loss.length : 0,
  };
}

/** Reads a model for its summary; a model the engine cannot use is described with the reason. */
function describe(path: string): ModelDescription {
  const name = basename(path);
  const empty = { name, path, opset: null, inputs: [], outputs: [], cores: [], rejected: [] };
  let loadedModel: LoadedModel;
  try {
    loadedModel = loadModel(path);
  } catch (e) {
    if (e instanceof ModelError) return { ...empty, problem: e.message };
    throw e;
  }
  const graph = new GraphIndex(loadedModel.proto.graph ?? {}, loadedModel.opset);
  const io = (v: { name?: string | null }) => ({ name: v.name ?? '', dims: graph.declaredDims(v.name ?? '') });
  const base = { ...empty, opset: loadedModel.opset, inputs: graph.inputs.map(io), outputs: graph.outputs.map(io) };
  try {
    const d = detectCores(graph, name);
    return {
      ...base, problem: null, rejected: d.rejected,
      cores: d.cores.map((c) => ({ layer: c.layer, kind: c.kind, normalizer: c.normalizer, name: c.name, qHeads: c.qHeads ?? null, kvHeads: c.kvHeads ?? null, causal: c.causal ?? null })),
    };
  } catch (e) {
    if (e instanceof ModelError) return { ...base, problem: e.message };
    throw e;
  }
}

const handlers: Handlers<RuntimeMethods> = {
  hello: async () => ({
    protocolVersion: RUNTIME_PROTOCOL_VERSION,
    pid: process.pid,
    node: process.versions.node,
    kernels: (await availableBackends()).map((b) => ({ backend: b.id, variants: [...b.variants] })),
  }),
  runCore: async ({ input, variant, backend, captureHeads }) => {
    const kernel = await backendFor(backend, variant);
    return kernel.run({ input, variant: checkedVariant(variant), captureHeads });
  },
  loadModel: ({ path, tokenizer: given }) => engine(() => {
    const m = SegmentedModel.open(path);
    const tokPath = given ?? tokenizerBeside(path);
    const tok = tokPath ? loadTokenizer(tokPath) : null;
    model = m;
    tokenizer = tok;
    last = undefined;
    warmUp(m);
    return {
      name: m.name, path, opset: m.model.opset, tokenizer: tok?.path ?? null,
      cores: m.cores.map((c) => ({ layer: c.layer, kind: c.kind, normalizer: c.normalizer, name: c.name })),
    };
  }),
  describeModel: ({ path }) => describe(path),
  compare: async ({ variantA, variantB, backend, epsilon }) => {
    const j = await analysis(compareCommand, ['--variant', variantA, '--variant', variantB, '--backend', backend, '--epsilon', String(epsilon)]) as unknown as Omit<CompareReport, 'labels' | 'totalMs'> & { runs: { label: string }[]; timings: { totalMs: number } };
    return { labels: [j.runs[0].label, j.runs[1].label], divergence: j.divergence, heads: j.heads, tokenDrift: j.tokenDrift, output: j.output, topK: j.topK, sink: j.sink, totalMs: j.timings.totalMs };
  },
  drift: async ({ quant, backend, epsilon }) => {
    const j = await analysis(driftCommand, ['--quant', quant, '--backend', backend, '--epsilon', String(epsilon)]) as unknown as Omit<DriftReport, 'quant' | 'totalMs'> & { quant: { mode: string }; timings: { totalMs: number } };
    return { quant: j.quant.mode, heads: j.heads, tokenDrift: j.tokenDrift, output: j.output, sink: j.sink, totalMs: j.timings.totalMs };
  },
  stream: async ({ sinks, window, backend }) => {
    if (last && sinks + window >= last.ids.length) throw new RpcError('bad-request', `sinks + window (${sinks + window}) must be shorter than the prompt (${last.ids.length} tokens), or nothing is evicted`);
    const j = await analysis(streamCommand, ['--sinks', String(sinks), '--window', String(window), '--backend', backend]) as unknown as Omit<StreamReport, 'totalMs'> & { timings: { totalMs: number } };
    return { sinks: j.sinks, window: j.window, evaluatedFrom: j.evaluatedFrom, tokens: j.tokens, runs: j.runs.map((r) => ({ label: r.label, loss: r.loss, perplexity: r.perplexity, tokenLoss: r.tokenLoss })), note: j.note, totalMs: j.timings.totalMs };
  },
  profile: async ({ variants, backends, repeat }, ctx) => {
    // The profile command in this process (the CLI's code), its trace in a private temporary folder.
    const dir = mkdtempSync(join(tmpdir(), 'attnscope-profile-'));
    const tracePath = join(dir, 'trace.json');
    try {
      const progress = (done: number, total: number): void => ctx.progress({ message: `profile: run ${done} of ${total}`, fraction: done / total });
      const report = await analysis((argv) => profileCommand(argv, progress), ['--variant', variants.join(','), '--backend', backends.join(','), '--repeat', String(repeat), '--trace', tracePath]) as unknown as ProfileReport;
      const trace = JSON.parse(readFileSync(tracePath, 'utf8')) as ChromeTrace;
      return { report: { ...report, trace: report.trace && { ...report.trace, path: 'trace.json' } }, trace };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  inspect: async ({ prompt, variant, backend, epsilon }, ctx) => {
    await warming;
    const m = loaded();
    const tokens = await engine(() => promptTokens(prompt));
    const ids = tokens.map((t) => t.id);
    const chosen = variant ? checkedVariant(variant) : null;
    const variants = await engine(() => m.cores.map((c) => chosen ?? nativeVariant(c)));
    const kernel = await backendFor(backend, chosen ?? variants[0]);
    for (const v of variants) if (!kernel.variants.includes(v.id)) await backendFor(backend, v);
    ctx.progress({ message: `running ${ids.length} tokens through ${m.cores.length} attention cores` });
    const run = await engine(() => m.run(ids, { kernel, variant: chosen }));
    if (ctx.signal.aborted) throw new RpcError('cancelled', 'inspect was cancelled');
    inspection++;
    last = { ids, cores: run.cores, variants: run.cores.map((c) => variants[m.cores.findIndex((k) => k.layer === c.layer)]), backend: kernel };
    const tk = ids.length;
    const heads = Math.max(...run.cores.map((c) => c.input.qHeads));
    const alpha = new Float32Array(run.cores.length * heads * tk);
    const importance = run.cores.map((c, l) => {
      if (c.input.tk !== tk) throw new RpcError('model-error', `layer ${c.layer} attends over ${c.input.tk} keys for a ${tk}-token prompt; only prompts without a cache are supported`);
      const ki = keyImportanceFromStats(c.stats, c.input.qHeads, tk);
      alpha.set(ki.alpha, l * heads * tk);
      return ki;
    });
    const scores = tokenSinkScores(importance, epsilon);
    const outputs = lmOutputs(run.outputs, ids, m.name);
    return {
      tokens, layers: run.cores.length, heads,
      alpha: tensor(alpha, [run.cores.length, heads, tk]),
      sinkScore: tensor(Float32Array.from(scores, (s) => s.share), [tk]),
      variants: last.variants.map(formatVariant), outputs,
      kernelStats: kernelStatsOf(run.cores, last.variants),
      totalMs: run.totalMs, kernelMs: run.kernelMs, ortMs: run.ortMs,
    };
  },
  headMap: async ({ layer, head }) => {
    if (!last) throw new RpcError('not-ready', 'nothing inspected yet; run AttnScope: Inspect Selection first');
    const core = last.cores[layer];
    if (!core) throw new RpcError('bad-request', `layer ${layer} does not exist; the model has ${last.cores.length} attention cores`);
    if (head >= core.input.qHeads) throw new RpcError('bad-request', `head ${head} does not exist; layer ${layer} has ${core.input.qHeads} heads`);
    const { tq, tk } = core.input;
    const weights = await fullMap(layer, head);
    const input = headInput(core.input, head, formatVariant(last.variants[layer]));
    const level = lodLevel(tq, tk);
    if (level === 0) return { layer, head, weights: tensor(weights, [tq, tk]), input };
    // Larger than a canvas shows: the pooled level now, finer tiles when the panel zooms in (headTiles).
    return { layer, head, weights: tensor(maxPool(weights, tq, tk, level), [Math.ceil(tq / 2 ** level), Math.ceil(tk / 2 ** level)]), lod: { level, tq, tk, inspection }, input };
  },
  headTiles: async ({ layer, head, level, tiles, inspection: of }, ctx) => {
    if (of !== inspection) throw new RpcError('bad-request', 'the prompt was inspected again since this map was sent; its tiles are gone (the new map replaces it)');
    const weights = await fullMap(layer, head);
    if (ctx.signal.aborted) throw new RpcError('cancelled', 'headTiles was cancelled');
    const { tq, tk } = last!.cores[layer].input;
    const rowsL = Math.ceil(tq / 2 ** level);
    const colsL = Math.ceil(tk / 2 ** level);
    const bad = tiles.find(([i, j]) => i * TILE >= rowsL || j * TILE >= colsL);
    if (bad) throw new RpcError('bad-request', `tile [${bad.join(', ')}] lies outside level ${level} of the ${tq} × ${tk} map (${Math.ceil(rowsL / TILE)} × ${Math.ceil(colsL / TILE)} tiles)`);
    return {
      layer, head, level,
      tiles: tiles.map(([i, j]) => { const s = tileShape(tq, tk, level, i, j); return { i, j, weights: tensor(poolTile(weights, tq, tk, level, i, j), [s.rows, s.cols]) }; }),
    };
  },
};

/** The full map of the last head asked for, kept for its tiles (one head: 64 MB at 4,096 tokens). */
let lastMap: { of: typeof last; layer: number; head: number; weights: Float32Array } | undefined;

/** Head `head`'s full [tq, tk] map of layer `layer` of the last inspection, recomputed by its kernel (or the one kept). */
async function fullMap(layer: number, head: number): Promise<Float32Array> {
  if (!last) throw new RpcError('not-ready', 'nothing inspected yet; run AttnScope: Inspect Selection first');
  const core = last.cores[layer];
  if (!core) throw new RpcError('bad-request', `layer ${layer} does not exist; the model has ${last.cores.length} attention cores`);
  if (head >= core.input.qHeads) throw new RpcError('bad-request', `head ${head} does not exist; layer ${layer} has ${core.input.qHeads} heads`);
  if (lastMap && lastMap.of === last && lastMap.layer === layer && lastMap.head === head) return lastMap.weights;
  const of = last;
  const r = await of.backend.run(oneHead(core.input, head, of.variants[layer]));
  lastMap = { of, layer, head, weights: r.maps[0].weights };
  return lastMap.weights;
}

function ipcChannel(): Channel {
  const send = process.send?.bind(process);
  if (!send) {
    console.error('runtime/server must be forked by the AttnScope extension with an IPC channel; for headless use run the CLI (attnscope --help)');
    process.exit(2);
  }
  return {
    post: (m) => { if (process.connected) send(m); },
    onMessage: (l) => { process.on('message', l); return () => process.off('message', l); },
  };
}

const peer = new RpcPeer<RuntimeMethods, ExtensionHostMethods, Record<never, never>, ExtensionHostEvents>(ipcChannel(), {
  handlers,
  paramValidators: runtimeParamValidators,
  onInvalid: (reason) => peer.notify('log', { level: 'warn', message: `runtime refused a message: ${reason}` } satisfies RuntimeEvents['log']),
});

// The extension host went away: nothing left to serve.
process.on('disconnect', () => process.exit(0));
