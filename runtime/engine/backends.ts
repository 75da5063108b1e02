import { ModelError } from '../model/errors';
import { referenceBackend } from '../kernels/variants';
import type { AttentionBackend, BackendId } from '../kernels/types';

export const BACKEND_IDS: readonly BackendId[] = ['js', 'native', 'wasm'];

/**
 * The one place the engine gets a kernel backend. 'js' is the TypeScript reference of every variant;
 * 'native' and 'wasm' come from the kernels package once they are built.
 */
export async function getBackend(id: BackendId): Promise<AttentionBackend> {
  if (id === 'js') return referenceBackend;
  if (id === 'native' || id === 'wasm') {
    throw new ModelError('backend', `backend ${id} is not available in this build yet; use --backend js`);
  }
  throw new ModelError('backend', `unknown backend ${String(id)}; choose one of ${BACKEND_IDS.join(', ')}`);
}
