"""Trains one demo model (softmax or sigmoid attention) on the token streams of prepare.py.

Seeded; bf16 autocast; AdamW with the levers Gu et al. report for sink emergence (learned
absolute positions, weight decay 0.5, a high learning rate, > 100M tokens seen). Every training
sequence is <|endoftext|> followed by 255 tokens of the stream, from a random offset.

Writes WORK/NORMALIZER.pt (weights + config) and WORK/NORMALIZER.json (the run's log: config,
tokens seen, wall time, train/val loss curves, Sink₁^0.3 on the held-out sequences).

Usage: python3 train.py --normalizer softmax|sigmoid --work DIR --heldout heldout.jsonl [--tag NAME]
       [--heads 8] [--logit-offset 5.5]
       [--steps 3600] [--batch 256] [--lr 2e-3] [--wd 0.5] [--seed 1234] [--max-seconds 420]

--max-seconds guards the device's per-command time limit: past it, training stops at the next log
step and the log says so ("stopped_early"); the two models then no longer share one budget.
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from model import Config, DemoLM
from sink import heldout_sequences, sink_rate

BOS_ID = 0


def batch_from(stream, offsets, ctx):
    """x = [BOS, s[p], ..., s[p+ctx-2]], y = s[p .. p+ctx-1] for each offset p."""
    idx = offsets[:, None] + torch.arange(ctx, device=stream.device)[None, :]
    y = stream[idx]
    x = torch.cat([torch.full_like(y[:, :1], BOS_ID), y[:, :-1]], dim=1)
    return x, y


@torch.no_grad()
def val_loss(model, val, ctx, windows=512, batch=128):
    model.eval()
    n = min(windows, (val.numel() - ctx) // ctx)
    offsets = torch.arange(n, device=val.device) * ctx
    total = 0.0
    for i in range(0, n, batch):
        x, y = batch_from(val, offsets[i:i + batch], ctx)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits, _ = model(x)
        total += F.cross_entropy(logits.float().view(-1, logits.size(-1)), y.reshape(-1), reduction="sum").item()
    model.train()
    return total / (n * ctx)


def lr_at(step, steps, lr, warmup):
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--normalizer", choices=["softmax", "sigmoid"], required=True)
    ap.add_argument("--tag", help="name of this run's files in WORK (default: the normalizer)")
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--logit-offset", type=float, default=5.5)
    ap.add_argument("--work", required=True)
    ap.add_argument("--heldout", required=True)
    ap.add_argument("--steps", type=int, default=3600)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--wd", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--max-seconds", type=float, default=420.0)
    ap.add_argument("--log-every", type=int, default=25)
    ap.add_argument("--eval-every", type=int, default=200)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    device = "cuda"
    train = torch.from_numpy(np.load(os.path.join(args.work, "train.npy")).astype(np.int64)).to(device)
    val = torch.from_numpy(np.load(os.path.join(args.work, "val.npy")).astype(np.int64)).to(device)
    tag = args.tag or args.normalizer
    cfg = Config(normalizer=args.normalizer, heads=args.heads, logit_offset=args.logit_offset)
    model = DemoLM(cfg).to(device)
    params = sum(p.numel() for p in model.parameters())
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": args.wd}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr, betas=(0.9, 0.95), eps=1e-8, fused=True,
    )
    gen = torch.Generator(device=device)
    gen.manual_seed(args.seed)
    warmup = max(1, args.steps // 50)
    tokens_per_step = args.batch * cfg.ctx
    train_curve, val_curve = [], []
    running, running_n = 0.0, 0
    torch.cuda.synchronize()
    t0 = time.time()
    steps_done = args.steps
    for step in range(args.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps, args.lr, warmup)
        offsets = torch.randint(0, train.numel() - cfg.ctx, (args.batch,), device=device, generator=gen)
        x, y = batch_from(train, offsets, cfg.ctx)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits, _ = model(x)
        loss = F.cross_entropy(logits.float().view(-1, cfg.vocab), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        running += loss.detach()
        running_n += 1
        if (step + 1) % args.log_every == 0 or step + 1 == args.steps:
            avg = (running / running_n).item()
            if not math.isfinite(avg):
                raise SystemExit(f"train {args.normalizer}: loss is {avg} at step {step + 1}; lower --lr")
            train_curve.append({"step": step + 1, "tokens": (step + 1) * tokens_per_step, "loss": round(avg, 4)})
            running, running_n = 0.0, 0
            if time.time() - t0 > args.max_seconds and step + 1 < args.steps:
                steps_done = step + 1
        if (step + 1) % args.eval_every == 0 or step + 1 == args.steps or steps_done == step + 1:
            vl = val_loss(model, val, cfg.ctx)
            val_curve.append({"step": step + 1, "tokens": (step + 1) * tokens_per_step, "loss": round(vl, 4)})
            print(f"{tag} step {step + 1}/{args.steps} train {train_curve[-1]['loss']:.4f} val {vl:.4f} "
                  f"{(step + 1) * tokens_per_step / (time.time() - t0) / 1e6:.2f}M tok/s", flush=True)
        if steps_done == step + 1:
            break
    torch.cuda.synchronize()
    wall = time.time() - t0
    sink = sink_rate(model, heldout_sequences(args.heldout), device)
    log = {
        "tag": tag,
        "normalizer": args.normalizer,
        "config": cfg.as_dict(),
        "parameters": params,
        "hyperparameters": {"steps": args.steps, "batch": args.batch, "lr": args.lr, "lr_schedule": f"linear warmup {warmup} steps, cosine to 10%",
                            "weight_decay": args.wd, "betas": [0.9, 0.95], "grad_clip": 1.0, "seed": args.seed, "precision": "bf16 autocast, fp32 weights"},
        "steps_done": steps_done,
        "stopped_early": steps_done < args.steps,
        "tokens_seen": steps_done * tokens_per_step,
        "train_seconds": round(wall, 1),
        "tokens_per_second": round(steps_done * tokens_per_step / wall),
        "final_val_loss": val_curve[-1]["loss"],
        "sink_check_pytorch": sink,
        "train_curve": train_curve,
        "val_curve": val_curve,
        "gpu": torch.cuda.get_device_name(0),
        "torch": torch.__version__,
    }
    torch.save({"config": cfg.as_dict(), "state": model.state_dict()}, os.path.join(args.work, f"{tag}.pt"))
    with open(os.path.join(args.work, f"{tag}.json"), "w") as f:
        json.dump(log, f, indent=1)
    print(f"{tag}: val {log['final_val_loss']} sink1 {sink['sink1_pct']}% "
          f"({log['tokens_seen'] / 1e6:.0f}M tokens, {wall:.0f}s)", flush=True)


if __name__ == "__main__":
    main()
