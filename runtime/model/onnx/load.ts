import { readFileSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { ModelError } from '../errors';
import { onnx, type ModelProto } from './proto';
import { resolveExternalData } from './external-data';

/** Largest single .onnx file we decode: protobuf messages cannot exceed 2 GiB. */
export const MAX_MODEL_BYTES = 2 ** 31 - 1;
/** Default-domain (ai.onnx) opsets the engine and onnxruntime-node 1.30 run. */
export const SUPPORTED_OPSETS = { min: 11, max: 24 } as const;

export interface LoadedModel {
  path: string;
  proto: ModelProto;
  /** ai.onnx opset version. */
  opset: number;
  /** Opset of com.microsoft, when imported. */
  msOpset?: number;
  /** True when some initializer lived in an external data file (now read into raw_data). */
  hadExternalData: boolean;
}

export interface LoadOptions {
  /** Override the size limit (tests). */
  maxBytes?: number;
}

/**
 * Reads and decodes an ONNX model with the generated decoder, reads external data files into the
 * initializers, and checks the opset. Throws ModelError ('not-found', 'too-large', 'truncated',
 * 'not-onnx', 'unsupported-opset', 'external-data').
 */
export function loadModel(path: string, options: LoadOptions = {}): LoadedModel {
  const name = basename(path);
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new ModelError('not-found', `model file not found: ${path}; pass --model with the path of an .onnx file`);
  }
  const limit = options.maxBytes ?? MAX_MODEL_BYTES;
  if (size > limit) {
    throw new ModelError('too-large', `${name} is ${formatBytes(size)}, over the ${formatBytes(limit)} limit for one .onnx file; ` +
      're-save it with its weights as external data (onnx.save_model(m, path, save_as_external_data=True)) and load that');
  }
  if (size === 0) throw new ModelError('truncated', `${name} is empty (0 bytes); the file is truncated or was not written completely`);
  const bytes = readFileSync(path);
  const proto = decodeModel(bytes, name);
  ownInitializerData(proto);
  const opsets = proto.opset_import ?? [];
  const main = opsets.find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = Number(main?.version ?? 0);
  if (!main || opset < SUPPORTED_OPSETS.min || opset > SUPPORTED_OPSETS.max) {
    const found = main ? `opset ${opset}` : 'no ai.onnx opset';
    throw new ModelError('unsupported-opset', `${name} uses ${found}; supported are ai.onnx opsets ${SUPPORTED_OPSETS.min}-${SUPPORTED_OPSETS.max}; ` +
      're-export it with torch.onnx.export(..., opset_version=17..23)');
  }
  const ms = opsets.find((o) => o.domain === 'com.microsoft');
  const hadExternalData = resolveExternalData(proto, dirname(path), name);
  return { path, proto, opset, msOpset: ms ? Number(ms.version) : undefined, hadExternalData };
}

/**
 * The decoder's bytes fields (tensor data, string attributes) are views of the file buffer, which
 * would keep the whole file alive as long as any one of them is; copy them so the file buffer is
 * freed and the engine can free weights one by one once ONNX Runtime holds them.
 */
function ownInitializerData(proto: ModelProto): void {
  const visit = (value: unknown): void => {
    if (!value || typeof value !== 'object') return;
    if (Array.isArray(value)) { value.forEach(visit); return; }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const field = record[key];
      if (field instanceof Uint8Array) record[key] = Uint8Array.from(field);
      else if (Array.isArray(field) && field.length && field[0] instanceof Uint8Array) record[key] = field.map((b: Uint8Array) => Uint8Array.from(b));
      else visit(field);
    }
  };
  visit(proto);
}

/** Decodes bytes as ModelProto, telling a truncated ONNX file apart from a file that is not ONNX. */
export function decodeModel(bytes: Uint8Array, name: string): ModelProto {
  let proto: ModelProto;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // ModelProto starts with field 1 (ir_version, varint): tag byte 0x08.
    if (/index out of range/i.test(message) && bytes[0] === 0x08) {
      throw new ModelError('truncated', `${name} is truncated: the ONNX data ends early (${formatBytes(bytes.length)} read); re-download or re-export the model`);
    }
    throw new ModelError('not-onnx', `${name} is not an ONNX model (protobuf decoding failed: ${message}); pass an .onnx file exported by torch.onnx or onnx`);
  }
  const ir = Number(proto.ir_version ?? 0);
  if (!proto.graph || ir <= 0 || !(proto.opset_import?.length)) {
    if (bytes[0] === 0x08 && ir > 0 && ir < 64) {
      throw new ModelError('truncated', `${name} is truncated: it holds an ONNX header but no complete graph; re-download or re-export the model`);
    }
    throw new ModelError('not-onnx', `${name} is not an ONNX model (no graph, IR version or opset found); pass an .onnx file exported by torch.onnx or onnx`);
  }
  if (!(proto.graph.node?.length)) {
    throw new ModelError('truncated', `${name} holds an ONNX graph with no nodes; the file is truncated or empty`);
  }
  return proto;
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}
