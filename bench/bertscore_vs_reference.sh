#!/bin/sh
# BERTScore over N answer pairs and all-MiniLM-L6-v2 embedding throughput: vlm-align beside
# bert-score and sentence-transformers on the same machine and files (docs/benchmarks.md).
# Usage: bench/bertscore_vs_reference.sh PYTHON [N] [THREADS]
#   PYTHON: a venv's python with tools/fixtures/requirements-evaluation.txt installed.
# vlm-align: the built binary (VLM_ALIGN, default .build/debug/vlm-align; its numerical modules
# are compiled -O in every configuration), threads = VLM_ALIGN_THREADS = THREADS.
set -eu
PYTHON=$1
N=${2:-1000}
THREADS=${3:-2}
CLI=${VLM_ALIGN:-.build/debug/vlm-align}
OUT=${OUT:-.build-bench/bertscore}
"$PYTHON" bench/bertscore_vs_reference.py pairs "$OUT" "$N"
echo "vlm-align eval text ($N pairs; all metrics, BERTScore the bulk), $THREADS threads:"
start=$(date +%s.%N)
VLM_ALIGN_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS "$CLI" eval text --hypotheses "$OUT/hypotheses.jsonl" --references "$OUT/references.jsonl" --json
end=$(date +%s.%N)
echo "seconds: $(echo "$end - $start" | bc)"
echo "vlm-align embed ($((2 * N)) texts):"
start=$(date +%s.%N)
cat "$OUT/hypotheses.jsonl" "$OUT/references.jsonl" | VLM_ALIGN_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS "$CLI" embed > "$OUT/embeddings.jsonl"
end=$(date +%s.%N)
echo "seconds: $(echo "$end - $start" | bc)"
echo "bert-score and sentence-transformers:"
"$PYTHON" bench/bertscore_vs_reference.py reference "$OUT" "$THREADS"
