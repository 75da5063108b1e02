import type { SegmentedModel } from '../engine/runner';
import { getBackend } from '../engine/backends';
import { formatVariant } from '../kernels/variants';
import type { AttentionBackend, BackendId, VariantSpec } from '../kernels/types';
import { ProfiledRunner, type ProfiledRun } from './profiledRunner';
import type { OrtRunEvent } from './ortProfile';

/** One kernel configuration to profile: a variant (null = each core's own) on a backend with a thread count. */
export interface ProfileConfig {
  variant: VariantSpec | null;
  backend: BackendId;
  threads: number;
}

export interface ProfileOptions {
  configs: ProfileConfig[];
  /** Measured runs per configuration after one warm-up run (default 5). */
  repeat: number;
  /** Also time each core's heads in this many ranges, one kernel call each (default 1: no split). */
  headRanges?: number;
  /** Called after every run with how many of all runs are done (progress). */
  onProgress?: (done: number, total: number) => void;
}

/** The measured runs of one configuration: profiled ones and, interleaved with them, plain ones. */
export interface ConfigRuns {
  config: ProfileConfig;
  label: string;
  /** The variant as formatted with its parameters, or 'model' (each core's own normalizer). */
  variant: string;
  runs: ProfiledRun[];
  /** SegmentedModel.run totals (ms) of the plain runs: ORT profiler off, no engine timestamps. */
  plainTotalMs: number[];
  /** CPU time (user + system, all threads of the process) of each profiled and each plain run, ms. */
  profiledCpuMs: number[];
  plainCpuMs: number[];
}

export interface ProfileRecord {
  tokens: number;
  repeat: number;
  configs: ConfigRuns[];
  /** Per segment index: ONNX Runtime's `model_run` events, the n-th for the segment's n-th call. */
  ort: Map<number, OrtRunEvent[]>;
}

/** CPU time of this process since `from` (process.cpuUsage), ms. */
function cpuMs(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
}

export function variantName(v: VariantSpec | null): string {
  return v ? formatVariant(v) : 'model';
}

export function configLabel(c: ProfileConfig): string {
  return `${variantName(c.variant)} · ${c.backend} · ${c.threads} thread${c.threads > 1 ? 's' : ''}`;
}

/**
 * Runs the model once per configuration to warm up, then `repeat` rounds in which every
 * configuration runs once profiled (ORT profiler on, engine timestamps) and once plain (the engine's
 * own SegmentedModel.run), in alternating order, so drift of the machine and the position in a pair
 * hit every configuration and both modes alike.
 */
export async function profileModel(model: SegmentedModel, ids: number[], options: ProfileOptions): Promise<ProfileRecord> {
  if (!options.configs.length) throw new Error('nothing to profile: give at least one --variant and --backend');
  if (!Number.isInteger(options.repeat) || options.repeat < 1) throw new Error(`--repeat must be a positive integer, got ${options.repeat}`);
  const backends = new Map<BackendId, AttentionBackend>();
  for (const c of options.configs) if (!backends.has(c.backend)) backends.set(c.backend, await getBackend(c.backend));
  const runner = new ProfiledRunner(model);
  // A native backend that cannot load is the wasm one (the factory says so on stderr): label what ran.
  const out: ConfigRuns[] = options.configs.map((asked) => {
    const ran = backends.get(asked.backend)!.id;
    const config = ran === asked.backend ? asked : { ...asked, backend: ran, threads: 1 };
    const label = configLabel(config) + (ran === asked.backend ? '' : ` (${asked.backend} unavailable)`);
    return { config, label, variant: variantName(config.variant), runs: [], plainTotalMs: [], profiledCpuMs: [], plainCpuMs: [] };
  });
  const total = options.configs.length * (options.repeat + 1);
  let done = 0;
  try {
    for (let round = 0; round <= options.repeat; round++) {
      for (const entry of out) {
        const { variant, backend, threads } = entry.config;
        const kernel = backends.get(backend)!;
        // The profiled runner goes first in the warm-up: it builds its sessions before the plain run frees the
        // decoded weights. After that the order alternates (ABBA), so going first or second costs both alike.
        let run: ProfiledRun | undefined;
        let plainMs = NaN;
        let runCpu = NaN;
        let plainCpu = NaN;
        const profiled = async (): Promise<void> => {
          const c0 = process.cpuUsage();
          run = await runner.run(ids, { backend: kernel, variant, threads, headRanges: options.headRanges });
          runCpu = cpuMs(c0);
        };
        const unprofiled = async (): Promise<void> => {
          const c0 = process.cpuUsage();
          plainMs = (await model.run(ids, { kernel, variant, threads, keepInputs: false })).totalMs;
          plainCpu = cpuMs(c0);
        };
        if (round % 2 === 0) {
          await profiled();
          await unprofiled();
        } else {
          await unprofiled();
          await profiled();
        }
        if (round > 0) {
          entry.runs.push(run!);
          entry.plainTotalMs.push(plainMs);
          entry.profiledCpuMs.push(runCpu);
          entry.plainCpuMs.push(plainCpu);
        }
        options.onProgress?.(++done, total);
      }
    }
  } catch (err) {
    await runner.close().catch(() => undefined);
    throw err;
  }
  return { tokens: ids.length, repeat: options.repeat, configs: out, ort: await runner.close() };
}
