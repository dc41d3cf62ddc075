#!/bin/sh
# deb.sh - builds the Debian packages (dpkg-buildpackage -us -uc -b) in a
# copy of the source tree, so the tree itself stays clean, then checks them
# with lintian (unless NO_LINTIAN=1) and puts the .deb files in OUT_DIR.
#   usage: scripts/deb.sh OUT_DIR
set -eu
out=${1:?usage: scripts/deb.sh OUT_DIR}
src=$(cd "$(dirname "$0")/.." && pwd)
version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
work=$(mktemp -d /tmp/vitals-deb-XXXXXX)
trap 'rm -rf "$work"' EXIT

# The files git knows of, committed or not (never build/ or node_modules/).
mkdir -p "$work/vitals-$version"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$src" && git ls-files -z --cached --others --exclude-standard |
        xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' |
        tar --null -T - -cf -) | tar -xf - -C "$work/vitals-$version"
else
    tar -C "$src" --exclude=./build --exclude=node_modules -cf - . |
        tar -xf - -C "$work/vitals-$version"
fi
(cd "$work/vitals-$version" &&
    dpkg-buildpackage -us -uc -b -j"$(nproc)" >"$work/build.log" 2>&1) ||
    { tail -n 60 "$work/build.log"; echo "deb.sh: dpkg-buildpackage failed" >&2; exit 1; }
mkdir -p "$out"
cp "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out"/
echo "deb.sh: built in $out:"
ls -1 "$out"/*.deb
if [ "${NO_LINTIAN:-0}" != 1 ]; then
    echo "deb.sh: lintian:"
    lintian --display-info --fail-on error,warning \
        "$out"/vitals_"${version}"_*.changes
fi
