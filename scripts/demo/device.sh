#!/usr/bin/env bash
# The whole demo-model pipeline on the GPU machine, in one command:
#   tokenizer + token streams + held-out file → train softmax and sigmoid models side by side on the
#   one GPU → export both to ONNX and check them against PyTorch → one train-log.json.
#
# Usage (repository root, corpus from scripts/demo/build-corpus.mjs in .cache/corpus):
#   OUT=dir bash scripts/demo/device.sh [STEPS]      (STEPS per model; default 1600, 30 = smoke run)
# Reuses media/models/tokenizer.json when it exists (delete it to retrain the tokenizer).
# Writes to $OUT: attnscope-demo-softmax.onnx, attnscope-demo-sigmoid.onnx, tokenizer.json,
# heldout.jsonl, train-log.json.
set -euo pipefail
STEPS=${1:-1600}
: "${OUT:?set OUT to the folder that receives the artifacts}"
ROOT=$(pwd)
WORK=${WORK:-/tmp/attnscope-demo-work}
mkdir -p "$WORK" "$OUT"
T0=$(date +%s)
if [ -f media/models/tokenizer.json ]; then cp media/models/tokenizer.json "$WORK/tokenizer.json"; fi
cd scripts/demo
python3 prepare.py --corpus "$ROOT/.cache/corpus" --work "$WORK" --tokenizer "$WORK/tokenizer.json" \
  --heldout "$WORK/heldout.jsonl"
T1=$(date +%s)
for n in softmax sigmoid; do
  python3 train.py --normalizer "$n" --work "$WORK" --heldout "$WORK/heldout.jsonl" --steps "$STEPS" &
done
wait -n && wait -n   # both must succeed (set -e stops on the first failure)
T2=$(date +%s)
for n in softmax sigmoid; do
  python3 export.py --normalizer "$n" --work "$WORK" --heldout "$WORK/heldout.jsonl" \
    --out "$OUT/attnscope-demo-$n.onnx"
done
T3=$(date +%s)
cp "$WORK/tokenizer.json" "$WORK/heldout.jsonl" "$OUT/"
python3 - "$WORK" "$OUT/train-log.json" "$T0" "$T1" "$T2" "$T3" <<'EOF'
import json, subprocess, sys
work, out, t0, t1, t2, t3 = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
gpu = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True, text=True).stdout.strip()
log = {
    "data": json.load(open(f"{work}/prepare.json")),
    "models": {n: json.load(open(f"{work}/{n}.json")) for n in ("softmax", "sigmoid")},
    "wall_seconds": {"prepare": t1 - t0, "train_both_in_parallel": t2 - t1, "export_and_check": t3 - t2, "total": t3 - t0},
    "device": gpu,
}
json.dump(log, open(out, "w"), indent=1)
s, g = log["models"]["softmax"], log["models"]["sigmoid"]
print(f"summary: softmax val {s['final_val_loss']} sink1 {s['sink_check_pytorch']['sink1_pct']}% | "
      f"sigmoid val {g['final_val_loss']} sink1 {g['sink_check_pytorch']['sink1_pct']}% | "
      f"loss ratio {g['final_val_loss'] / s['final_val_loss']:.4f} | wall {log['wall_seconds']}")
EOF
