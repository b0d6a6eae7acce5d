#!/usr/bin/env bash
# A DPO optimizer step in steady state: vlm-align against TRL's DPOTrainer, same machine,
# thread count, model, data and batch, in one run; vlm-align also counts the step's FLOPs and
# measures the machine's sgemm rate. Usage: bench/dpo_vs_trl.sh [small|40m|medium] [steps] [--freeze-vision]
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-small}
STEPS=${2:-8}
FREEZE=${3:-}
BATCH=4
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
python3 - "$ours" "$theirs" "$(cat "$WORK/ours.rss")" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
a["peak_rss_mib"] = int(sys.argv[3]) / 1024  # the whole process, as TRL's
print(f"{'':24}{'vlm-align':>12}{'TRL':>12}{'ratio':>8}")
for key in ["step_seconds_median", "steps_per_second", "peak_rss_mib"]:
    print(f"{key:24}{a[key]:12.3f}{b[key]:12.3f}{a[key] / b[key]:8.2f}")
print(f"vlm-align: {a['gemm_gflop_per_step']:.1f} GFLOP of products a step at {a['gflops']:.1f} GFLOP/s = "
      f"{100 * a['share_of_sgemm_peak']:.0f}% of sgemm's {a['sgemm_peak_gflops']:.1f} GFLOP/s ({a['blas']} kernels); "
      f"the same products alone: {a['same_products_alone_gflops']:.1f} GFLOP/s; products {100 * a['gemm_share_of_step']:.0f}% of the step")
PY
