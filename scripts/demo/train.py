"""Trains one demo model (softmax or sigmoid attention) on the token streams of prepare.py.

Seeded; bf16 autocast; AdamW with the levers Gu et al. report for sink emergence (learned
absolute positions, weight decay 0.5, a high learning rate, > 100M tokens seen). Every training
sequence is <|endoftext|> followed by ctx − 1 tokens of the stream, from a random offset.

Writes WORK/NORMALIZER.pt (weights + config) and WORK/NORMALIZER.json (the run's log: config,
tokens seen, wall time, train/val loss curves, Sink₁^0.3 on the held-out sequences).

Usage: python3 train.py --normalizer softmax|sigmoid --work DIR --heldout heldout.jsonl [--tag NAME]
       [--heads 8] [--logit-offset ln(ctx)] [--ctx 1024] [--init-from DIR]
       [--steps 3600] [--batch 64] [--warmup 72] [--lr 2e-3] [--wd 0.5] [--seed 1234]
       [--budget-seconds 0 --peers TAG,TAG] [--max-seconds 540] [--device cuda]

--init-from DIR continues training from DIR/attnscope-demo-NORMALIZER.onnx instead of a fresh
initialisation (init_from.py: weights rebuilt from the file, learned positions extended to --ctx
by tiling the second half of the table; --logit-offset is then unused). The optimizer state starts
fresh, so --warmup still applies; the log gains "init_from" and a validation point at step 0.
--device cpu runs the same loop without a GPU (a smoke test: a few steps, --batch 2).

--batch is in sequences of --ctx tokens (64 × 1024 = 65,536 tokens a step, as 256 × 256 before).

--budget-seconds fits the run into the device's per-command time limit before the schedule is
fixed: after --calibrate-steps steps each run writes its seconds per step to WORK/budget-TAG.json,
waits for the --peers training beside it on the same GPU, and all of them shorten --steps to the
same count, the one the slowest fits into the budget; the cosine schedule then runs to that count
(the log records it as "steps"; rerun with that --steps and no budget to reproduce the schedule).
--max-seconds is the last guard: past it, training stops at the next log step and the log says so
("stopped_early").
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
def val_loss(model, val, ctx, tokens=131072):
    """Mean loss over the first `tokens` of the validation stream, in windows of ctx tokens."""
    model.eval()
    device_type = val.device.type
    batch = max(1, 32768 // ctx)
    n = min(max(1, tokens // ctx), (val.numel() - ctx) // ctx)
    offsets = torch.arange(n, device=val.device) * ctx
    total = 0.0
    for i in range(0, n, batch):
        x, y = batch_from(val, offsets[i:i + batch], ctx)
        with torch.autocast(device_type, dtype=torch.bfloat16):
            logits, _ = model(x)
        total += F.cross_entropy(logits.float().view(-1, logits.size(-1)), y.reshape(-1), reduction="sum").item()
    model.train()
    return total / (n * ctx)


def agree_on_steps(args, tag, seconds_per_step, elapsed):
    """Writes this run's pace, waits for the peers' and returns the step count all of them use:
    the most the slowest run fits into --budget-seconds (evaluations take ~4 % on top)."""
    mine = {"seconds_per_step": seconds_per_step, "elapsed": elapsed}
    path = os.path.join(args.work, f"budget-{tag}.json")
    with open(path + ".tmp", "w") as f:
        json.dump(mine, f)
    os.replace(path + ".tmp", path)
    tags = [tag] + [p for p in args.peers.split(",") if p and p != tag]
    paces, deadline = {}, time.time() + 300
    while len(paces) < len(tags):
        for t in tags:
            p = os.path.join(args.work, f"budget-{t}.json")
            if t not in paces and os.path.exists(p):
                paces[t] = json.load(open(p))
        if len(paces) < len(tags):
            if time.time() > deadline:
                raise SystemExit(f"train {tag}: no pace from {sorted(set(tags) - set(paces))} in 300 s; did that run fail?")
            time.sleep(0.2)
    slowest = max(p["seconds_per_step"] for p in paces.values())
    spent = max(p["elapsed"] for p in paces.values())
    steps = args.calibrate_steps + max(1, int((args.budget_seconds - spent) / (slowest * 1.04)))
    print(f"{tag}: pace {seconds_per_step * 1e3:.0f} ms/step, slowest {slowest * 1e3:.0f} ms/step → {min(steps, args.steps)} steps", flush=True)
    return {"seconds": args.budget_seconds, "runs": paces, "steps": steps}


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
    ap.add_argument("--logit-offset", type=float, help="initial logit offset (default ln ctx: Σw ≈ 1 over the context)")
    ap.add_argument("--work", required=True)
    ap.add_argument("--heldout", required=True)
    ap.add_argument("--ctx", type=int, default=1024, help="positions (learned; the model's limit)")
    ap.add_argument("--steps", type=int, default=3600)
    ap.add_argument("--batch", type=int, default=64, help="sequences of --ctx tokens per step")
    ap.add_argument("--warmup", type=int, default=72, help="linear warm-up steps")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--wd", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--budget-seconds", type=float, default=0.0, help="shorten --steps to fit (0: off)")
    ap.add_argument("--peers", default="", help="comma-separated tags training beside this run (--budget-seconds)")
    ap.add_argument("--calibrate-steps", type=int, default=60)
    ap.add_argument("--max-seconds", type=float, default=540.0)
    ap.add_argument("--init-from", metavar="DIR", help="continue from DIR/attnscope-demo-NORMALIZER.onnx (init_from.py)")
    ap.add_argument("--device", default="cuda", help="cuda, or cpu for a smoke test")
    ap.add_argument("--val-tokens", type=int, default=131072, help="validation tokens per evaluation (128 windows of 1,024)")
    ap.add_argument("--log-every", type=int, default=25)
    ap.add_argument("--eval-every", type=int, default=200)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    device = args.device
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    train = torch.from_numpy(np.load(os.path.join(args.work, "train.npy")).astype(np.int64)).to(device)
    val = torch.from_numpy(np.load(os.path.join(args.work, "val.npy")).astype(np.int64)).to(device)
    tag = args.tag or args.normalizer
    offset = args.logit_offset if args.logit_offset is not None else round(math.log(args.ctx), 2)
    init_info = None
    if args.init_from:
        from init_from import load
        cfg, state, init_info = load(args.init_from, args.normalizer, args.heads, args.ctx)
        model = DemoLM(cfg)
        model.load_state_dict(state)
        model = model.to(device)
    else:
        cfg = Config(normalizer=args.normalizer, heads=args.heads, logit_offset=offset, ctx=args.ctx)
        model = DemoLM(cfg).to(device)
    params = sum(p.numel() for p in model.parameters())
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": args.wd}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr, betas=(0.9, 0.95), eps=1e-8, fused=device == "cuda",
    )
    gen = torch.Generator(device=device)
    gen.manual_seed(args.seed)
    warmup = args.warmup
    tokens_per_step = args.batch * cfg.ctx
    train_curve, val_curve = [], []
    running, running_n = 0.0, 0
    steps = args.steps
    budget = None
    if init_info is not None:  # where continued training starts, on the new context length
        vl = val_loss(model, val, cfg.ctx, args.val_tokens)
        val_curve.append({"step": 0, "tokens": 0, "loss": round(vl, 4)})
        init_info["sink_check_pytorch"] = sink_rate(model, heldout_sequences(args.heldout), device)
        print(f"{tag} step 0 val {vl:.4f} (from {init_info['file']}, {init_info['positions_from']} → {cfg.ctx} positions) "
              f"sink1 {init_info['sink_check_pytorch']['sink1_pct']}%", flush=True)
        model.train()
    sync()
    t0 = time.time()
    t_calibrate = t0
    steps_done = steps
    step = 0
    while step < steps:
        if args.budget_seconds > 0 and step == args.calibrate_steps // 3:
            sync()
            t_calibrate = time.time()
        if args.budget_seconds > 0 and step == args.calibrate_steps:
            if step >= warmup:
                raise SystemExit(f"train {tag}: --calibrate-steps ({step}) must end inside the warm-up ({warmup} steps)")
            sync()
            budget = agree_on_steps(args, tag, (time.time() - t_calibrate) / (step - args.calibrate_steps // 3), time.time() - t0)
            steps = min(args.steps, budget["steps"])
            steps_done = steps
        for g in opt.param_groups:
            g["lr"] = lr_at(step, steps, args.lr, warmup)
        offsets = torch.randint(0, train.numel() - cfg.ctx, (args.batch,), device=device, generator=gen)
        x, y = batch_from(train, offsets, cfg.ctx)
        with torch.autocast(device, dtype=torch.bfloat16):
            logits, _ = model(x)
        loss = F.cross_entropy(logits.float().view(-1, cfg.vocab), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        running += loss.detach()
        running_n += 1
        if (step + 1) % args.log_every == 0 or step + 1 == steps:
            avg = (running / running_n).item()
            if not math.isfinite(avg):
                raise SystemExit(f"train {args.normalizer}: loss is {avg} at step {step + 1}; lower --lr")
            train_curve.append({"step": step + 1, "tokens": (step + 1) * tokens_per_step, "loss": round(avg, 4)})
            running, running_n = 0.0, 0
            if time.time() - t0 > args.max_seconds and step + 1 < steps:
                steps_done = step + 1
        if (step + 1) % args.eval_every == 0 or step + 1 == steps or steps_done == step + 1:
            vl = val_loss(model, val, cfg.ctx, args.val_tokens)
            val_curve.append({"step": step + 1, "tokens": (step + 1) * tokens_per_step, "loss": round(vl, 4)})
            print(f"{tag} step {step + 1}/{steps} train {train_curve[-1]['loss']:.4f} val {vl:.4f} "
                  f"{(step + 1) * tokens_per_step / (time.time() - t0) / 1e6:.2f}M tok/s", flush=True)
        if steps_done == step + 1:
            break
        step += 1
    sync()
    wall = time.time() - t0
    sink = sink_rate(model, heldout_sequences(args.heldout), device)
    log = {
        "tag": tag,
        "normalizer": args.normalizer,
        "config": cfg.as_dict(),
        "parameters": params,
        "init_from": init_info,
        "hyperparameters": {"steps": steps, "steps_asked": args.steps, "budget": budget, "batch": args.batch,
                            "batch_tokens": tokens_per_step, "lr": args.lr, "lr_schedule": f"linear warmup {warmup} steps, cosine to 10%",
                            "weight_decay": args.wd, "betas": [0.9, 0.95], "grad_clip": 1.0, "seed": args.seed, "precision": "bf16 autocast, fp32 weights"},
        "steps_done": steps_done,
        "stopped_early": steps_done < steps,
        "tokens_seen": steps_done * tokens_per_step,
        "train_seconds": round(wall, 1),
        "tokens_per_second": round(steps_done * tokens_per_step / wall),
        "final_val_loss": val_curve[-1]["loss"],
        "sink_check_pytorch": sink,
        "train_curve": train_curve,
        "val_curve": val_curve,
        "gpu": torch.cuda.get_device_name(0) if device == "cuda" else device,
        "torch": torch.__version__,
    }
    torch.save({"config": cfg.as_dict(), "state": model.state_dict()}, os.path.join(args.work, f"{tag}.pt"))
    with open(os.path.join(args.work, f"{tag}.json"), "w") as f:
        json.dump(log, f, indent=1)
    print(f"{tag}: val {log['final_val_loss']} sink1 {sink['sink1_pct']}% "
          f"({log['tokens_seen'] / 1e6:.0f}M tokens, {wall:.0f}s)", flush=True)


if __name__ == "__main__":
    main()
