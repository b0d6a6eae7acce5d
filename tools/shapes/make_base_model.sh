#!/usr/bin/env bash
# Reproduces models/shapesworld-base (MODEL_CARD.md there): a ShapesWorld of seed 7; the vision
# tower pretrained alone on what lies under each patch; the decoder taught to answer from each
# scene written as words (the text stage); then the connector and decoder trained on the world's
# clean questions with images, each image token also pulled toward the words of what lies under
# it (--image-words), the tower frozen; written in fp16. About an hour on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-.build/release/vlm-align}
WORK=${WORK:-.build-base}
OUT=${OUT:-models/shapesworld-base}
TEXT_STEPS=${TEXT_STEPS:-1500}
IMAGE_STEPS=${IMAGE_STEPS:-3000}
rm -rf "$WORK"
mkdir -p "$WORK"

$BIN shapes generate --out "$WORK/world" --seed 7 --train-scenes 8000 --eval-scenes 500 | tail -n 2
$BIN shapes pretrain --world "$WORK/world" --out "$WORK/pretrain" --steps 3000 --batch-size 32 --learning-rate 3e-3 \
    --warmup-steps 100 --seed 1
# the base answers the seven categories a pretrained VLM's instruction data covers; saying "there
# is no …" to an unanswerable question is left to the fine-tuning (docs/shapesworld.md)
for set in text sft; do
    grep -v '"category":"unanswerable"' "$WORK/world/$set/train.jsonl" > "$WORK/world/$set/base-train.jsonl"
done
$BIN sft --model "$WORK/pretrain/model" --data "$WORK/world/text/base-train.jsonl" --freeze-vision --out "$WORK/text" \
    --max-steps "$TEXT_STEPS" --batch-size 32 --learning-rate 1e-3 --lr-scheduler cosine --warmup-steps 100 --save-steps 500
$BIN sft --model "$WORK/text/model" --data "$WORK/world/sft/base-train.jsonl" --pack-by-image --freeze-vision --image-words 1 \
    --out "$WORK/sft" --max-steps "$IMAGE_STEPS" --batch-size 16 --learning-rate 1e-3 --lr-scheduler cosine --warmup-steps 100 \
    --save-steps 500
$BIN convert --model "$WORK/sft/model" --out "$OUT" --dtype f16
sha256sum "$OUT/model.safetensors"
