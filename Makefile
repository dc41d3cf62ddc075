# A thin front over CMake. `make` builds release binaries into build/;
# `make run` and `make test` first install what they need (scripts/deps.sh).
BUILD      ?= build
TEST_BUILD ?= build/asan
CONFIG     ?= examples/vitals.yaml
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all run test clean deps-run deps-test bench fuzz

all:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

deps-run:
	@scripts/deps.sh run

deps-test:
	@scripts/deps.sh test

run: deps-run all
	$(BUILD)/vitalsd --config $(CONFIG)

# The release build too: -O2 finds warnings (format truncation) that the
# sanitizer build does not, and `make` must never break.
test: deps-test all
	@cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DVITALS_SANITIZE=ON -DVITALS_TESTS=ON >/dev/null
	@cmake --build $(TEST_BUILD) -j $(JOBS)
	cd $(TEST_BUILD) && ctest --output-on-failure -j $(JOBS)

# Serving, footprint, scheduling, start-up and isolation against nginx, in
# under 10 minutes: prints a table, writes bench/results/<date>.json.
bench: deps-run
	@bench/run.sh $(BUILD)

# libFuzzer targets (clang, ASan, UBSan) in build/fuzz, each run for
# FUZZ_SECONDS (default 60); FUZZ_TARGETS picks some. See docs/security.md.
fuzz:
	@scripts/deps.sh fuzz
	@fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf $(BUILD)
