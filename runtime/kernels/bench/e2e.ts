/**
 * The end-to-end row of the benchmark: `attnscope inspect`'s work (the model cut at its attention
 * cores, ONNX Runtime running the segments, our native kernels the cores) against the unmodified
 * model run whole in ONNX Runtime, same thread count, on the 12-layer, 12-head, d = 768 benchmark
 * model that scripts/make-bench-model.mjs builds into .cache/bench/.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SegmentedModel } from '../../engine/runner';
import { getBackend } from '../backends';
import { median } from '../../profile/stats';

export interface EndToEnd {
  model: string;
  tokens: number;
  threads: number;
  segmentedMs: number;
  wholeMs: number;
  /** segmentedMs / wholeMs (the target: at most 1.1). */
  ratio: number;
}

export const BENCH_MODEL = join('.cache', 'bench', 'gpt2-12x768.onnx');

/** Null (with a line saying how to get the model) when the benchmark model is not built. */
export async function measureEndToEnd(threads: number, tokens: number, log: (line: string) => void, reps = 3): Promise<EndToEnd | null> {
  if (!existsSync(BENCH_MODEL)) {
    log(`end to end: skipped, ${BENCH_MODEL} missing (build it with node scripts/make-bench-model.mjs)`);
    return null;
  }
  const kernels = await getBackend('native', log);
  if (kernels.id !== 'native') {
    log('end to end: skipped, the native kernels did not load (the engine would run the wasm ones)');
    return null;
  }
  const model = SegmentedModel.open(BENCH_MODEL, { threads });
  const ids = Array.from({ length: tokens }, (_, i) => (i * 7919 + 13) % 50257);
  try {
    await model.runReference(ids);
    await model.run(ids, { backend: 'native', threads, keepInputs: false });
    const whole: number[] = [];
    const segmented: number[] = [];
    for (let r = 0; r < reps; r++) {
      let t0 = performance.now();
      await model.runReference(ids);
      whole.push(performance.now() - t0);
      t0 = performance.now();
      await model.run(ids, { backend: 'native', threads, keepInputs: false });
      segmented.push(performance.now() - t0);
    }
    const segmentedMs = median(segmented);
    const wholeMs = median(whole);
    return { model: BENCH_MODEL, tokens, threads, segmentedMs, wholeMs, ratio: segmentedMs / wholeMs };
  } finally {
    await model.release();
  }
}
