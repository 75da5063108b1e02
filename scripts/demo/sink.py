"""Sink₁^ε of a demo model in PyTorch (spec/variants.md §1.1), a check before export; the
product's own measurement is `attnscope` with this project's kernels.

For each held-out sequence, truncated to its first T = 64 tokens (BOS included), per layer and
head: α₁ = mean over the T queries of the attention they give key 1 (all T queries see it).
Sink₁^ε = share of (sequence, layer, head) with α₁ > ε (strict), in percent. For the sigmoid
model, whose weights have no normalizer, the proxy map w / Σ_{j≤i} w (+1e-8) is used.
"""
import json

import torch


def heldout_sequences(path, count=100, length=64):
    rows = [json.loads(line) for line in open(path, encoding="utf-8")]
    seqs = [r["ids"][:length] for r in rows if r["kind"] == "sequence" and len(r["ids"]) >= length]
    if len(seqs) < count:
        raise SystemExit(f"sink: {path} holds {len(seqs)} sequences of >= {length} tokens, need {count}")
    return seqs[:count]


@torch.no_grad()
def sink_rate(model, seqs, device, eps=0.3):
    model.eval()
    ids = torch.tensor(seqs, dtype=torch.long, device=device)
    _, maps = model(ids, keep_weights=True)
    alphas = []
    for w in maps:  # [N, H, T, T], float32
        w = w.float()
        if model.cfg.normalizer != "softmax":
            w = w / (w.sum(dim=-1, keepdim=True) + 1e-8)
        alphas.append(w[..., :, 0].mean(dim=-1))  # α₁ per (sequence, head)
    alpha = torch.stack(alphas, dim=1)  # [N, L, H]
    rate = (alpha > eps).float().mean().item() * 100.0
    per_head = (alpha > eps).float().mean(dim=0) * 100.0  # [L, H]
    return {
        "sink1_pct": round(rate, 2),
        "epsilon": eps,
        "sequences": len(seqs),
        "tokens": len(seqs[0]),
        "per_layer_head_pct": [[round(v, 1) for v in row] for row in per_head.tolist()],
        "mean_alpha1_per_layer_head": [[round(v, 4) for v in row] for row in alpha.mean(dim=0).tolist()],
    }
