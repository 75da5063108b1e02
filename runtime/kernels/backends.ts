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

const cache = new Map<BackendId, Promise<AttentionBackend>>();

const BACKEND_IDS: readonly BackendId[] = ['js', 'native', 'wasm'];

export async function getBackend(id: BackendId, onNotice: (line: string) => void = (l) => console.warn(l)): Promise<AttentionBackend> {
  if (!BACKEND_IDS.includes(id)) throw new Error(`unknown backend "${id}"; backends: ${BACKEND_IDS.join(', ')}`);
  let made = cache.get(id);
  if (!made) {
    made = create(id, onNotice);
    cache.set(id, made);
    made.catch(() => cache.delete(id));
  }
  return made;
}

async function create(id: BackendId, onNotice: (line: string) => void): Promise<AttentionBackend> {
  switch (id) {
    case 'js':
      return referenceBackend;
    case 'wasm':
      return wasmBackend(await loadWasmKernels());
    case 'native':
      try {
        return nativeBackend();
      } catch (e) {
        onNotice(`attnscope: native kernels unavailable (${(e as Error).message}); using the wasm kernels`);
        return getBackend('wasm', onNotice);
      }
  }
}
