"""Rewrites the position-embedding lookup of an exported demo model into the form exporters of
Hugging Face models emit, so that tools (AttnScope's engine among them) read the position limit
from the graph.

The TorchScript exporter turns ``wpe.weight[:T]`` into ``Slice(wpe, 0, Unsqueeze(T))``; this
replaces that node with ``Gather(wpe, Range(0, T, 1))``: the same rows, so bit-identical logits,
and the table's first dimension (ctx, 1,024 positions) reads as the model's position limit.

Usage: python3 positions.py MODEL.onnx [OUT.onnx]   (in place when OUT is omitted)
"""
import sys

import onnx
from onnx import TensorProto, helper

TABLE_SUFFIX = "wpe.weight"


def gather_positions(model):
    g = model.graph
    producers = {o: n for n in g.node for o in n.output}
    slices = [n for n in g.node if n.op_type == "Slice" and n.input[0].endswith(TABLE_SUFFIX)]
    if len(slices) != 1:
        raise SystemExit(f"positions: expected one Slice of the *{TABLE_SUFFIX} table, found {len(slices)}")
    sl = slices[0]
    unsq = producers.get(sl.input[2])
    if unsq is None or unsq.op_type != "Unsqueeze":
        raise SystemExit("positions: the Slice end is not Unsqueeze(T); not a demo-model export")
    length = unsq.input[0]
    zero = helper.make_tensor("/positions/start", TensorProto.INT64, [], [0])
    one = helper.make_tensor("/positions/delta", TensorProto.INT64, [], [1])
    g.initializer.extend([zero, one])
    rng = helper.make_node("Range", ["/positions/start", length, "/positions/delta"], ["/positions/ids"], name="/positions/Range")
    gather = helper.make_node("Gather", [sl.input[0], "/positions/ids"], [sl.output[0]], name="/positions/Gather", axis=0)
    index = list(g.node).index(sl)
    g.node.remove(sl)
    g.node.insert(index, gather)
    g.node.insert(index, rng)
    # Drop nodes (the Slice's start/axes/step constants, the Unsqueeze) nothing reads any more.
    while True:
        used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
        dead = [n for n in g.node if not any(o in used for o in n.output)]
        if not dead:
            break
        for n in dead:
            g.node.remove(n)
    onnx.checker.check_model(model)
    return model


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit("usage: python3 positions.py MODEL.onnx [OUT.onnx]")
    model = gather_positions(onnx.load(sys.argv[1]))
    onnx.save(model, sys.argv[-1])


if __name__ == "__main__":
    main()
