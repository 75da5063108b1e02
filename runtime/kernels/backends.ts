/**
 * The attention backends by id. `native` falls back to `wasm` with a one-line notice when the
 * addon cannot load (unsupported platform, not built); the notice goes to `onNotice` (default
 * console.warn). Backends are created once and shared.
 */
import { nativeBackend } from './native/backend';
import type { AttentionBackend, BackendId } from './types';
import { referenceBackend } from './variants';
import { wasmBackend } from './wasm/backend';
import { loadWasmKernels } from './wasm/node';
import { loadOnce } from './loadOnce';

export const BACKEND_IDS: readonly BackendId[] = ['js', 'native', 'wasm'];

/** How each compiled backend is made (replaceable in tests). */
export interface BackendLoaders {
  native(): AttentionBackend;
  wasm(): Promise<AttentionBackend>;
}

const defaultLoaders: BackendLoaders = {
  native: () => nativeBackend(),
  wasm: async () => wasmBackend(await loadWasmKernels()),
};

const backends = loadOnce<BackendId, AttentionBackend>();

export async function getBackend(id: BackendId, onNotice: (line: string) => void = (l) => console.warn(l)): Promise<AttentionBackend> {
  if (!BACKEND_IDS.includes(id)) throw new Error(`unknown backend "${id}"; backends: ${BACKEND_IDS.join(', ')}`);
  return backends(id, () => createBackend(id, onNotice));
}

/** Makes a backend without the cache: `native` that cannot load becomes `wasm` plus one notice. */
export async function createBackend(id: BackendId, onNotice: (line: string) => void, loaders: BackendLoaders = defaultLoaders): Promise<AttentionBackend> {
  switch (id) {
    case 'js':
      return referenceBackend;
    case 'wasm':
      return loaders.wasm();
    case 'native':
      try {
        return loaders.native();
      } catch (e) {
        onNotice(`attnscope: native kernels unavailable (${(e as Error).message}); using the wasm kernels`);
        return loaders.wasm();
      }
    default:
      throw new Error(`unknown backend "${String(id)}"; backends: ${BACKEND_IDS.join(', ')}`);
  }
}
