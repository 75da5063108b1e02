"""Tokenizer and token streams for the demo models (runs on the GPU machine, which has `tokenizers`).

1. Trains a byte-level BPE tokenizer on the training split (or reuses --tokenizer if it exists),
   with <|endoftext|> (id 0) as BOS: the post-processor puts it before every encoded text, so a
   prompt the extension tokenizes starts the way every training sequence starts.
2. Encodes both splits into uint16 streams, each document preceded by <|endoftext|>.
3. Writes the held-out evaluation file: 128 sequences (~96 tokens of text from a line start past
   the first third of a document, so not a licence header, cut at a line or word break; >= 64
   tokens with BOS; prose and code documents alternate) and one passage of >= 1,024 tokens, all
   from validation documents. Each row: kind, genre, src, text, ids (BOS included).

Usage: python3 prepare.py --corpus .cache/corpus --work DIR --tokenizer media/models/tokenizer.json
       [--vocab 4096] [--heldout OUT.jsonl]
"""
import argparse
import json
import lzma
import os
import sys
import time

import numpy as np

BOS = "<|endoftext|>"


def read_docs(path):
    with lzma.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def train_tokenizer(texts, vocab):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab,
        min_frequency=2,
        special_tokens=[BOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer, length=len(texts))
    tok.post_processor = processors.TemplateProcessing(single=f"{BOS} $A", special_tokens=[(BOS, 0)])
    return tok


def encode_stream(tok, texts):
    bos = tok.token_to_id(BOS)
    parts = []
    for enc in tok.encode_batch(texts, add_special_tokens=False):
        parts.append(np.array([bos] + enc.ids, dtype=np.uint16))
    return np.concatenate(parts)


def cut_prefix(tok, text, target):
    """A prefix of `text` of about `target` tokens, cut at the last newline (or space) before."""
    enc = tok.encode(text, add_special_tokens=False)
    if len(enc.ids) < target + 16:
        return None
    end = enc.offsets[target - 1][1]
    for stop in ("\n", " "):
        cut = text.rfind(stop, 0, end + 1)
        if cut > 0 and len(tok.encode(text[:cut], add_special_tokens=False).ids) >= target * 3 // 4:
            return text[:cut].rstrip()
    return text[:end]


CODE_SUFFIXES = (".js", ".ts", ".mjs", ".cjs", ".tsx", ".jsx", ".mts", ".cts", ".vue", ".svelte")


def middle(text):
    """The text from the first line break after its first third: skips licence headers."""
    start = text.find("\n", len(text) // 3) + 1
    return text[start:] if start > 0 else text


def heldout(tok, val_docs, n_seq=128, seq_tokens=96, passage_tokens=1200):
    """Held-out sequences alternating prose and code documents, then one long prose passage."""
    code = [d for d in val_docs if d["src"].endswith(CODE_SUFFIXES)]
    prose = [d for d in val_docs if not d["src"].endswith(CODE_SUFFIXES)]
    order = [d for pair in zip(prose, code) for d in pair] + prose[len(code):] + code[len(prose):]
    rows, seen = [], set()
    for doc in order:
        if len(rows) >= n_seq:
            break
        text = cut_prefix(tok, middle(doc["text"]), seq_tokens)
        if text is None or text in seen:
            continue
        ids = tok.encode(text).ids
        if len(ids) >= 65:  # BOS + 64
            seen.add(text)
            kind = "code" if doc["src"].endswith(CODE_SUFFIXES) else "prose"
            rows.append({"kind": "sequence", "genre": kind, "src": doc["src"], "text": text, "ids": ids})
    # The streaming-test passage: the longest prose document of the validation split.
    for doc in sorted(prose, key=lambda d: -len(d["text"])):
        text = cut_prefix(tok, doc["text"], passage_tokens)
        if text is not None and len(tok.encode(text).ids) >= 1025:
            rows.append({"kind": "passage", "genre": "prose", "src": doc["src"], "text": text, "ids": tok.encode(text).ids})
            break
    if sum(r["kind"] == "sequence" for r in rows) < 100 or rows[-1]["kind"] != "passage":
        sys.exit("prepare: the validation split is too small for 100 held-out sequences and a passage")
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--tokenizer", required=True, help="tokenizer.json: reused if it exists, else trained and written")
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--heldout", required=True)
    args = ap.parse_args()
    from tokenizers import Tokenizer

    t0 = time.time()
    train_docs = read_docs(os.path.join(args.corpus, "train.jsonl.xz"))
    val_docs = read_docs(os.path.join(args.corpus, "val.jsonl.xz"))
    train_texts = [d["text"] for d in train_docs]
    if os.path.exists(args.tokenizer):
        tok = Tokenizer.from_file(args.tokenizer)
        trained = False
    else:
        tok = train_tokenizer(train_texts, args.vocab)
        tok.save(args.tokenizer)
        trained = True
    t1 = time.time()
    os.makedirs(args.work, exist_ok=True)
    train = encode_stream(tok, train_texts)
    val = encode_stream(tok, [d["text"] for d in val_docs])
    np.save(os.path.join(args.work, "train.npy"), train)
    np.save(os.path.join(args.work, "val.npy"), val)
    rows = heldout(tok, val_docs)
    with open(args.heldout, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    text_bytes = sum(len(t.encode("utf-8")) for t in train_texts)
    info = {
        "vocab": tok.get_vocab_size(),
        "tokenizer_trained": trained,
        "tokenizer_seconds": round(t1 - t0, 1),
        "encode_seconds": round(time.time() - t1, 1),
        "train_documents": len(train_docs),
        "val_documents": len(val_docs),
        "train_tokens": int(train.size),
        "val_tokens": int(val.size),
        "train_text_bytes": text_bytes,
        "bytes_per_token": round(text_bytes / train.size, 3),
        "heldout_sequences": sum(r["kind"] == "sequence" for r in rows),
        "heldout_passage_tokens": len(rows[-1]["ids"]),
    }
    with open(os.path.join(args.work, "prepare.json"), "w") as f:
        json.dump(info, f, indent=2)
    print("prepare:", json.dumps(info), flush=True)


if __name__ == "__main__":
    main()
