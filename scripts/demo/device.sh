#!/usr/bin/env bash
# The whole demo-model pipeline on the GPU machine, in one command:
#   tokenizer + token streams + held-out file → export preflight (fresh models) → train softmax and
#   sigmoid models side by side on the one GPU → export both to ONNX and check them against
#   PyTorch → one train-log.json.
#
# Usage (repository root, corpus from scripts/demo/build-corpus.mjs in .cache/corpus):
#   OUT=dir bash scripts/demo/device.sh [STEPS]      (STEPS per model; default 3600, 30 = smoke run)
# RUNS lists the models, TAG=NORMALIZER,HEADS[,LR] each (default: the two shipped models; LR
# defaults to train.py's --lr, 2e-3); all train at once on the one GPU. Reuses media/models/tokenizer.json when it exists (delete it to retrain).
# CTX (default 1024) is the positions, BATCH (default 64) the sequences per step; TRAIN_SECONDS
# (default 0: off) makes the runs agree on fewer steps when STEPS would not fit in that many
# seconds of training (train.py --budget-seconds); LOGIT_OFFSET (default ln CTX) the initial
# q·k offset (train.py --logit-offset). INIT_FROM (default empty: fresh models) is a folder, relative
# to the repository root, holding attnscope-demo-{softmax,sigmoid}.onnx to continue training from
# (train.py --init-from; positions extended to CTX): init_from.py first checks that the rebuilt
# PyTorch models reproduce ONNX Runtime's logits, so a wrong weight mapping stops the command before
# training. WARMUP (default 72) the linear warm-up steps. CHECKPOINTS=0 leaves the TAG.pt files out of $OUT (the
# device returns at most 8 files).
# Writes to $OUT: attnscope-demo-TAG.onnx and TAG.pt (the checkpoint) per run, tokenizer.json,
# heldout.jsonl, train-log.json.
set -euo pipefail
STEPS=${1:-3600}
RUNS=${RUNS:-softmax=softmax,8 sigmoid=sigmoid,8}
CTX=${CTX:-1024}
BATCH=${BATCH:-64}
TRAIN_SECONDS=${TRAIN_SECONDS:-0}
LOGIT_OFFSET=${LOGIT_OFFSET:-}
INIT_FROM=${INIT_FROM:-}
WARMUP=${WARMUP:-72}
CHECKPOINTS=${CHECKPOINTS:-1}
: "${OUT:?set OUT to the folder that receives the artifacts}"
ROOT=$(pwd)
WORK=${WORK:-/tmp/attnscope-demo-work}
mkdir -p "$WORK" "$OUT"
T0=$(date +%s)
if [ -f media/models/tokenizer.json ]; then cp media/models/tokenizer.json "$WORK/tokenizer.json"; fi
cd scripts/demo
python3 prepare.py --corpus "$ROOT/.cache/corpus" --work "$WORK" --tokenizer "$WORK/tokenizer.json" \
  --heldout "$WORK/heldout.jsonl"
if [ -n "$INIT_FROM" ]; then
  python3 init_from.py --check "$ROOT/$INIT_FROM" --heldout "$WORK/heldout.jsonl" --ctx "$CTX"
fi
for normalizer in softmax sigmoid; do
  python3 export.py --untrained "$normalizer" --ctx "$CTX" --heldout "$WORK/heldout.jsonl" --out "$WORK/preflight-$normalizer.onnx"
done
T1=$(date +%s)
tags=$(for run in $RUNS; do printf '%s,' "${run%%=*}"; done)
rm -f "$WORK"/budget-*.json
pids=()
for run in $RUNS; do
  tag=${run%%=*}; IFS=, read -r normalizer heads lr <<<"${run#*=}"
  python3 train.py --tag "$tag" --normalizer "$normalizer" --heads "$heads" ${lr:+--lr "$lr"} --work "$WORK" \
    --heldout "$WORK/heldout.jsonl" --steps "$STEPS" --ctx "$CTX" --batch "$BATCH" \
    --budget-seconds "$TRAIN_SECONDS" --peers "$tags" --warmup "$WARMUP" ${LOGIT_OFFSET:+--logit-offset "$LOGIT_OFFSET"} \
    ${INIT_FROM:+--init-from "$ROOT/$INIT_FROM"} &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done   # every run must succeed (set -e)
T2=$(date +%s)
if [ "$CHECKPOINTS" = 1 ]; then
  for run in $RUNS; do cp "$WORK/${run%%=*}.pt" "$OUT/"; done   # checkpoints: a failed export can be redone
fi
for run in $RUNS; do
  tag=${run%%=*}
  python3 export.py --tag "$tag" --work "$WORK" --heldout "$WORK/heldout.jsonl" --out "$OUT/attnscope-demo-$tag.onnx"
done
T3=$(date +%s)
cp "$WORK/tokenizer.json" "$WORK/heldout.jsonl" "$OUT/"
SETTINGS="ctx=$CTX batch=$BATCH steps=$STEPS train_seconds=$TRAIN_SECONDS warmup=$WARMUP init_from=$INIT_FROM" \
python3 - "$WORK" "$OUT/train-log.json" "$T0" "$T1" "$T2" "$T3" "$RUNS" <<'EOF'
import json, os, subprocess, sys
work, out = sys.argv[1], sys.argv[2]
t0, t1, t2, t3 = map(int, sys.argv[3:7])
tags = [r.split("=")[0] for r in sys.argv[7].split()]
gpu = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True, text=True).stdout.strip()
log = {
    "data": json.load(open(f"{work}/prepare.json")),
    "models": {t: json.load(open(f"{work}/{t}.json")) for t in tags},
    "wall_seconds": {"prepare": t1 - t0, "train_all_in_parallel": t2 - t1, "export_and_check": t3 - t2, "total": t3 - t0},
    "device": gpu,
    "settings": dict(kv.split("=", 1) for kv in os.environ["SETTINGS"].split()),
}
json.dump(log, open(out, "w"), indent=1)
for t, m in log["models"].items():
    print(f"summary {t}: lr {m['hyperparameters']['lr']} steps {m['steps_done']} val {m['final_val_loss']} sink1 {m['sink_check_pytorch']['sink1_pct']}% "
          f"per layer/head {m['sink_check_pytorch']['per_layer_head_pct']} tokens {m['tokens_seen']} {m['train_seconds']}s")
    if m.get("init_from"):
        print(f"  from {m['init_from']['file']}: step-0 val {m['val_curve'][0]['loss']} sink1 {m['init_from']['sink_check_pytorch']['sink1_pct']}%")
print(f"wall {log['wall_seconds']}")
EOF
