#!/usr/bin/env bash
# The Python environment the comparison benchmarks run transformers / TRL in (never needed by
# vlm-align itself). VENV defaults to ~/.cache/vlm-align/bench-venv; an existing one is reused.
set -euo pipefail
VENV=${VENV:-$HOME/.cache/vlm-align/bench-venv}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    # PyPI's default torch wheel bundles CUDA (~6 GB); a CPU build, where one is offered, works the same here.
    "$VENV/bin/pip" install -q torch transformers trl peft datasets pillow
fi
echo "$VENV"
