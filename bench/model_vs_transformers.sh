#!/usr/bin/env bash
# Prefill and generation of a random SmolVLM-256M- or Qwen2-VL-2B-shaped model: vlm-align against transformers,
# same machine, same thread count, one run. Usage: bench/model_vs_transformers.sh [smolvlm-256m|tiny|qwen2-vl-2b|qwen2-vl-tiny]
set -euo pipefail
cd "$(dirname "$0")/.."
SHAPE=${1:-smolvlm-256m}
THREADS=$(nproc)
VENV=$(bench/setup-venv.sh)
swift build -c release --product vlm-align >/dev/null
ours=$(VLM_ALIGN_THREADS=$THREADS .build/release/vlm-align bench model --shape "$SHAPE" --json)
theirs=$("$VENV/bin/python" bench/transformers_generate.py --shape "$SHAPE" --threads "$THREADS" | tail -n 1)
echo "$ours"
echo "$theirs"
python3 - "$ours" "$theirs" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"{'':32}{'vlm-align':>12}{'transformers':>14}{'ratio':>8}")
for key in ["prefill_tokens_per_second", "generated_tokens_per_second", "peak_rss_mib"]:
    print(f"{key:32}{a[key]:12.1f}{b[key]:14.1f}{a[key] / b[key]:8.2f}")
PY
