#!/usr/bin/env bash
# make demo: alignment rounds on ShapesWorld, a world whose truth is known. The shipped base model
# sees; fine-tuning it on data with the label noise of web captions and hurried annotators makes
# it hallucinate and err in every category; rounds of DPO on pairs of its own answers, reviewed by
# simulated experts (the oracle behind them), fix that. `make demo QUICK=1` runs the same loop small (the test suite runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/vlm-align}
OUT=${DEMO_OUT:-.build-demo}
BASE=models/shapesworld-base
if [ "${QUICK:-0}" != 0 ]; then
    TRAIN_SCENES=1000 EVAL_SCENES=40 POOL_SCENES=60 SFT_STEPS=${SFT_STEPS:-100} PAIRS=${PAIRS:-120} DPO_EPOCHS=${DPO_EPOCHS:-1}
else
    TRAIN_SCENES=4000 EVAL_SCENES=200 POOL_SCENES=300 SFT_STEPS=${SFT_STEPS:-600} PAIRS=${PAIRS:-500} DPO_EPOCHS=${DPO_EPOCHS:-1}
fi
ROUNDS=${ROUNDS:-4}
REVIEWERS=${REVIEWERS:-careful:2,sloppy:1}
OVERLAP=${OVERLAP:-1}
# the held-out expert pairs, the yardstick every round is measured with: the same panel whatever
# REVIEWERS trains on, every pair by all three, majority
HELD_OUT_REVIEWERS=${HELD_OUT_REVIEWERS:-careful:2,sloppy:1}
HELD_OUT_OVERLAP=${HELD_OUT_OVERLAP:-3}
DATA=${DATA:-cumulative}
REFERENCE=${REFERENCE:-parent}
GOALS=${GOALS:-coverage,edge-cases,failures,convergence}
DPO_LR=${DPO_LR:-2e-5}
SEED=${SEED:-0}
rm -rf "$OUT"
mkdir -p "$OUT"
started=$(date +%s)

echo "== 1. a ShapesWorld whose fine-tuning set has the label noise of web data and hurried annotators (docs/shapesworld.md)"
$BIN shapes generate --out "$OUT/world" --seed 7 --train-scenes "$TRAIN_SCENES" --eval-scenes "$EVAL_SCENES" \
    --pool-scenes "$POOL_SCENES" --rounds "$ROUNDS" --label-noise crowd | tail -n 2
cat "$OUT"/world/eval/*.jsonl > "$OUT/world/all-eval.jsonl.tmp" && mv "$OUT/world/all-eval.jsonl.tmp" "$OUT/world/eval/all.jsonl"
# the held-out prompts as a prompt pool (every other one): their pairs, reviewed once, are the
# expert pairs every round is measured on and none trains on
jq -c 'select(input_line_number % 2 == 1) | {id, images, category, tags, split: "held-out",
       text: ([.prompt[0].content[] | select(.type == "text") | .text] | join(" "))}' \
    "$OUT/world/eval/all.jsonl" > "$OUT/world/pools/held-out.jsonl"

echo "== 2. the base model that sees: $BASE, checked against its card"
expected=$(sed -n 's/^- model.safetensors sha256: //p' "$BASE/MODEL_CARD.md")
actual=$(sha256sum "$BASE/model.safetensors" | cut -d' ' -f1)
if [ "$expected" != "$actual" ]; then
    echo "$BASE/model.safetensors: sha256 $actual, but MODEL_CARD.md says $expected" >&2
    exit 1
fi
$BIN init "$OUT/ws" >/dev/null
$BIN import model "$BASE" --workspace "$OUT/ws" --name shapesworld-base

echo "== 3. SFT of the base on the noisy set ($SFT_STEPS steps of 16 scenes, the vision tower frozen)"
$BIN sft --workspace "$OUT/ws" --checkpoint 1 --data "$OUT/world/sft/train.jsonl" --pack-by-image --freeze-vision \
    --out "$OUT/sft" --max-steps "$SFT_STEPS" --batch-size 16 --learning-rate 5e-4 --lr-scheduler cosine --warmup-steps 50 \
    --save-steps 200 | tail -n 3

echo "== 4. the SFT model on held-out questions, judged by the oracle: right on the whole, but it hallucinates"
$BIN generate --model "$OUT/sft/model" --data "$OUT/world/eval/all.jsonl" --out "$OUT/answers-sft.jsonl" --max-new-tokens 48 --batch-size 64
$BIN shapes judge --world "$OUT/world" --answers "$OUT/answers-sft.jsonl" --json > "$OUT/judge-sft.json"
$BIN shapes judge --world "$OUT/world" --answers "$OUT/answers-sft.jsonl" | tail -n 10

echo "== 5. $ROUNDS rounds from the SFT checkpoint: $PAIRS pairs each, reviewed by $REVIEWERS (overlap $OVERLAP), DPO on the"
echo "   $DATA pairs; the held-out expert pairs every round is measured on: $HELD_OUT_REVIEWERS, $HELD_OUT_OVERLAP to a pair, majority"
pools=()
for n in $(seq 1 "$ROUNDS"); do pools+=(--prompts "$OUT/world/pools/round-$n.jsonl"); done
$BIN align --workspace "$OUT/ws" --rounds "$ROUNDS" --goals "$GOALS" --sample-seed "$SEED" --review-seed "$SEED" "${pools[@]}" --held-out "$OUT/world/pools/held-out.jsonl" \
    --pairs "$PAIRS" --world "$OUT/world" --reviewers "$REVIEWERS" --overlap "$OVERLAP" \
    --held-out-reviewers "$HELD_OUT_REVIEWERS" --held-out-overlap "$HELD_OUT_OVERLAP" --eval-prompts "$OUT/world/eval/all.jsonl" \
    --data "$DATA" --reference "$REFERENCE" --epochs "$DPO_EPOCHS" --batch-size 8 --learning-rate "$DPO_LR" --beta 0.1 --rpo-alpha 1 --lr-scheduler cosine \
    --warmup-steps 10 --save-steps 200

# summary.json (../shared/DESIGN.md): the SFT model, then each round
$BIN round status --workspace "$OUT/ws" --json > "$OUT/status.json"
jq -n --slurpfile sft "$OUT/judge-sft.json" --slurpfile status "$OUT/status.json" '
    def accuracy(j): (j.categories | map({(.category): .accuracy}) | add) + {all: j.overall.accuracy};
    {sft: {accuracy: accuracy($sft[0]), hallucination_rate: $sft[0].overall.hallucination_rate},
     rounds: [$status[0].rounds[] | {round, goal, pairs, pairs_total, preference_accuracy, reward_margin, kl, accuracy,
                                     hallucination_rate}],
     converged: $status[0].converged}' > "$OUT/summary.json"
echo
echo "== 6. the lineage the workspace keeps ($OUT/ws; \`vlm-align round status --workspace $OUT/ws\`, \`vlm-align checkpoints show N\`)"
$BIN checkpoints lineage --workspace "$OUT/ws"
echo
echo "== 7. what the last checkpoint still gets wrong on the held-out expert pairs"
$BIN failures --workspace "$OUT/ws" --clusters 4 --examples 1
echo
$BIN report --workspace "$OUT/ws" --out "$OUT/report.html"
echo "Summary: $OUT/summary.json; workspace: $OUT/ws (candidates, pairs, verdicts, dataset versions, checkpoints);"
echo "rounds: $OUT/ws/rounds/round-N/train (metrics.jsonl, model); report: $OUT/report.html; $(( $(date +%s) - started )) s"
