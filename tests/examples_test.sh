#!/bin/sh
# examples_test.sh - each example configuration passes the validation
# command its own header gives ("# Validate with: ..."), run as written
# with vitalsd from this build, from the source directory.
#   usage: examples_test.sh SOURCE_DIR VITALSD
set -eu
src=$1
vitalsd=$2
cd "$src"
n=0
for f in examples/*.yaml; do
    cmd=$(sed -n 's/^# Validate with: //p' "$f")
    [ -n "$cmd" ] || cmd="vitalsd --check-config $f"
    # shellcheck disable=SC2086
    out=$(env $(echo "$cmd" | sed "s|vitalsd|$vitalsd|") 2>&1) ||
        { echo "FAIL: $f: '$cmd' exited $?:"; echo "$out"; exit 1; }
    [ "$out" = "$f: configuration is valid" ] ||
        { echo "FAIL: $f: '$cmd' printed:"; echo "$out"; exit 1; }
    echo "ok: $f: $cmd"
    n=$((n + 1))
done
echo "$n example configurations valid"
