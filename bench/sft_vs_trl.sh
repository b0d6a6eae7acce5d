#!/usr/bin/env bash
# SFT examples per second in steady state: vlm-align against TRL's SFTTrainer, same machine,
# thread count, model and data, in one run. Usage: bench/sft_vs_trl.sh [shapes|40m] [steps]
#   shapes: models/shapesworld-base on a ShapesWorld train set, batch 16; vlm-align packs a
#           scene's questions into one sequence (--pack-by-image), TRL runs one per sequence
#   40m:    the performance issue's 40.7M Idefics3 (bench/dpo_vs_trl.py), prompt + chosen
#           answer of its preference pairs, batch 4, one example per sequence on both sides
# Both sides' steady step is the median of the steps after the first two; vlm-align also counts
# the step's FLOPs and measures the machine's sgemm rate (`vlm-align bench sft`).
set -euo pipefail
cd "$(dirname "$0")/.."
test -x /usr/bin/time || { echo "$0 measures peak memory with /usr/bin/time: apt-get install time" >&2; exit 1; }
SIZE=${1:-shapes}
STEPS=${2:-10}
THREADS=$(nproc)
VENV=${VENV:-$(bench/setup-venv.sh)}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
swift build -c release --product vlm-align >/dev/null
BIN=.build/release/vlm-align
if [ "$SIZE" = shapes ]; then
    BATCH=16
    $BIN shapes generate --out "$WORK/world" --seed 7 --train-scenes $(((STEPS + 2) * BATCH * 2)) --eval-scenes 10 --pool-scenes 1 --rounds 1 >/dev/null
    MODEL=models/shapesworld-base
    DATA=$WORK/world/sft/train.jsonl
    PACK=--pack-by-image
else
    BATCH=4
    "$VENV/bin/python" bench/dpo_vs_trl.py prepare --folder "$WORK" --size "$SIZE" --pairs $(((STEPS + 2) * BATCH))
    "$VENV/bin/python" bench/sft_vs_trl.py from-pairs --data "$WORK/pairs.jsonl" --out "$WORK/sft.jsonl"
    MODEL=$WORK/policy
    DATA=$WORK/sft.jsonl
    PACK=
fi
ours=$(VLM_ALIGN_THREADS=$THREADS /usr/bin/time -f "%M" -o "$WORK/ours.rss" $BIN bench sft --model "$MODEL" --data "$DATA" \
    --batch-size $BATCH --steps "$STEPS" $PACK --json)
theirs=$("$VENV/bin/python" bench/sft_vs_trl.py trl --model "$MODEL" --data "$DATA" --steps $((STEPS + 2)) --batch $BATCH --threads "$THREADS" | tail -n 1)
echo "$ours"
echo "$theirs"
python3 bench/compare.py "$ours" "$theirs" "$(cat "$WORK/ours.rss")" examples_per_second peak_rss_mib
