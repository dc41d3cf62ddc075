# A thin front over CMake. `make` builds release binaries into build/;
# `make run` and `make test` first install what they need (scripts/deps.sh).
BUILD      ?= build
TEST_BUILD ?= build/asan
CONFIG     ?= examples/vitals.yaml
PREFIX     ?= /usr/local
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all run test clean deps-run deps-test bench fuzz install uninstall deb

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

# Installs under PREFIX (default /usr/local), into DESTDIR when set (a
# staging directory for packagers): binaries, libvitals.so.0 and .a, the
# header, libvitals.pc, the CMake package, man pages (scdoc), the systemd
# units and the example configuration (kept if one is there).
install: deps-run
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	DESTDIR=$(DESTDIR) cmake --install $(BUILD)

# Removes what the last `make install` installed (its manifest lists the
# files, without DESTDIR: give the same DESTDIR), but not the configuration
# in etc/vitals/, which may have been edited since; directories stay.
uninstall:
	@test -f $(BUILD)/install_manifest.txt || { echo "nothing installed from $(BUILD)"; exit 1; }
	grep -v '/etc/vitals/[^/]*$$' $(BUILD)/install_manifest.txt | sed 's|^|$(DESTDIR)|' | xargs -d '\n' rm -f

# Debian packages (vitalsd, vitals, libvitals0, libvitals-dev) built with
# dpkg-buildpackage in a copy of the tree, then checked with lintian; the
# .deb files land in $(BUILD)/deb.
deb:
	@scripts/deps.sh deb
	@scripts/deb.sh $(BUILD)/deb

clean:
	rm -rf $(BUILD)
