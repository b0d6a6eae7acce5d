#!/usr/bin/env bash
# The TRL hand-off against a local run (issue #20): a workspace with the tiny Idefics3 model of
# Tests/TrainingTests/Fixtures/trl (checkpoint #1, SFT) and its four pairs (three train, one
# held-out; dataset version #1); for each configuration `vlm-align export trl`, the exported
# train.py run on the CPU under `accelerate launch`, `vlm-align checkpoints import-run`, and
# `vlm-align dpo` with the same options; compare.py compares every step's metrics and the final
# weights. Not run by CI (it needs TRL).
# Usage: tools/scale_out/parity.sh VENV [FIXTURE_OUT]
#   VENV          the fixture venv (tools/fixtures/requirements.txt)
#   FIXTURE_OUT   also copy the LoRA and the full run's folders there (lora/, full/), as the committed
#                 fixture of the import test (Tests/TrainingTests/Fixtures/trl-run)
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=$1
FIXTURE_OUT=${2:-}
swift build --product vlm-align >/dev/null
B=$(swift build --show-bin-path)/vlm-align
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
F=Tests/TrainingTests/Fixtures/trl
mkdir -p "$WORK/pairs"
cp -r "$F/images" "$WORK/pairs/"
head -n 3 "$F/pairs.jsonl" > "$WORK/pairs/train.jsonl"
tail -n 1 "$F/pairs.jsonl" > "$WORK/pairs/held-out.jsonl"
"$B" init "$WORK/ws" --model "$F/policy" --kind sft >/dev/null
"$B" import pairs "$WORK/pairs/train.jsonl" --workspace "$WORK/ws" >/dev/null
"$B" import pairs "$WORK/pairs/held-out.jsonl" --split held-out --workspace "$WORK/ws" >/dev/null
"$B" dataset freeze --workspace "$WORK/ws" >/dev/null

"$VENV/bin/python" -c 'import torch, transformers, trl, peft, datasets, accelerate
print("torch", torch.__version__, "transformers", transformers.__version__, "trl", trl.__version__, "peft", peft.__version__,
      "datasets", datasets.__version__, "accelerate", accelerate.__version__)'

# NAME, then the options both runs get
run() {
    local name=$1
    shift
    "$B" export trl --workspace "$WORK/ws" --checkpoint 1 --dataset 1 --out "$WORK/$name" "$@" >/dev/null
    (cd "$WORK/$name" && OMP_NUM_THREADS=2 "$VENV/bin/accelerate" launch --config_file accelerate_config.yaml train.py \
        > "$WORK/$name.log" 2>&1) || { tail -n 40 "$WORK/$name.log"; exit 1; }
    "$B" checkpoints import-run "$WORK/$name" --workspace "$WORK/ws"
    "$B" dpo --workspace "$WORK/ws" --checkpoint 1 --dataset 1 --out "$WORK/$name-local" --cache-dir "$WORK/cache" "$@" --json \
        > "$WORK/$name-local.log"
    echo "== $name: $*"
    "$VENV/bin/python" tools/scale_out/compare.py "$WORK/$name" "$WORK/$name-local" "$name"
}

# full fine-tuning, one optimizer step = the three train pairs
run full --max-steps 3 --batch-size 3 --learning-rate 1e-3 --no-shuffle
# micro-batches of one in file order, accumulation, cosine schedule with warmup, weight decay,
# IPO with an RPO term, the vision tower frozen
run schedule --epochs 2 --batch-size 1 --gradient-accumulation-steps 2 --learning-rate 1e-3 --lr-scheduler cosine \
    --warmup-steps 1 --weight-decay 0.1 --loss ipo --rpo-alpha 0.5 --freeze-vision --no-shuffle
# LoRA: PEFT and vlm-align draw their initial A differently (B = 0 in both), so only the first
# step is the same; the weights are compared to show by how much the runs then part
run lora --max-steps 3 --batch-size 3 --learning-rate 1e-3 --lora-rank 4 --lora-alpha 8 --no-shuffle

if [ -n "$FIXTURE_OUT" ]; then
    # the launch folders as TRL left them, less the model copy and TRL's checkpoints (the import
    # reads neither); paths of this machine replaced, as tools/fixtures/trl_fixtures.py does
    rm -rf "$FIXTURE_OUT"
    for name in lora full; do
        mkdir -p "$FIXTURE_OUT/$name/output"
        for f in README.md accelerate_config.yaml requirements.txt train.py vlm_align_run.json data; do
            cp -r "$WORK/$name/$f" "$FIXTURE_OUT/$name/"
        done
        for f in adapter_config.json adapter_model.safetensors config.json model.safetensors trainer_state.json vlm_align_finished.json; do
            if [ -f "$WORK/$name/output/$f" ]; then cp "$WORK/$name/output/$f" "$FIXTURE_OUT/$name/output/"; fi
        done
    done
    "$VENV/bin/python" - "$FIXTURE_OUT/lora/output/adapter_config.json" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
config["base_model_name_or_path"] = "model"
json.dump(config, open(sys.argv[1], "w"), indent=2, sort_keys=True)
PY
    echo "wrote $FIXTURE_OUT"
fi
