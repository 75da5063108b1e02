// Tokenizer loading with @huggingface/tokenizers on a byte-level BPE tokenizer.json built here, and
// the character offsets of each token in the prompt (derived by decoding, the library has none).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizer } from '../../runtime/tokenizer/tokenizer';
import { ModelError } from '../../runtime/model/errors';

/** GPT-2's byte -> printable character map. */
function bytesToUnicode(): string[] {
  const keep = (b: number): boolean => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  let n = 0;
  return Array.from({ length: 256 }, (_, b) => String.fromCodePoint(keep(b) ? b : 256 + n++));
}

function byteLevelBpe(): object {
  const chars = bytesToUnicode();
  const vocab: Record<string, number> = {};
  chars.forEach((c, i) => { vocab[c] = i; });
  const merges = [['Ġ', 'w'], ['Ġw', 'o'], ['Ġwo', 'r'], ['Ġwor', 'l'], ['Ġworl', 'd'], ['H', 'e'], ['He', 'l'], ['Hel', 'l'], ['Hell', 'o']];
  for (const [a, b] of merges) vocab[a + b] = Object.keys(vocab).length;
  const eos = Object.keys(vocab).length;
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0', truncation: null, padding: null, normalizer: null, post_processor: null,
    added_tokens: [{ id: eos, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    pre_tokenizer: byteLevel, decoder: byteLevel,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false,
      vocab, merges: merges.map(([a, b]) => `${a} ${b}`) },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'attnscope-tok-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const path = join(dir, 'tokenizer.json');
writeFileSync(path, JSON.stringify(byteLevelBpe()));

test('tokens map back to the characters of the prompt they cover', () => {
  const tok = loadTokenizer(path);
  const prompt = 'Hello world, héllo 😀 world!';
  const tokens = tok.encode(prompt);
  assert.equal(tokens[0].text, 'Hello');
  assert.deepEqual([tokens[0].start, tokens[0].end], [0, 5]);
  assert.equal(tokens[1].text, ' world');
  assert.deepEqual([tokens[1].start, tokens[1].end], [5, 11]);
  // Contiguous, in order, and together they cover the whole prompt.
  let cursor = 0;
  for (const t of tokens) {
    assert.equal(t.start, cursor, `token ${JSON.stringify(t.text)} starts where the previous ended`);
    assert.ok(t.end >= t.start);
    cursor = t.end;
  }
  assert.equal(cursor, prompt.length);
  assert.equal(tokens.map((t) => prompt.slice(t.start, t.end)).join(''), prompt);
  // The emoji is 4 byte tokens: the last one covers it, the first three cover nothing.
  const emojiAt = prompt.indexOf('😀');
  const covering = tokens.filter((t) => t.end > t.start && t.start <= emojiAt && t.end > emojiAt);
  assert.equal(covering.length, 1);
  assert.equal(prompt.slice(covering[0].start, covering[0].end), '😀');
});

test('a special token covers no characters and keeps its text', () => {
  const tok = loadTokenizer(path);
  const prompt = 'Hello<|endoftext|> world';
  const tokens = tok.encode(prompt);
  const eos = tokens.find((t) => t.text === '<|endoftext|>');
  assert.ok(eos);
  assert.equal(prompt.slice(eos.start, eos.end), '<|endoftext|>');
  assert.equal(tok.tokenText(tokens[0].id), 'Hello');
});

test('a file that is not a tokenizer.json gives a one-line error', () => {
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{ not json');
  assert.throws(() => loadTokenizer(bad), (err: unknown) => err instanceof ModelError && err.code === 'tokenizer' && !err.message.includes('\n'));
});

test('a lower-casing WordPiece tokenizer maps tokens back to the original-case characters', () => {
  const words = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'hello', 'world', 'sink', '##s', 'at', '##ten', '##tion', ',', '!', 'the'];
  const wp = {
    version: '1.0', truncation: null, padding: null,
    added_tokens: [0, 1, 2, 3].map((id) => ({ id, content: words[id], single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing', pair: [],
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(words.map((w, i) => [w, i])) },
  };
  const wpPath = join(dir, 'wordpiece.json');
  writeFileSync(wpPath, JSON.stringify(wp));
  const prompt = 'Hello World, the Sinks attention!';
  const tokens = loadTokenizer(wpPath).encode(prompt);
  assert.deepEqual(tokens.map((t) => t.id), [2, 4, 5, 11, 13, 6, 7, 8, 9, 10, 12, 3]);
  assert.deepEqual(tokens.map((t) => prompt.slice(t.start, t.end).trim()), ['', 'Hello', 'World', ',', 'the', 'Sink', 's', 'at', 'ten', 'tion', '!', '']);
  for (let i = 1; i < tokens.length; i++) assert.ok(tokens[i].start >= tokens[i - 1].end, 'in order, not overlapping');
});
