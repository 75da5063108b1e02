import { ModelError } from '../model/errors';
import { getBackend as kernelBackend } from '../kernels/backends';
import type { AttentionBackend, BackendId } from '../kernels/types';

export const BACKEND_IDS: readonly BackendId[] = ['js', 'native', 'wasm'];

/** Without --backend: the native kernels (which fall back to wasm with a notice where the addon cannot load). */
export const DEFAULT_BACKEND: BackendId = 'native';

/**
 * The one place the engine gets a kernel backend: 'js' (the TypeScript reference of every variant),
 * 'native' (Node-API addon; falls back to wasm with a notice on stderr) or 'wasm', from the kernels'
 * own factory. A backend that cannot load becomes a one-line ModelError.
 */
export async function getBackend(id: BackendId): Promise<AttentionBackend> {
  if (!BACKEND_IDS.includes(id)) throw new ModelError('backend', `unknown backend ${String(id)}; choose one of ${BACKEND_IDS.join(', ')}`);
  try {
    return await kernelBackend(id, (line) => process.stderr.write(`${line}\n`));
  } catch (err) {
    throw new ModelError('backend', `backend ${id} could not load: ${err instanceof Error ? err.message : String(err)}; run \`npm install\` to build the kernels, or use --backend js`);
  }
}
