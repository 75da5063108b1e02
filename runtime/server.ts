/**
 * The runtime process: serves the engine to the extension host over the typed protocol of
 * runtime/protocol/runtime.ts on the IPC channel it was forked with (`serialization: 'advanced'`).
 * It holds no UI state; if it dies, the extension host reports it and forks a fresh one.
 */
import type { AttentionBackend, VariantSpec } from './kernels/types';
import { referenceBackend, resolveVariant } from './kernels/variants';
import { RpcError } from './protocol/errors';
import { type Channel, type Handlers, RpcPeer } from './protocol/rpc';
import {
  type ExtensionHostEvents, type ExtensionHostMethods, RUNTIME_PROTOCOL_VERSION, type RuntimeEvents, type RuntimeMethods,
  runtimeParamValidators,
} from './protocol/runtime';

/** The variant with its params checked and defaults filled, or a bad-request error. */
function checkedVariant(variant: VariantSpec): VariantSpec {
  try {
    return resolveVariant(variant);
  } catch (e) {
    throw new RpcError('bad-request', e instanceof Error ? e.message : String(e));
  }
}

/** The kernel backends this build can run. */
const backends: AttentionBackend[] = [referenceBackend];

const handlers: Handlers<RuntimeMethods> = {
  hello: () => ({
    protocolVersion: RUNTIME_PROTOCOL_VERSION,
    pid: process.pid,
    node: process.versions.node,
    kernels: backends.map((b) => ({ backend: b.id, variants: [...b.variants] })),
  }),
  runCore: ({ input, variant, backend, captureHeads }) => {
    const kernel = backends.find((b) => b.id === backend);
    if (!kernel || !kernel.variants.includes(variant.id)) {
      const have = backends.filter((b) => b.variants.includes(variant.id)).map((b) => b.id);
      throw new RpcError('unsupported', `variant ${variant.id} is not available on the ${backend} backend in this runtime (it is on: ${have.join(', ') || 'none'})`);
    }
    return kernel.run({ input, variant: checkedVariant(variant), captureHeads });
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
