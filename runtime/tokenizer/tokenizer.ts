import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelError } from '../model/errors';
import { alignTokens } from './offsets';

/** A prompt token: its id, its display text, and the characters [start, end) of the prompt it covers. */
export interface PromptToken {
  id: number;
  text: string;
  start: number;
  end: number;
}

export interface PromptTokenizer {
  readonly path: string;
  /** Tokens of a prompt with character offsets into it (special tokens cover no characters). */
  encode(prompt: string): PromptToken[];
  /** Display text of one token id. */
  tokenText(id: number): string;
}

/** tokenizer.json beside the model, if there is one. */
export function tokenizerBeside(modelPath: string): string | null {
  const p = join(dirname(modelPath), 'tokenizer.json');
  return existsSync(p) ? p : null;
}

/** Loads a Hugging Face tokenizer.json (with tokenizer_config.json beside it when present). */
export function loadTokenizer(path: string): PromptTokenizer {
  let json: object;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as object;
  } catch (err) {
    throw new ModelError('tokenizer', `cannot read tokenizer ${path}: ${err instanceof Error ? err.message : String(err)}; pass --tokenizer with a Hugging Face tokenizer.json`);
  }
  const configPath = join(dirname(path), 'tokenizer_config.json');
  const config = existsSync(configPath) ? (JSON.parse(readFileSync(configPath, 'utf8')) as object) : {};
  let tok: Tokenizer;
  try {
    tok = new Tokenizer(json, config);
  } catch (err) {
    throw new ModelError('tokenizer', `${path} is not a tokenizer.json the tokenizer library can load: ${err instanceof Error ? err.message : String(err)}`);
  }
  const decode = (ids: number[]): string => (ids.length ? tok.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false }) : '');
  return {
    path,
    encode(prompt: string): PromptToken[] {
      const ids = tok.encode(prompt).ids.map(Number);
      return alignTokens(prompt, ids, decode);
    },
    tokenText: (id: number) => decode([id]),
  };
}
