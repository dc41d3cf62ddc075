# A thin front over CMake. `make` builds release binaries into build/;
# `make run` and `make test` first install what they need (scripts/deps.sh).
BUILD      ?= build
TEST_BUILD ?= build/asan
CONFIG     ?= examples/vitals.yaml
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all run test clean deps-run deps-test

all:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

deps-run:
	@scripts/deps.sh run

deps-test:
	@scripts/deps.sh test

run: deps-run all
	$(BUILD)/vitalsd --config $(CONFIG)

test: deps-test
	@cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DVITALS_SANITIZE=ON -DVITALS_TESTS=ON >/dev/null
	@cmake --build $(TEST_BUILD) -j $(JOBS)
	cd $(TEST_BUILD) && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD)
