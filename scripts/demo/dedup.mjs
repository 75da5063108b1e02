/**
 * File-level deduplication for the corpus: exact (SHA-256 of the normalised text), loose (the
 * same letters and digits, whatever the spacing, punctuation or case) and near (MinHash over
 * word 5-gram shingles, LSH with 8 bands of 8 rows: a pair with Jaccard similarity 0.9 collides in
 * at least one band with probability 0.99, at 0.8 with 0.77, at 0.5 with only 0.03).
 */
import { createHash } from 'node:crypto';
import { looseKey } from './text.mjs';

const HASHES = 64;
const BANDS = 8;
const ROWS = HASHES / BANDS;

/** 32-bit FNV-1a of a string. */
function fnv1a(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Fixed odd multipliers and offsets for the 64 hash functions (xorshift from a constant seed). */
const mults = new Uint32Array(HASHES);
const adds = new Uint32Array(HASHES);
{
  let x = 0x9e3779b9;
  const next = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
  for (let i = 0; i < HASHES; i++) { mults[i] = next() | 1; adds[i] = next(); }
}

function minhash(text) {
  const words = text.toLowerCase().split(/[^\p{L}\p{N}_]+/u).filter(Boolean);
  const sig = new Uint32Array(HASHES).fill(0xffffffff);
  const n = Math.max(1, words.length - 4);
  for (let i = 0; i < n; i++) {
    const h = fnv1a(words.slice(i, i + 5).join(' '));
    for (let j = 0; j < HASHES; j++) {
      const v = (Math.imul(h, mults[j]) + adds[j]) >>> 0;
      if (v < sig[j]) sig[j] = v;
    }
  }
  return sig;
}

/** Keeps the first of every group of duplicates; `check` says which rule, if any, drops a text. */
export class Deduplicator {
  constructor() {
    this.exact = new Set();
    this.loose = new Set();
    this.bands = new Set();
  }

  /** @returns {'exact' | 'loose' | 'near' | null} why `text` is a duplicate, or null (then it is recorded). */
  check(text) {
    const exact = createHash('sha256').update(text).digest('hex');
    if (this.exact.has(exact)) return 'exact';
    const loose = createHash('sha256').update(looseKey(text)).digest('hex');
    if (this.loose.has(loose)) return 'loose';
    const sig = minhash(text);
    const keys = [];
    for (let b = 0; b < BANDS; b++) {
      keys.push(`${b}:${Array.from(sig.subarray(b * ROWS, (b + 1) * ROWS)).join(',')}`);
    }
    if (keys.some((k) => this.bands.has(k))) return 'near';
    this.exact.add(exact);
    this.loose.add(loose);
    for (const k of keys) this.bands.add(k);
    return null;
  }
}
