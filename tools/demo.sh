#!/usr/bin/env bash
# make demo: alignment on ShapesWorld, a world whose truth is known. The shipped base model sees;
# fine-tuning it on data with the label noise of web captions makes it hallucinate; DPO on
# preference pairs of its own answers, judged by the oracle through a noisy expert, fixes that.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/vlm-align
OUT=${DEMO_OUT:-.build-demo}
BASE=models/shapesworld-base
SFT_STEPS=${SFT_STEPS:-600}
DPO_EPOCHS=${DPO_EPOCHS:-2}
rm -rf "$OUT"
mkdir -p "$OUT"

echo "== 1. a ShapesWorld whose fine-tuning set has the label noise of web data (docs/shapesworld.md)"
$BIN shapes generate --out "$OUT/world" --seed 7 --train-scenes 4000 --eval-scenes 200 --pool-scenes 400 --rounds 1 \
    --label-noise web | tail -n 2
cat "$OUT"/world/eval/*.jsonl > "$OUT/world/all-eval.jsonl.tmp" && mv "$OUT/world/all-eval.jsonl.tmp" "$OUT/world/eval/all.jsonl"

echo "== 2. the base model that sees: $BASE, checked against its card"
expected=$(sed -n 's/^- model.safetensors sha256: //p' "$BASE/MODEL_CARD.md")
actual=$(sha256sum "$BASE/model.safetensors" | cut -d' ' -f1)
if [ "$expected" != "$actual" ]; then
    echo "$BASE/model.safetensors: sha256 $actual, but MODEL_CARD.md says $expected" >&2
    exit 1
fi
$BIN init "$OUT/ws" >/dev/null
$BIN import model "$BASE" --workspace "$OUT/ws" --name shapesworld-base

judge() {  # model folder, label: the table shown, the JSON kept for summary.json
    $BIN generate --model "$1" --data "$OUT/world/eval/all.jsonl" --out "$OUT/answers-$2.jsonl" --max-new-tokens 48 --batch-size 64
    $BIN shapes judge --world "$OUT/world" --answers "$OUT/answers-$2.jsonl" --json > "$OUT/judge-$2.json"
    $BIN shapes judge --world "$OUT/world" --answers "$OUT/answers-$2.jsonl" | tail -n 10
}

echo "== 3. SFT of the base on the noisy set ($SFT_STEPS steps of 16 scenes, the vision tower frozen)"
$BIN sft --workspace "$OUT/ws" --checkpoint 1 --data "$OUT/world/sft/train.jsonl" --pack-by-image --freeze-vision \
    --out "$OUT/sft" --max-steps "$SFT_STEPS" --batch-size 16 --learning-rate 5e-4 --lr-scheduler cosine --warmup-steps 50 \
    --save-steps 200

echo "== 4. the SFT model on held-out questions, judged by the oracle: right on the whole, but it hallucinates"
judge "$OUT/sft/model" sft

echo "== 5. preference pairs: two sampled answers per prompt of a fresh pool, judged by the oracle through an expert who flips 10%"
pairs() {  # prompt file, output, sampler seeds A and B, expert seed: the oracle's verdicts through the noisy expert
    $BIN generate --model "$OUT/sft/model" --data "$1" --out "$OUT/samples-a.jsonl" --temperature 1 --seed "$3" \
        --max-new-tokens 48 --batch-size 64
    $BIN generate --model "$OUT/sft/model" --data "$1" --out "$OUT/samples-b.jsonl" --temperature 1 --seed "$4" \
        --max-new-tokens 48 --batch-size 64
    $BIN shapes judge --world "$OUT/world" --answers "$OUT/samples-a.jsonl" --versus "$OUT/samples-b.jsonl" \
        --preferences "$2" --flip-rate 0.1 --seed "$5" | tail -n 2
}
pairs "$OUT/world/pools/round-1.jsonl" "$OUT/preferences.jsonl" 1 2 1
# the same for the held-out questions: expert pairs never trained on, for preference accuracy
pairs "$OUT/world/eval/all.jsonl" "$OUT/heldout-pairs.jsonl" 3 4 2 >/dev/null

echo "== 6. DPO from the SFT checkpoint (#2, also the reference) on those pairs ($DPO_EPOCHS epochs; RPO: an NLL term on the chosen answers keeps them likely)"
$BIN dpo --workspace "$OUT/ws" --checkpoint 2 --data "$OUT/preferences.jsonl" --out "$OUT/dpo" --epochs "$DPO_EPOCHS" \
    --batch-size 8 --learning-rate 5e-5 --beta 0.1 --rpo-alpha 1 --lr-scheduler cosine --warmup-steps 10 --cache-dir "$OUT/cache"

echo "== 7. the DPO model, judged again; the three alignment metrics on held-out expert pairs"
judge "$OUT/dpo/model" dpo
$BIN eval --workspace "$OUT/ws" --checkpoint 3 --pairs "$OUT/heldout-pairs.jsonl" --prompts "$OUT/world/eval/all.jsonl" \
    --world "$OUT/world" --record --json > "$OUT/eval-dpo.json"
jq -r '"preference accuracy \(.preference_accuracy.value * 1000 | round / 1000) on \(.pairs) held-out pairs, reward margin \(.reward_margin.value * 10000 | round / 10000), KL \(.kl.value * 10000 | round / 10000) per token"' "$OUT/eval-dpo.json"

# summary.json (../shared/DESIGN.md): the SFT model, and the DPO step as the one round so far
jq -n --slurpfile sft "$OUT/judge-sft.json" --slurpfile dpo "$OUT/judge-dpo.json" --slurpfile ev "$OUT/eval-dpo.json" \
    --argjson pairs "$(wc -l < "$OUT/preferences.jsonl")" '
    def accuracy(j): (j.categories | map({(.category): .accuracy}) | add) + {all: j.overall.accuracy};
    {sft: {accuracy: accuracy($sft[0]), hallucination_rate: $sft[0].overall.hallucination_rate},
     rounds: [{round: 1, goal: "coverage", pairs: $pairs, pairs_total: $pairs,
               preference_accuracy: $ev[0].preference_accuracy.value, reward_margin: $ev[0].reward_margin.value,
               kl: $ev[0].kl.value, accuracy: accuracy($dpo[0]), hallucination_rate: $dpo[0].overall.hallucination_rate}],
     converged: ($ev[0].preference_accuracy.value >= 0.85)}' > "$OUT/summary.json"
echo
echo "== 8. the lineage the workspace keeps ($OUT/ws; \`vlm-align checkpoints show 3 --workspace $OUT/ws\` for the settings)"
$BIN checkpoints lineage --workspace "$OUT/ws"
echo
echo "== 9. one HTML report of the workspace: training curves, the metrics recorded, lineage"
$BIN report --workspace "$OUT/ws" --out "$OUT/report.html"
echo
echo "Summary: $OUT/summary.json; metrics: $OUT/sft/metrics.jsonl, $OUT/dpo/metrics.jsonl; models: $OUT/sft/model, $OUT/dpo/model"
