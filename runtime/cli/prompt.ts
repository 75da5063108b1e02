import { readFileSync } from 'node:fs';
import { ModelError } from '../model/errors';
import { loadTokenizer, tokenizerBeside, type PromptTokenizer } from '../tokenizer/tokenizer';
import { flagString, UsageError, type ParsedArgs } from './args';

/** A prompt token as the CLI reports it; offsets are null when the prompt was given as ids. */
export interface CliToken {
  id: number;
  text: string;
  start: number | null;
  end: number | null;
}

export interface ResolvedPrompt {
  ids: number[];
  tokens: CliToken[];
  tokenizer: PromptTokenizer | null;
}

/** Parses `--ids 1,2,3` (commas and/or spaces). */
export function parseIds(text: string): number[] {
  const parts = text.split(/[\s,]+/).filter((p) => p.length);
  const ids = parts.map(Number);
  const bad = parts.find((p, i) => !Number.isInteger(ids[i]) || ids[i] < 0);
  if (bad !== undefined || !ids.length) throw new UsageError(`--ids must be non-negative integers separated by commas, got "${bad ?? text}"`);
  return ids;
}

/** The tokenizer from --tokenizer, else tokenizer.json beside the model, else null. */
export function resolveTokenizer(args: ParsedArgs, modelPath: string): PromptTokenizer | null {
  const path = flagString(args, 'tokenizer') ?? tokenizerBeside(modelPath);
  return path ? loadTokenizer(path) : null;
}

/** The prompt from --ids, --prompt or --prompt-file (exactly one), or null when none is given. */
export function resolvePrompt(args: ParsedArgs, modelPath: string): ResolvedPrompt | null {
  const given = ['ids', 'prompt', 'prompt-file'].filter((f) => args.flags.has(f));
  if (given.length > 1) throw new UsageError(`give only one of --ids, --prompt, --prompt-file (got ${given.map((g) => `--${g}`).join(', ')})`);
  if (!given.length) return null;
  const tokenizer = resolveTokenizer(args, modelPath);
  const idsText = flagString(args, 'ids');
  if (idsText !== undefined) {
    const ids = parseIds(idsText);
    return { ids, tokenizer, tokens: ids.map((id) => ({ id, text: tokenizer ? tokenizer.tokenText(id) : `#${id}`, start: null, end: null })) };
  }
  const file = flagString(args, 'prompt-file');
  let text = flagString(args, 'prompt') ?? '';
  if (file !== undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new UsageError(`cannot read --prompt-file ${file}`);
    }
  }
  if (!tokenizer) {
    throw new ModelError('tokenizer', `no tokenizer.json beside the model; pass --tokenizer PATH, or give token ids with --ids 1,2,3`);
  }
  const tokens = tokenizer.encode(text);
  if (!tokens.length) throw new UsageError('the prompt is empty; give some text');
  return { ids: tokens.map((t) => t.id), tokens, tokenizer };
}
