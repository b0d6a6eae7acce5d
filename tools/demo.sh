#!/usr/bin/env bash
# make demo: the loop on ShapesWorld, end to end as far as it is built. A world whose truth is
# known; SFT from scratch; the oracle's accuracy per category; DPO on preference pairs; the
# oracle again.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/vlm-align
OUT=${DEMO_OUT:-.build-demo}
SFT_STEPS=${SFT_STEPS:-600}
DPO_STEPS=${DPO_STEPS:-60}
rm -rf "$OUT"
mkdir -p "$OUT"

echo "== 1. a ShapesWorld: scenes, SFT set, held-out sets per category, preference pairs"
$BIN shapes generate --out "$OUT/world" --seed 7 --train-scenes 4000 --eval-scenes 60 --pool-scenes 20 --rounds 1 | tail -n 3

echo "== 2. SFT of a 1.7M-parameter Idefics3 model from random weights ($SFT_STEPS steps of 16 scenes)"
# the workspace records every checkpoint with its parent, data and settings
$BIN init "$OUT/ws" >/dev/null
# each scene's questions as branches of one sequence: the vision tower runs once per scene
$BIN sft --model "$OUT/world/model" --init-random --data "$OUT/world/sft/train.jsonl" --pack-by-image --out "$OUT/sft" \
    --workspace "$OUT/ws" --max-steps "$SFT_STEPS" --batch-size 16 --learning-rate 1e-3 --lr-scheduler cosine --warmup-steps 60 \
    --save-steps 200

# every held-out question in one file, beside the per-category ones (image paths are relative)
cat "$OUT"/world/eval/{existence,counting,spatial,attributes,negation,grounding,description}.jsonl > "$OUT/world/eval/all.jsonl"

judge() {  # model folder, label
    $BIN generate --model "$1" --data "$OUT/world/eval/all.jsonl" --out "$OUT/answers-$2.jsonl" --max-new-tokens 40 --batch-size 32
    $BIN shapes judge --world "$OUT/world" --answers "$OUT/answers-$2.jsonl" | tail -n 9
}

echo "== 3. the SFT model on the held-out questions, judged by the oracle"
judge "$OUT/sft/model" sft

echo "== 4. DPO (full fine-tuning from SFT checkpoint #1, which is also the reference) on the world's preference pairs ($DPO_STEPS steps)"
# as many pairs as the steps use: the reference log-probs of every pair are computed up front
head -n $((DPO_STEPS * 8)) "$OUT/world/pairs/synthetic.jsonl" > "$OUT/world/pairs/demo.jsonl"
$BIN dpo --workspace "$OUT/ws" --checkpoint 1 --data "$OUT/world/pairs/demo.jsonl" --out "$OUT/dpo" \
    --max-steps "$DPO_STEPS" --batch-size 8 --learning-rate 1e-4 --beta 0.1 --cache-dir "$OUT/cache"

echo "== 5. the DPO model, judged again"
judge "$OUT/dpo/model" dpo
echo
echo "== 6. the lineage the workspace keeps ($OUT/ws; \`vlm-align checkpoints show 2 --workspace $OUT/ws\` for the settings)"
$BIN checkpoints lineage --workspace "$OUT/ws"
echo
echo "Metrics: $OUT/sft/metrics.jsonl, $OUT/dpo/metrics.jsonl; models: $OUT/sft/model, $OUT/dpo/model"
