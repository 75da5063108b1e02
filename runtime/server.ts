/**
 * The runtime process: serves the engine to the extension host over the typed protocol of
 * runtime/protocol/runtime.ts on the IPC channel it was forked with (`serialization: 'advanced'`).
 * It holds no UI state; if it dies, the extension host reports it and forks a fresh one.
 */
import type { AttentionInput, AttentionResult, BackendId, VariantId } from './kernels/types';
import { softmaxReference } from './kernels/reference/softmax';
import { RpcError } from './protocol/errors';
import { type Channel, type Handlers, RpcPeer } from './protocol/rpc';
import {
  type ExtensionHostEvents, type ExtensionHostMethods, RUNTIME_PROTOCOL_VERSION, type RuntimeEvents, type RuntimeMethods,
  runtimeParamValidators,
} from './protocol/runtime';

type CoreKernel = (input: AttentionInput, captureHeads: number[]) => AttentionResult | Promise<AttentionResult>;

/** The kernels this build can run, by backend and variant. */
const kernels: Partial<Record<BackendId, Partial<Record<VariantId, CoreKernel>>>> = {
  js: { softmax: softmaxReference },
};

const handlers: Handlers<RuntimeMethods> = {
  hello: () => ({
    protocolVersion: RUNTIME_PROTOCOL_VERSION,
    pid: process.pid,
    node: process.versions.node,
    kernels: Object.entries(kernels).map(([backend, byVariant]) => ({
      backend: backend as BackendId, variants: Object.keys(byVariant ?? {}) as VariantId[],
    })),
  }),
  runCore: async ({ input, variant, backend, captureHeads }) => {
    const kernel = kernels[backend]?.[variant.id];
    if (!kernel) {
      const have = Object.keys(kernels[backend] ?? {});
      throw new RpcError('unsupported', `variant ${variant.id} is not available on the ${backend} backend here (it has: ${have.join(', ') || 'nothing'})`);
    }
    return kernel(input, captureHeads);
  },
};

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
