import type { AttentionBackend, BackendId, VariantId } from '../kernels/types';
import type { AsyncCoreComputer } from './drift/liveHeadDrift';
import type { CoreComputer } from './trace';
import type { StreamingWindow } from './stream/streamingCache';

/**
 * A core computer (e.g. the I-ViT integer path) as a kernel backend the engine can run every core
 * with (RunOptions.kernel). It stands in for softmax attention, so it accepts the softmax variant
 * only; `id` is the kernel backend it computes on (js for the TypeScript references).
 */
export function computerBackend(compute: CoreComputer | AsyncCoreComputer, id: BackendId = 'js'): AttentionBackend {
  return {
    id,
    variants: ['softmax'],
    async run(request) {
      if (request.variant.id !== 'softmax') throw new Error(`quantised attention replaces softmax attention, not ${request.variant.id}; run it on a softmax model`);
      return compute(request.input, request.captureHeads ?? [], request.threads);
    },
  };
}

/**
 * Wraps a backend so every core sees only the StartRecent cache of spec §6.1 (the first `sinks` keys
 * plus the `window` most recent), through the kernels' own streaming mask.
 */
export function streamingBackend(inner: AttentionBackend, window: StreamingWindow): AttentionBackend {
  return {
    id: inner.id,
    variants: inner.variants as readonly VariantId[],
    run(request) {
      const { input } = request;
      return inner.run({ ...request, input: { ...input, mask: { ...input.mask, streaming: { sinks: window.sinks, window: window.window } } } });
    },
  };
}
