#!/usr/bin/env bash
# Reproduces models/shapesworld-base (MODEL_CARD.md there) on a ShapesWorld of seed 7, in the
# stages docs/shapesworld.md ("A base that sees") measured:
#   1. the vision tower pretrained alone on what lies under each patch;
#   2. the decoder taught to answer from each scene written as words (text/train.jsonl), first
#      every category the words answer, then the short answers alone (one answer token among a
#      description's thirty drowns the comparison they need);
#   3. the connector and decoder on the images' questions, the tower frozen, each image token
#      also pulled toward the words of what lies under it (--image-words): the short answers
#      first, then all seven categories;
#   4. written in fp16.
# A stage whose result is there already is kept (WORK=… to reuse one). About 40 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-.build/release/vlm-align}
WORK=${WORK:-.build-base}
OUT=${OUT:-models/shapesworld-base}
mkdir -p "$WORK"
W="$WORK/world"

[ -f "$W/world.json" ] || $BIN shapes generate --out "$W" --seed 7 --train-scenes 8000 --eval-scenes 500 | tail -n 2
[ -f "$WORK/pretrain/model/model.safetensors" ] || $BIN shapes pretrain --world "$W" --out "$WORK/pretrain" --steps 3000 \
    --batch-size 32 --learning-rate 3e-3 --warmup-steps 100 --seed 1

# the base answers the seven categories a pretrained VLM's instruction data covers; saying "there
# is no …" to an unanswerable question is left to the fine-tuning (docs/shapesworld.md)
categories() {  # file, categories…: the file's rows of those categories, in order
    local file=$1; shift
    grep -E "\"category\": ?\"($(IFS='|'; echo "$*"))\"" "$file"
}
categories "$W/text/train.jsonl" existence counting attributes negation description > "$W/text/base-all.jsonl"
categories "$W/text/train.jsonl" existence counting attributes > "$W/text/base-short.jsonl"
categories "$W/sft/train.jsonl" existence counting spatial attributes > "$W/sft/base-short.jsonl"
categories "$W/sft/train.jsonl" existence counting spatial attributes negation grounding description > "$W/sft/base-all.jsonl"

stage() {  # name, from, data, steps, batch size, options…
    local name=$1 from=$2 data=$3 steps=$4 batch=$5; shift 5
    [ -f "$WORK/$name/model/model.safetensors" ] && return
    rm -rf "$WORK/$name"
    $BIN sft --model "$from" --data "$data" --freeze-vision --out "$WORK/$name" --max-steps "$steps" --batch-size "$batch" \
        --learning-rate 1e-3 --lr-scheduler cosine --warmup-steps 100 --save-steps 500 "$@"
}
stage text-all "$WORK/pretrain/model" "$W/text/base-all.jsonl" 1500 32
stage text-short "$WORK/text-all/model" "$W/text/base-short.jsonl" 2000 64
stage image-short "$WORK/text-short/model" "$W/sft/base-short.jsonl" 2000 16 --pack-by-image --image-words 1
stage image-all "$WORK/image-short/model" "$W/sft/base-all.jsonl" "${IMAGE_STEPS:-3000}" 16 --pack-by-image --image-words 1
$BIN convert --model "$WORK/image-all/model" --out "$OUT" --dtype f16
sha256sum "$OUT/model.safetensors"
