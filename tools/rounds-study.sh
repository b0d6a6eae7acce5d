#!/usr/bin/env bash
# The two studies of docs/rounds.md, each the demo's loop (tools/demo.sh) under other settings:
#   tools/rounds-study.sh mining   uncertainty mining (every round edge-cases) vs random selection
#                                  (every round coverage: a stratified random draw) at the same pair
#                                  budget, 3 rounds, seeds 1 2 3
#   tools/rounds-study.sh noise    careful vs sloppy reviewers (overlap 1), and sloppy with overlap 2
#                                  and majority resolution, 3 rounds; every run measured on the
#                                  demo's held-out panel (tools/demo.sh's HELD_OUT_REVIEWERS), so
#                                  the yardstick is the same
# Each run goes to STUDY_OUT/NAME (default .build-study), and a table of preference accuracy and
# hallucination rate per round is printed and written to STUDY_OUT/STUDY.tsv. QUICK=1 runs the
# small demo. Runs the release build (`swift build -c release --product vlm-align` first).
set -euo pipefail
cd "$(dirname "$0")/.."
study=${1:?usage: tools/rounds-study.sh mining|noise}
OUT=${STUDY_OUT:-.build-study}
mkdir -p "$OUT"
runs=()
run() {  # name, then VAR=value settings for tools/demo.sh
    local name=$1
    shift
    echo "== $name: $*"
    env "$@" ROUNDS=3 DEMO_OUT="$OUT/$name" tools/demo.sh > "$OUT/$name.log" 2>&1 || { echo "$name failed: see $OUT/$name.log" >&2; exit 1; }
    runs+=("$name")
}
case "$study" in
mining)
    for seed in 1 2 3; do
        run "uncertain-seed$seed" GOALS=edge-cases SEED=$seed
        run "random-seed$seed" GOALS=coverage SEED=$seed
    done ;;
noise)
    run careful-overlap1 REVIEWERS=careful:1 OVERLAP=1 GOALS=coverage SEED=1
    run sloppy-overlap1 REVIEWERS=sloppy:1 OVERLAP=1 GOALS=coverage SEED=1
    run sloppy-overlap2 REVIEWERS=sloppy:2 OVERLAP=2 GOALS=coverage SEED=1 ;;
*)
    echo "tools/rounds-study.sh: unknown study \"$study\" (mining or noise)" >&2
    exit 2 ;;
esac
{
    printf 'run\tround\tpairs_total\tpreference_accuracy\thallucination_rate\n'
    for name in "${runs[@]}"; do
        jq -r --arg name "$name" '("\($name)\tSFT\t0\t-\t\(.sft.hallucination_rate)"),
            (.rounds[] | "\($name)\t\(.round)\t\(.pairs_total)\t\(.preference_accuracy)\t\(.hallucination_rate)")' "$OUT/$name/summary.json"
    done
} | tee "$OUT/$study.tsv" | column -t -s $'\t'
