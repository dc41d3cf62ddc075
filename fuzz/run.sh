#!/bin/sh
# Builds the libFuzzer targets (clang, ASan, UBSan) into build/fuzz and runs
# each for a bounded time: `make fuzz` runs this. Usage:
#
#   fuzz/run.sh [SECONDS [TARGET...]]     (default: 60 s each, every target)
#
# Inputs that reach new coverage are saved under build/fuzz/corpus/<target>/
# (a scratch corpus: the committed one in fuzz/corpus/ is only read). A
# crash, leak or timeout stops that target and leaves the input in
# build/fuzz/artifacts/; the script then exits 1. docs/security.md says how
# to minimize a crash and merge new inputs into fuzz/corpus/.
set -eu

cd "$(dirname "$0")/.."
seconds=${1:-${FUZZ_SECONDS:-60}}
[ $# -gt 0 ] && shift
targets=${*:-"fuzz_request fuzz_jsonrpc fuzz_config fuzz_perfdata fuzz_jwt fuzz_jwks fuzz_allowlist fuzz_grpc"}
build=${FUZZ_BUILD:-build/fuzz}
jobs=$(nproc 2>/dev/null || echo 2)

CC=${CC_FUZZ:-clang} cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DVITALS_FUZZ=ON >/dev/null
# shellcheck disable=SC2086
cmake --build "$build" -j "$jobs" --target $targets

failed=""
for t in $targets; do
    mkdir -p "$build/corpus/$t" "$build/artifacts"
    dict=""
    [ -f "fuzz/$t.dict" ] && dict="-dict=fuzz/$t.dict"
    echo "fuzz: $t for ${seconds}s" >&2
    # stdin from /dev/null: a config naming /dev/stdin must not wait on a
    # terminal. The log keeps libFuzzer's last status lines.
    # shellcheck disable=SC2086
    if ! "$build/$t" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=4096 \
        -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" $dict \
        "$build/corpus/$t" "fuzz/corpus/$t" </dev/null >"$build/$t.log" 2>&1; then
        failed="$failed $t"
        echo "fuzz: $t FAILED, see $build/$t.log and $build/artifacts/" >&2
    fi
    grep -E "^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)" \
        "$build/$t.log" >&2 || true
done
if [ -n "$failed" ]; then
    echo "fuzz: failed:$failed" >&2
    exit 1
fi
echo "fuzz: every target ran clean for ${seconds}s" >&2
