#!/usr/bin/env bash
# make fuzz: every parser of untrusted input under libFuzzer, seeded with the committed fixtures.
# FUZZ_SECONDS per target (default 60); corpora and findings in .build-fuzz/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
# Swift's own crash handler would take the signal before libFuzzer saves the input that caused it
export SWIFT_BACKTRACE=enable=no
OUT=.build-fuzz
swift build --package-path fuzz -c release --sanitize fuzzer -Xswiftc -parse-as-library
BIN=fuzz/.build/release

seed() {  # target, files…
    mkdir -p "$OUT/$1/corpus" "$OUT/$1/crashes"
    shift_target=$1; shift
    for f in "$@"; do [ -f "$f" ] && cp "$f" "$OUT/$shift_target/corpus/$(basename "$(dirname "$f")")-$(basename "$f")"; done
    return 0
}
seed FuzzJSON Tests/TokenizationTests/Fixtures/*/tokenizer.json Tests/VLMTests/Fixtures/models/*/config.json
seed FuzzTokenizer Tests/TokenizationTests/Fixtures/*/tokenizer.json
seed FuzzJinja Tests/TokenizationTests/Fixtures/chat_templates/*.jinja
seed FuzzImage Tests/VLMTests/Fixtures/images/*.png Tests/VLMTests/Fixtures/images/*.jpg
seed FuzzSafetensors Tests/VLMTests/Fixtures/models/*/model.safetensors Tests/TrainingTests/Fixtures/trl/lora/adapter_model.safetensors
seed FuzzConfig Tests/VLMTests/Fixtures/models/*/config.json Tests/TrainingTests/Fixtures/trl/policy/config.json
seed FuzzJSONL Tests/TrainingTests/Fixtures/trl/pairs.jsonl Tests/TrainingTests/Fixtures/trl-sft/*.jsonl
seed FuzzAnswers Tests/TrainingTests/Fixtures/trl/pairs.jsonl

printf "%-16s %12s %10s %s\n" target executions seconds result
status=0
for target in FuzzJSON FuzzTokenizer FuzzJinja FuzzImage FuzzSafetensors FuzzConfig FuzzJSONL FuzzAnswers; do
    log="$OUT/$target/log.txt"
    if "$BIN/$target" "$OUT/$target/corpus" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=4096 -max_len=1048576 \
        -artifact_prefix="$OUT/$target/crashes/" -print_final_stats=1 > "$log" 2>&1; then result=ok; else result="FINDING (see $log)"; status=1; fi
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    printf "%-16s %12s %10s %s\n" "$target" "$runs" "$SECONDS_EACH" "$result"
done
exit $status
