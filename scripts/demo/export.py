"""Exports a trained demo model to ONNX (TorchScript exporter, opset 17) and checks the file.

input_ids [1, T] int64 (T dynamic, 1..ctx) → logits [1, T, vocab] float32. Each attention core is
MatMul(Q, Kᵀ) → Mul(1/√d_h) → Add(causal mask) → Softmax|Sigmoid → MatMul(·, V); the position
rows are a Gather by Range(0, T) (positions.py).
Checks: one normalizer node per layer, file size, ONNX Runtime (CPU) against PyTorch (fp32) on
held-out sequences of several lengths. Adds the results to WORK/NORMALIZER.json under "export".

Usage: python3 export.py --tag NAME --work DIR --heldout heldout.jsonl --out FILE.onnx
       python3 export.py --untrained softmax|sigmoid [--ctx 1024] --heldout heldout.jsonl --out FILE.onnx
The second form exports a freshly initialised model with the same checks and writes no log: the
device pipeline runs it before training, so an export problem costs seconds, not a training run.
"""
import argparse
import collections
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
import torch

from model import Config, DemoLM, ExportWrapper
from positions import gather_positions

MAX_BYTES = 15_500_000  # the device returns files of at most 16 MiB


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tag", help="the run's name in WORK (train.py --tag)")
    ap.add_argument("--work")
    ap.add_argument("--untrained", choices=["softmax", "sigmoid"], help="export a fresh model of this normalizer (preflight)")
    ap.add_argument("--ctx", type=int, default=1024, help="positions of the --untrained model")
    ap.add_argument("--heldout", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    if args.untrained:
        torch.manual_seed(1234)
        ckpt = {"config": Config(normalizer=args.untrained, heads=8, ctx=args.ctx).as_dict(), "state": None}
        ckpt["state"] = DemoLM(Config(**ckpt["config"])).state_dict()
    elif args.tag and args.work:
        ckpt = torch.load(os.path.join(args.work, f"{args.tag}.pt"), map_location="cpu")
    else:
        raise SystemExit("export: give --tag and --work (a trained run) or --untrained softmax|sigmoid")
    model = DemoLM(Config(**ckpt["config"]))
    model.load_state_dict(ckpt["state"])
    model.eval()
    wrapper = ExportWrapper(model).eval()
    wrapper.lm.wte = None  # held once, transposed, by the wrapper
    cfg = model.cfg
    example = torch.zeros(1, 16, dtype=torch.long)
    torch.onnx.export(
        wrapper, (example,), args.out, dynamo=False, opset_version=17,
        input_names=["input_ids"], output_names=["logits"],
        dynamic_axes={"input_ids": {1: "sequence"}, "logits": {1: "sequence"}},
        do_constant_folding=True,
    )
    proto = gather_positions(onnx.load(args.out))
    onnx.save(proto, args.out)
    ops = collections.Counter(n.op_type for n in proto.graph.node)
    normalizer_op = "Softmax" if cfg.normalizer == "softmax" else "Sigmoid"
    if ops[normalizer_op] != cfg.layers:
        raise SystemExit(f"export: expected {cfg.layers} {normalizer_op} nodes, found {ops[normalizer_op]}: {dict(ops)}")
    size = os.path.getsize(args.out)
    if size > MAX_BYTES:
        raise SystemExit(f"export: {args.out} is {size} bytes, over the {MAX_BYTES}-byte limit; shrink the model")

    session = ort.InferenceSession(args.out, providers=["CPUExecutionProvider"])
    rows = [json.loads(line) for line in open(args.heldout, encoding="utf-8")]
    passage = next(r["ids"] for r in rows if r["kind"] == "passage")
    probes = [rows[0]["ids"][:1], rows[0]["ids"][:64], rows[1]["ids"], passage[:cfg.ctx]]
    reference = DemoLM(cfg)
    reference.load_state_dict(ckpt["state"])
    reference.eval()
    worst = 0.0
    for ids in probes:
        x = torch.tensor([ids], dtype=torch.long)
        with torch.no_grad():
            ref, _ = reference(x)
        got = session.run(["logits"], {"input_ids": x.numpy()})[0]
        worst = max(worst, float(np.abs(got - ref.numpy()).max()))
    if worst > 1e-3:
        raise SystemExit(f"export: ONNX Runtime differs from PyTorch by {worst} (max abs logit)")

    summary = f"{size / 1e6:.2f} MB, ORT vs torch max |Δlogit| {worst:.2e} at lengths {[len(p) for p in probes]}, ops {dict(ops)}"
    if args.untrained:
        print(f"export preflight {args.untrained}: {summary}", flush=True)
        return
    log_path = os.path.join(args.work, f"{args.tag}.json")
    log = json.load(open(log_path))
    log["export"] = {
        "file": os.path.basename(args.out),
        "bytes": size,
        "opset": 17,
        "exporter": f"torch.onnx TorchScript (dynamo=False), torch {torch.__version__}",
        "op_counts": dict(sorted(ops.items())),
        "ort_vs_torch_max_abs_logit": worst,
        "probe_lengths": [len(p) for p in probes],
        "onnxruntime": ort.__version__,
    }
    json.dump(log, open(log_path, "w"), indent=1)
    print(f"export {args.tag}: {summary}", flush=True)


if __name__ == "__main__":
    main()
