import { existsSync, readFileSync } from 'node:fs';
import { loadTokenizer, tokenizerBeside } from '../tokenizer/tokenizer';
import type { ParsedArgs } from './analysisArgs';

/** A prompt as token ids, with each token's display text where a tokenizer is known. */
export interface Prompt {
  ids: number[];
  tokens?: string[];
}

/** Turns text into ids and ids into display text. */
export interface TextCodec {
  encode(text: string): number[];
  tokenText(id: number): string;
}

/** The tokenizer for a model (the engine's loader): --tokenizer PATH, else tokenizer.json beside the model, else null. */
export function loadCodec(args: ParsedArgs, modelPath: string): TextCodec | null {
  const explicit = args.get('tokenizer');
  if (explicit !== undefined && !existsSync(explicit)) throw new Error(`tokenizer ${explicit} does not exist; pass the path of a Hugging Face tokenizer.json`);
  const path = explicit ?? tokenizerBeside(modelPath);
  if (!path) return null;
  const tok = loadTokenizer(path);
  return { encode: (text) => tok.encode(text).map((t) => t.id), tokenText: (id) => tok.tokenText(id) };
}

/** The prompt of --ids LIST, --prompt TEXT or --prompt-file PATH (text needs a tokenizer). */
export function resolvePrompt(args: ParsedArgs, codec: TextCodec | null, command: string): Prompt {
  const sources = ['ids', 'prompt', 'prompt-file'].filter((n) => args.has(n));
  if (sources.length !== 1) throw new Error(`attnscope ${command}: give exactly one of --ids 1,2,3, --prompt TEXT or --prompt-file PATH`);
  if (args.has('ids')) {
    const text = args.get('ids') ?? '';
    const ids = text.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
    if (!ids.length || ids.some((x) => !Number.isInteger(x) || x < 0)) throw new Error(`attnscope ${command}: --ids must be comma-separated non-negative integers, got "${text}"`);
    return { ids, tokens: codec ? ids.map((id) => codec.tokenText(id)) : undefined };
  }
  let text = args.get('prompt') ?? '';
  const file = args.get('prompt-file');
  if (file !== undefined) {
    if (!existsSync(file)) throw new Error(`attnscope ${command}: prompt file ${file} does not exist`);
    text = readFileSync(file, 'utf8');
  }
  if (!codec) throw new Error(`attnscope ${command}: a text prompt needs a tokenizer; put tokenizer.json beside the model, pass --tokenizer PATH, or give --ids`);
  const ids = codec.encode(text);
  if (!ids.length) throw new Error(`attnscope ${command}: the prompt encodes to no tokens; give some text`);
  return { ids, tokens: ids.map((id) => codec.tokenText(id)) };
}

/**
 * Token-id sequences of a JSONL dataset: each line is {"ids": [...]} or {"text": "..."} (text needs a
 * tokenizer). Blank lines are skipped; a malformed line is an error that names it.
 */
export function readDataset(path: string, codec: TextCodec | null): number[][] {
  if (!existsSync(path)) throw new Error(`dataset ${path} does not exist; pass a JSONL file with one {"text": …} or {"ids": […]} per line`);
  const out: number[][] = [];
  readFileSync(path, 'utf8').split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let row: { ids?: unknown; text?: unknown };
    try {
      row = JSON.parse(line) as { ids?: unknown; text?: unknown };
    } catch {
      throw new Error(`dataset ${path} line ${i + 1} is not JSON; each line must be {"text": …} or {"ids": […]}`);
    }
    if (Array.isArray(row.ids) && row.ids.every((x) => Number.isInteger(x) && x >= 0)) out.push(row.ids as number[]);
    else if (typeof row.text === 'string') {
      if (!codec) throw new Error(`dataset ${path} holds text but the model has no tokenizer; put tokenizer.json beside it or pass --tokenizer`);
      out.push(codec.encode(row.text));
    } else throw new Error(`dataset ${path} line ${i + 1} has neither "ids" (non-negative integers) nor "text"`);
  });
  return out;
}
