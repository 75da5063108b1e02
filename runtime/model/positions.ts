import { attrInt, type GraphIndex } from './graph';
import { DataType, type TensorProto } from './onnx/proto';
import { tensorDims, tensorValues } from './onnx/tensor';

const ANCESTRY_STEPS = 24;
const VALUE_FROM_DATA = new Set(['Gather', 'GatherElements', 'GatherND', 'Slice', 'Expand', 'Reshape', 'Unsqueeze', 'Squeeze', 'Tile', 'Transpose']);

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
    const axis = attrInt(node, 'axis', 0);
    const rows = dims[axis < 0 ? axis + 2 : axis];
    best = best === null ? rows : Math.min(best, rows);
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
      const init = g.initializers.get(t);
      if (!init) out.add(matchInput(t));
      else if (isArange(init)) out.add('Range');
      continue;
    }
    out.add(p.op_type ?? '');
    if (p.op_type === 'Constant') {
      const v = g.constant(t);
      if (v && isArangeValues(v)) out.add('Range');
      continue;
    }
    // Shape reads only the dims of its input (e.g. the length of input_ids), not its values.
    if (p.op_type === 'Shape' || p.op_type === 'Size') continue;
    // Values come from the data input of these ops; their other inputs only select or shape them.
    const inputs = VALUE_FROM_DATA.has(p.op_type ?? '') ? (p.input ?? []).slice(0, 1) : p.input ?? [];
    for (const i of inputs) if (i) stack.push([i, depth + 1]);
  }
  return out;
}

/** An integer initializer holding 0, 1, ..., n−1 (a registered position_ids buffer, as BERT exports it). */
function isArange(t: TensorProto): boolean {
  const type = t.data_type ?? 0;
  if (type !== DataType.INT64 && type !== DataType.INT32) return false;
  const n = tensorDims(t).reduce((a, b) => a * b, 1);
  if (n < 2 || n > 1 << 20) return false;
  return isArangeValues(tensorValues(t));
}

function isArangeValues(v: number[]): boolean {
  return v.length > 1 && v.every((x, i) => x === i);
}

function matchInput(name: string): string {
  if (/input_ids/.test(name)) return 'input_ids';
  if (/token_type/.test(name)) return 'token_type_ids';
  if (/position_ids/.test(name)) return 'position_ids';
  if (/cache_position/.test(name)) return 'cache_position';
  return name;
}
