#!/usr/bin/env bash
# A DPO optimizer step in steady state: vlm-align against TRL's DPOTrainer, same machine,
# thread count, model, data and batch, in one run; vlm-align also counts the step's FLOPs and
# measures the machine's sgemm rate. Usage: [BATCH=8] bench/dpo_vs_trl.sh [small|40m|medium] [steps] [--freeze-vision]
set -euo pipefail
cd "$(dirname "$0")/.."
test -x /usr/bin/time || { echo "$0 measures peak memory with /usr/bin/time: apt-get install time" >&2; exit 1; }
SIZE=${1:-small}
STEPS=${2:-8}
FREEZE=${3:-}
BATCH=${BATCH:-8}  # pairs a step: the performance issue's configuration
THREADS=$(nproc)
VENV=${VENV:-$(bench/setup-venv.sh)}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# two untimed steps first, on both sides
"$VENV/bin/python" bench/dpo_vs_trl.py prepare --folder "$WORK" --size "$SIZE" --pairs $(((STEPS + 2) * BATCH))
swift build -c release --product vlm-align >/dev/null
ours=$(VLM_ALIGN_THREADS=$THREADS /usr/bin/time -f "%M" -o "$WORK/ours.rss" .build/release/vlm-align bench dpo \
    --model "$WORK/policy" --ref-model "$WORK/reference" --data "$WORK/pairs.jsonl" --batch-size $BATCH --steps "$STEPS" --json $FREEZE)
theirs=$("$VENV/bin/python" bench/dpo_vs_trl.py trl --folder "$WORK" --steps $((STEPS + 2)) --batch $BATCH --threads "$THREADS" ${FREEZE:+--freeze-vision} | tail -n 1)
echo "$ours"
echo "$theirs"
python3 bench/compare.py "$ours" "$theirs" "$(cat "$WORK/ours.rss")" step_seconds_median steps_per_second peak_rss_mib
