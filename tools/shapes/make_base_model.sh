#!/usr/bin/env bash
# Reproduces models/shapesworld-base (MODEL_CARD.md there): a ShapesWorld of seed 7, the vision
# tower pretrained alone on what lies under each patch, then the connector and decoder trained on
# the world's clean questions with the tower frozen, written in fp16. About 40 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-.build/release/vlm-align}
WORK=${WORK:-.build-base}
OUT=${OUT:-models/shapesworld-base}
rm -rf "$WORK"
mkdir -p "$WORK"

$BIN shapes generate --out "$WORK/world" --seed 7 --train-scenes 8000 --eval-scenes 500 | tail -n 2
$BIN shapes pretrain --world "$WORK/world" --out "$WORK/pretrain" --steps 3000 --batch-size 32 --learning-rate 3e-3 \
    --warmup-steps 100 --seed 1
# the base answers the seven categories a pretrained VLM's instruction data covers; saying "there
# is no …" to an unanswerable question is left to the fine-tuning (docs/shapesworld.md)
grep -v '"category":"unanswerable"' "$WORK/world/sft/train.jsonl" > "$WORK/world/sft/base-train.jsonl"
$BIN sft --model "$WORK/pretrain/model" --data "$WORK/world/sft/base-train.jsonl" --pack-by-image --freeze-vision --out "$WORK/sft" \
    --max-steps 4000 --batch-size 16 --learning-rate 1e-3 --lr-scheduler cosine --warmup-steps 100 --save-steps 500
$BIN convert --model "$WORK/sft/model" --out "$OUT" --dtype f16
sha256sum "$OUT/model.safetensors"
