import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const DEMO_FILE = join('media', 'models', 'attnscope-demo-softmax.onnx');

/**
 * The bundled softmax demo model, which every command uses without --model (its tokenizer.json lies
 * beside it). Found by walking up from this file, so it works from the source tree and from the
 * bundle in dist/. Null when the checkout has no demo model.
 */
export function demoModelPath(): string | null {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const path = join(dir, DEMO_FILE);
    if (existsSync(path)) return path;
    if (dirname(dir) === dir) return null;
  }
}

/** --model when given, else the demo model; a one-line error when neither exists. */
export function modelOrDemo(given: string | undefined, command: string): string {
  if (given !== undefined) return given;
  const demo = demoModelPath();
  if (!demo) throw new Error(`attnscope ${command}: --model PATH is required (the bundled demo model ${DEMO_FILE} is not installed)`);
  return demo;
}
