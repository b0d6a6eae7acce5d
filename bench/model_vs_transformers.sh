#!/usr/bin/env bash
# Prefill and generation of a random SmolVLM-256M- or Qwen2-VL-2B-shaped model: vlm-align against transformers,
# same machine, same thread count, one run. Usage: bench/model_vs_transformers.sh [smolvlm-256m|tiny|qwen2-vl-2b|qwen2-vl-tiny] [BATCH]
# (BATCH > 1: that many copies of the prompt sampled at temperature 1, as the rounds sample candidates)
set -euo pipefail
cd "$(dirname "$0")/.."
SHAPE=${1:-smolvlm-256m}
BATCH=${2:-1}
THREADS=$(nproc)
VENV=$(bench/setup-venv.sh)
swift build -c release --product vlm-align >/dev/null
ours=$(VLM_ALIGN_THREADS=$THREADS .build/release/vlm-align bench model --shape "$SHAPE" --batch "$BATCH" --json)
theirs=$("$VENV/bin/python" bench/transformers_generate.py --shape "$SHAPE" --batch "$BATCH" --threads "$THREADS" | tail -n 1)
echo "$ours"
echo "$theirs"
python3 - "$ours" "$theirs" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"{'':32}{'vlm-align':>12}{'transformers':>14}{'ratio':>8}")
for key in ["prefill_tokens_per_second", "generated_tokens_per_second", "peak_rss_mib"]:
    print(f"{key:32}{a[key]:12.1f}{b[key]:14.1f}{a[key] / b[key]:8.2f}")
if "share_of_bandwidth_limit" in a:
    limit = a["bandwidth_limit_tokens_per_second"]
    print(f"copy bandwidth {a['copy_bandwidth_gb_per_second']:.1f} GB/s over {a['decode_weight_mb']:.0f} MB of decoder weights: "
          f"limit {limit:.1f} tokens/s; vlm-align {a['generated_tokens_per_second'] / limit:.0%} of it, "
          f"transformers {b['generated_tokens_per_second'] / limit:.0%}")
PY
