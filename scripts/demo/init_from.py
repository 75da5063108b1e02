"""Starts a demo model from an exported one: rebuilds the PyTorch weights of an
attnscope-demo-NORMALIZER.onnx file (export.py's form) and extends its learned positions.

The TorchScript export keeps the names of the biases, LayerNorm weights and the position table
(lm.blocks.0.attn.qkv.bias, lm.wpe.weight, lm.ln_f.weight, ...); the Linear weights appear
transposed ([in, out]) as onnx::MatMul_* initializers, found here by the MatMul node that reads
them (/blocks.I/attn/qkv/MatMul, .../attn/proj/MatMul, /blocks.I/up/MatMul, /blocks.I/down/MatMul);
embed_t [d_model, vocab] is the tied embedding, transposed.

Position extension (train.py --init-from with --ctx above the file's positions): rows 0..n−1 are
kept; row p ≥ n is a copy of row n/2 + (p − n) mod (n/2), i.e. the second half of the table tiled
(for n = 256: rows 128..255 repeated). Those rows are positions the model has trained on with
long left contexts; position 0, where every sequence's <|endoftext|> sits, stays unique.

Usage (a preflight on the device before training; CPU, seconds):
  python3 init_from.py --check DIR --heldout heldout.jsonl [--ctx 1024]
rebuilds attnscope-demo-{softmax,sigmoid}.onnx from DIR, checks that PyTorch reproduces ONNX Runtime's
logits on held-out inputs (max |Δlogit| ≤ 1e-3, else exit 1 with a message), that the extended
model gives the same logits on them (≤ 1e-5), and prints Sink₁^0.3 of each rebuilt model (sink.py).
"""
import argparse
import collections
import hashlib
import os
import re

import numpy as np
import torch

from model import Config, DemoLM

MAX_ABS_LOGIT = 1e-3  # export.py's bound for ONNX Runtime against PyTorch
LINEARS = {"attn/qkv": "attn.qkv", "attn/proj": "attn.proj", "up": "up", "down": "down"}


def onnx_path(directory, normalizer):
    return os.path.join(directory, f"attnscope-demo-{normalizer}.onnx")


def read_onnx(path, normalizer, heads):
    """(Config, state_dict) of the DemoLM that export.py wrote to `path`, at the file's positions."""
    import onnx
    from onnx import numpy_helper

    if not os.path.exists(path):
        raise SystemExit(f"init_from: {path} not found; --init-from wants a folder with attnscope-demo-{normalizer}.onnx")
    proto = onnx.load(path)
    g = proto.graph
    init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    ops = collections.Counter(n.op_type for n in g.node)
    found = {"Softmax": ops["Softmax"], "Sigmoid": ops["Sigmoid"]}
    want = "Softmax" if normalizer == "softmax" else "Sigmoid"
    if found[want] == 0 or sum(found.values()) != found[want]:
        raise SystemExit(f"init_from: {os.path.basename(path)} has {found} normalizer nodes, not a {normalizer} model")
    state = {}
    pattern = re.compile(r"^/blocks\.(\d+)/(attn/qkv|attn/proj|up|down)/MatMul$")
    for n in g.node:
        if n.op_type != "MatMul":
            continue
        m = pattern.match(n.name) or pattern.match(n.output[0].removesuffix("_output_0"))
        if m and n.input[1] in init:
            key = f"blocks.{m.group(1)}.{LINEARS[m.group(2)]}.weight"
            if key in state:
                raise SystemExit(f"init_from: two MatMul nodes give {key} in {os.path.basename(path)}")
            state[key] = init[n.input[1]].T.copy()
    for name, value in init.items():
        if name.startswith("lm."):
            state[name[3:]] = value
    if "embed_t" not in init:
        raise SystemExit(f"init_from: {os.path.basename(path)} has no embed_t initializer; not an export.py file")
    state["wte.weight"] = init["embed_t"].T.copy()
    d_model, vocab = init["embed_t"].shape
    layers = 1 + max(int(k.split(".")[1]) for k in state if k.startswith("blocks."))
    cfg = Config(vocab=vocab, ctx=state["wpe.weight"].shape[0], d_model=d_model, layers=layers, heads=heads,
                 ffn=state["blocks.0.up.weight"].shape[0], normalizer=normalizer, logit_offset=0.0)
    expected = DemoLM(cfg).state_dict()
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    if missing or extra:
        raise SystemExit(f"init_from: {os.path.basename(path)} does not map onto the demo model: missing {missing}, unexpected {extra}")
    bad = [k for k in expected if tuple(expected[k].shape) != state[k].shape]
    if bad:
        raise SystemExit(f"init_from: shapes differ for {[(k, tuple(expected[k].shape), state[k].shape) for k in bad]}")
    return cfg, {k: torch.from_numpy(np.array(state[k], dtype=np.float32, copy=True)) for k in expected}


