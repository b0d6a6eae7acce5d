#!/usr/bin/env bash
# The measurements of docs/shapesworld.md's "A base that sees" section, on the 1,500 scenes of a
# world of another seed (none trained on; the seed-7 world's 500 eval scenes chose DPO's settings):
#   1. the shipped base after a short SFT on the clean world (its abilities; the shape it names in
#      scenes of one object, a world of its own),
#   2. the same SFT on the world with label noise (the flawed model the demo aligns),
#   3. DPO of the flawed model on oracle-judged pairs of its own sampled answers, 10% of the
#      verdicts flipped as a noisy expert would, topped up with negation pairs from two more
#      samples (at most DPO_PAIRS in all).
# Each model's answers are judged by the oracle per category (tables in $WORK/*.txt).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-.build/release/vlm-align}
BASE=${BASE:-models/shapesworld-base}
WORK=${WORK:-.build-measure}
SFT_STEPS=${SFT_STEPS:-1000}
DPO_PAIRS=${DPO_PAIRS:-2000}
DPO_EPOCHS=${DPO_EPOCHS:-1}
DPO_LR=${DPO_LR:-7e-6}
STEPS=${STEPS:-base,clean,noisy,dpo}
mkdir -p "$WORK"

world() {  # name, generate options
    [ -f "$WORK/$1/world.json" ] && return
    $BIN shapes generate --out "$WORK/$1" "${@:2}" | tail -n 1
    cat "$WORK/$1"/eval/*.jsonl > "$WORK/$1/eval/all.jsonl.tmp" && mv "$WORK/$1/eval/all.jsonl.tmp" "$WORK/$1/eval/all.jsonl"
    cat "$WORK/$1"/pools/round-*.jsonl > "$WORK/$1/pools/all.jsonl"
}
sft() {  # world, run name (kept when it is there: WORK=… reuses)
    [ -f "$WORK/$2/model/model.safetensors" ] && return
    $BIN sft --model "$BASE" --data "$WORK/$1/sft/train.jsonl" --pack-by-image --freeze-vision --out "$WORK/$2" \
        --max-steps "$SFT_STEPS" --batch-size 16 --learning-rate 5e-4 --lr-scheduler cosine --warmup-steps 50 --save-steps 500
}
judge() {  # model folder, label: on the test world's 1,500 scenes
    $BIN generate --model "$1" --data "$WORK/test/eval/all.jsonl" --out "$WORK/answers-$2.jsonl" --max-new-tokens 48 --batch-size 64
    $BIN shapes judge --world "$WORK/test" --answers "$WORK/answers-$2.jsonl" | tail -n 10 | tee "$WORK/judge-$2.txt"
}

shape_of_one() {  # model folder, label: the shape its descriptions of scenes of one object name first
    $BIN generate --model "$1" --data "$WORK/single/eval/description.jsonl" --out "$WORK/single-$2.jsonl" --max-new-tokens 48 --batch-size 64
    jq -rn --slurpfile answers "$WORK/single-$2.jsonl" --slurpfile truth "$WORK/single/eval/description.jsonl" '
        def shape: ascii_downcase | rtrimstr(".") | split(" and ")[0] | split(", ")[0] | split(" ") | last;
        (INDEX($truth[]; .id) | map_values(.completion[0].content[0].text | shape)) as $shape
        | [$answers[] | (.answer | shape) == $shape[.id]] as $right
        | "single-object shape in descriptions: \($right | map(select(.)) | length) of \($right | length) right"' \
        | tee "$WORK/shape-$2.txt"
}

trained=(--seed 7 --train-scenes 8000 --eval-scenes 500 --pool-scenes 300 --rounds 3)
world clean "${trained[@]}"
world noisy "${trained[@]}" --label-noise web
world test --seed 8 --train-scenes 10 --eval-scenes 1500 --pool-scenes 1 --rounds 1  # the test scenes: another seed's
world single --seed 9 --max-objects 1 --train-scenes 10 --eval-scenes 500 --pool-scenes 1 --rounds 1
case ",$STEPS," in *,base,*) judge "$BASE" base ;; esac
case ",$STEPS," in *,clean,*) sft clean sft-clean && judge "$WORK/sft-clean/model" sft-clean && shape_of_one "$WORK/sft-clean/model" sft-clean ;; esac
case ",$STEPS," in *,noisy,*) sft noisy sft-noisy && judge "$WORK/sft-noisy/model" sft-noisy ;; esac
case ",$STEPS," in *,dpo,*)
    sample() {  # seed: the noisy model's answers to every pool prompt, sampled
        $BIN generate --model "$WORK/sft-noisy/model" --data "$WORK/noisy/pools/all.jsonl" --out "$WORK/samples-$1.jsonl" \
            --temperature 1 --seed "$1" --max-new-tokens 48 --batch-size 64
    }
    # two sampled answers per pool prompt; the oracle's verdicts through a noisy expert
    sample 1
    sample 2
    $BIN shapes judge --world "$WORK/noisy" --answers "$WORK/samples-1.jsonl" --versus "$WORK/samples-2.jsonl" \
        --preferences "$WORK/preferences-all.jsonl" \
        --flip-rate 0.1 --seed 1 | tail -n 6
    # DPO learns from those pairs that shorter lists win (most description pairs reject an added
    # companion object) and drops real objects from negation lists: two more answers per prompt,
    # each compared with one of the first two, give negation pairs that reward the whole list
    for seed in 3 4; do
        sample "$seed"
        $BIN shapes judge --world "$WORK/noisy" --answers "$WORK/samples-$((seed - 2)).jsonl" --versus "$WORK/samples-$seed.jsonl" \
            --preferences "$WORK/preferences-$seed.jsonl" --flip-rate 0.1 --seed "$seed" | tail -n 1
    done
    { grep -h -- '-negation"' "$WORK/preferences-3.jsonl" "$WORK/preferences-4.jsonl" | awk '!seen[$0]++' \
        | grep -vxFf "$WORK/preferences-all.jsonl" || true; } > "$WORK/preferences-negation.jsonl"
    cat "$WORK/preferences-all.jsonl" "$WORK/preferences-negation.jsonl" > "$WORK/preferences-joined.jsonl"
    head -n "$DPO_PAIRS" "$WORK/preferences-joined.jsonl" > "$WORK/preferences.jsonl"
    rm -rf "$WORK/dpo"
    $BIN dpo --model "$WORK/sft-noisy/model" --data "$WORK/preferences.jsonl" --out "$WORK/dpo" --epochs "$DPO_EPOCHS" \
        --batch-size 8 --learning-rate "$DPO_LR" --beta 0.1 --rpo-alpha 1 --lr-scheduler cosine --warmup-steps 10 --cache-dir "$WORK/cache"
    judge "$WORK/dpo/model" dpo
;; esac
