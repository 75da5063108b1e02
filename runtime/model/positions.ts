import type { GraphIndex } from './graph';
import { tensorDims } from './onnx/tensor';

const ANCESTRY_STEPS = 24;

/**
 * How many positions the model has, from the graph: the first dim of a position-embedding table (a
 * 2-D initializer gathered by indices that come from position_ids or a Range, not from input_ids or
 * token_type_ids), or of a rotary cos/sin cache gathered the same way. Null when the graph has none
 * (e.g. rotary computed on the fly, which has no fixed limit).
 */
export function maxPositions(g: GraphIndex): number | null {
  let best: number | null = null;
  g.nodes.forEach((node) => {
    if (node.op_type !== 'Gather') return;
    const table = g.initializers.get(node.input?.[0] ?? '');
    if (!table) return;
    const dims = tensorDims(table);
    if (dims.length !== 2) return;
    const roots = ancestry(g, node.input?.[1] ?? '');
    if (roots.has('input_ids') || roots.has('token_type_ids')) return;
    if (!roots.has('position_ids') && !roots.has('Range') && !roots.has('cache_position')) return;
    best = best === null ? dims[0] : Math.min(best, dims[0]);
  });
  return best;
}

/** Graph inputs and op types that a tensor is computed from (bounded walk). */
function ancestry(g: GraphIndex, tensor: string): Set<string> {
  const seen = new Set<string>();
  const out = new Set<string>();
  const stack: [string, number][] = [[tensor, 0]];
  while (stack.length) {
    const [t, depth] = stack.pop()!;
    if (seen.has(t) || depth > ANCESTRY_STEPS) continue;
    seen.add(t);
    const p = g.producerOf(t);
    if (!p) {
      if (!g.initializers.has(t)) out.add(matchInput(t));
      continue;
    }
    out.add(p.op_type ?? '');
    // Shape reads only the dims of its input (e.g. the length of input_ids), not its values.
    if (p.op_type === 'Shape' || p.op_type === 'Size') continue;
    for (const i of p.input ?? []) if (i) stack.push([i, depth + 1]);
  }
  return out;
}

function matchInput(name: string): string {
  if (/input_ids/.test(name)) return 'input_ids';
  if (/token_type/.test(name)) return 'token_type_ids';
  if (/position_ids/.test(name)) return 'position_ids';
  if (/cache_position/.test(name)) return 'cache_position';
  return name;
}
