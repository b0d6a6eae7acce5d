#!/usr/bin/env bash
# DPO optimizer steps per second: vlm-align against TRL's DPOTrainer, same machine, thread
# count, model, data and batch, in one run. Usage: bench/dpo_vs_trl.sh [small|medium] [steps] [--freeze-vision]
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-small}
STEPS=${2:-8}
FREEZE=${3:-}
THREADS=$(nproc)
VENV=$(bench/setup-venv.sh)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$VENV/bin/python" bench/dpo_vs_trl.py prepare --folder "$WORK" --size "$SIZE" --pairs $((STEPS * 4))
swift build -c release --product vlm-align >/dev/null
start=$(date +%s.%N)
VLM_ALIGN_THREADS=$THREADS .build/release/vlm-align dpo --model "$WORK/policy" --ref-model "$WORK/reference" \
    --data "$WORK/pairs.jsonl" --out "$WORK/ours" --max-steps "$STEPS" --batch-size 4 --learning-rate 1e-5 \
    --allow-no-sft --cache-dir "$WORK/cache" --save-steps 100000 --json $FREEZE > "$WORK/ours.log"
end=$(date +%s.%N)
ours=$(python3 - "$WORK/ours.log" "$start" "$end" "$STEPS" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
steps = int(sys.argv[4]); wall = float(sys.argv[3]) - float(sys.argv[2])
summary = [l for l in lines if "peak_rss_mib" in l][-1]
print(json.dumps({"engine": "vlm-align", "steps": steps, "seconds": wall, "steps_per_second": steps / wall,
                  "peak_rss_mib": summary["peak_rss_mib"]}))
PY
)
theirs=$("$VENV/bin/python" bench/dpo_vs_trl.py trl --folder "$WORK" --steps "$STEPS" --batch 4 --threads "$THREADS" ${FREEZE:+--freeze-vision} | tail -n 1)
echo "$ours"
echo "$theirs"
python3 - "$ours" "$theirs" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"{'':20}{'vlm-align':>12}{'TRL':>12}{'ratio':>8}")
for key in ["steps_per_second", "peak_rss_mib"]:
    print(f"{key:20}{a[key]:12.3f}{b[key]:12.3f}{a[key] / b[key]:8.2f}")
PY
