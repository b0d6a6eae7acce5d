# The two commands of the README. Both install what they need first.
DEBIAN_PACKAGES := libopenblas-dev pkg-config libpng-dev libjpeg-dev libsqlite3-dev

.PHONY: demo test deps

deps:
	@command -v swift >/dev/null || { echo "vlm-align needs Swift 6 (swift.org) on the PATH" >&2; exit 1; }
	@tools/ensure-debian-packages.sh $(DEBIAN_PACKAGES)

# The largest part of the loop that works end to end: ShapesWorld, SFT from scratch, the
# oracle's judgement, DPO, the judgement again (tools/demo.sh).
demo: deps
	swift build -c release --product vlm-align
	tools/demo.sh

test: deps
	swift build --build-tests
	swift test
