# The two commands of the README. Both install what they need first.
DEBIAN_PACKAGES := libopenblas-dev pkg-config libpng-dev libjpeg-dev libsqlite3-dev

.PHONY: demo test deps

deps:
	@command -v swift >/dev/null || { echo "vlm-align needs Swift 6 (swift.org) on the PATH" >&2; exit 1; }
	@tools/ensure-debian-packages.sh $(DEBIAN_PACKAGES)

# The end-to-end alignment demo does not exist yet: until it does, the demo is the largest part
# that works, the tensor engine measured against the machine.
demo: deps
	swift build -c release --product vlm-align
	@echo
	@echo "== vlm-align demo: the end-to-end alignment loop is not built yet; this runs the largest"
	@echo "== part that works: the tensor engine's kernels, measured against raw cblas_sgemm."
	@echo
	.build/release/vlm-align bench kernels

test: deps
	swift build --build-tests
	swift test