def extend_positions(wpe, ctx):
    """The position table grown to ctx rows: rows 0..n−1 kept, the rest tiles rows n/2..n−1."""
    n = wpe.shape[0]
    if ctx <= n:
        return wpe[:ctx].clone()
    half = n // 2
    rows = torch.arange(n, ctx)
    source = half + (rows - n) % (n - half)
    return torch.cat([wpe, wpe[source]], dim=0)


def load(directory, normalizer, heads, ctx):
    """(Config at ctx positions, state_dict, provenance) of the model in DIR, positions extended."""
    path = onnx_path(directory, normalizer)
    cfg, state = read_onnx(path, normalizer, heads)
    positions = cfg.ctx
    state["wpe.weight"] = extend_positions(state["wpe.weight"], ctx)
    cfg.ctx = ctx
    info = {
        "file": os.path.basename(path),
        "sha256": hashlib.sha256(open(path, "rb").read()).hexdigest(),
        "positions_from": positions,
        "positions_to": ctx,
        "new_rows": f"rows {positions}..{ctx - 1} copy rows {positions // 2}..{positions - 1}, tiled" if ctx > positions else "none",
    }
    return cfg, state, info


def check(directory, heldout, heads, ctx):
    import json

    import onnxruntime as ort

    from sink import heldout_sequences, sink_rate

    rows = [json.loads(line) for line in open(heldout, encoding="utf-8")]
    passage = next(r["ids"] for r in rows if r["kind"] == "passage")
    for normalizer in ("softmax", "sigmoid"):
        path = onnx_path(directory, normalizer)
        cfg, state = read_onnx(path, normalizer, heads)
        probes = [rows[0]["ids"][:1], rows[0]["ids"], rows[1]["ids"], passage[:cfg.ctx]]
        model = DemoLM(cfg)
        model.load_state_dict(state)
        model.eval()
        big_cfg, big_state, info = load(directory, normalizer, heads, ctx)
        big = DemoLM(big_cfg)
        big.load_state_dict(big_state)
        big.eval()
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        worst, worst_big = 0.0, 0.0
        for ids in probes:
            x = torch.tensor([ids], dtype=torch.long)
            with torch.no_grad():
                ref, _ = model(x)
                ext, _ = big(x)
            got = session.run(["logits"], {"input_ids": x.numpy()})[0]
            worst = max(worst, float(np.abs(got - ref.numpy()).max()))
            worst_big = max(worst_big, float((ext - ref).abs().max()))
        if worst > MAX_ABS_LOGIT or worst_big > 1e-5:
            raise SystemExit(f"init_from: the model rebuilt from {info['file']} differs from ONNX Runtime by {worst:.3g} "
                             f"(extended: {worst_big:.3g} from the rebuilt one) max |Δlogit| at lengths "
                             f"{[len(p) for p in probes]}; the weight mapping is wrong, not training")
        sink = sink_rate(model, heldout_sequences(heldout), "cpu")
        print(f"init_from check {normalizer}: {info['file']} rebuilt, ORT vs torch max |Δlogit| {worst:.2e} at lengths "
              f"{[len(p) for p in probes]}; extended to {ctx} positions: identical ({info['new_rows']}); "
              f"Sink₁^0.3 {sink['sink1_pct']}%", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", required=True, metavar="DIR", help="folder with attnscope-demo-{softmax,sigmoid}.onnx")
    ap.add_argument("--heldout", required=True)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--ctx", type=int, default=1024)
    args = ap.parse_args()
    check(args.check, args.heldout, args.heads, args.ctx)


if __name__ == "__main__":
    main()
