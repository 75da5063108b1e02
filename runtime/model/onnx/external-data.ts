import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import { ModelError } from '../errors';
import { onnx, type GraphProto, type ModelProto, type TensorProto } from './proto';

/**
 * Reads every initializer stored in an external data file (location/offset/length, relative to the
 * model's folder) into its raw_data and marks it DEFAULT, so segments built from the model are
 * self-contained. Returns whether any external data was found.
 */
export function resolveExternalData(model: ModelProto, modelDir: string, modelName: string): boolean {
  let found = false;
  const visit = (graph: GraphProto | null | undefined): void => {
    if (!graph) return;
    for (const t of graph.initializer ?? []) if (readExternal(t, modelDir, modelName)) found = true;
    for (const node of graph.node ?? []) {
      for (const a of node.attribute ?? []) {
        if (a.t && readExternal(a.t, modelDir, modelName)) found = true;
        visit(a.g);
        for (const g of a.graphs ?? []) visit(g);
      }
    }
  };
  visit(model.graph);
  return found;
}

function readExternal(t: TensorProto, modelDir: string, modelName: string): boolean {
  if (t.data_location !== onnx.TensorProto.DataLocation.EXTERNAL) return false;
  const entries = new Map((t.external_data ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (!location || isAbsolute(location) || normalize(location).startsWith('..')) {
    throw new ModelError('external-data', `${modelName}: initializer ${t.name} has external data with an invalid location "${location ?? ''}"; it must be a file name relative to the model's folder`);
  }
  const file = join(modelDir, location);
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new ModelError('external-data', `${modelName}: external data file ${location} (for initializer ${t.name}) not found beside the model; keep the .onnx and its data file in one folder`);
  }
  const offset = Number(entries.get('offset') ?? 0);
  const length = entries.has('length') ? Number(entries.get('length')) : size - offset;
  if (offset + length > size) {
    throw new ModelError('external-data', `${modelName}: external data file ${location} is truncated (initializer ${t.name} needs bytes ${offset}..${offset + length}, file has ${size})`);
  }
  t.raw_data = readRange(file, offset, length);
  t.data_location = onnx.TensorProto.DataLocation.DEFAULT;
  t.external_data = [];
  return true;
}

/** Reads `length` bytes at `offset` from a file without loading all of it. */
export function readRange(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const out = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, out, done, length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    if (done < length) throw new Error(`only ${done} of ${length} bytes`);
    return out;
  } finally {
    closeSync(fd);
  }
}

