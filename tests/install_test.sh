#!/bin/sh
# install_test.sh - `cmake --install` of a build into a temporary DESTDIR,
# then programs built against what it installed, as docs/library.md says:
# with pkg-config and with find_package(vitals), shared and static; each
# runs and prints the version, the check count and the status.
#   usage: install_test.sh BUILD_DIR SOURCE_DIR [EXTRA_CFLAGS]
# EXTRA_CFLAGS: the sanitizer flags the build used (an ASan libvitals
# needs an ASan program).
set -eu
build=$1
src=$2
extra=${3:-}
dest=$(mktemp -d /tmp/vitals-install-XXXXXX)
trap 'rm -rf "$dest"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

DESTDIR=$dest cmake --install "$build" >"$dest/install.log" ||
    { cat "$dest/install.log"; fail "cmake --install"; }
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
root=$dest$prefix
pc=$(find "$root" -name libvitals.pc)
[ -n "$pc" ] || fail "no libvitals.pc under $root"
libdir=$(dirname "$(dirname "$pc")")
version=$(sed -n 's/^#define VITALS_VERSION "\(.*\)"$/\1/p' "$root/include/vitals_version.h")
[ -n "$version" ] || fail "no VITALS_VERSION in $root/include/vitals_version.h"

# What a package must hold.
for f in bin/vitalsd bin/vitals include/vitals.h share/doc/vitals/operations.md; do
    [ -e "$root/$f" ] || fail "$f not installed"
done
for f in libvitals.so.0 libvitals.so libvitals.a cmake/vitals/vitalsConfig.cmake; do
    [ -e "$libdir/$f" ] || fail "$libdir/$f not installed"
done
soname=$(readelf -d "$libdir/libvitals.so.0" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libvitals.so.0 ] || fail "SONAME is '$soname', not libvitals.so.0"
"$root/bin/vitalsd" --version | grep -qx "vitalsd $version" ||
    fail "vitalsd --version does not say $version"
if grep -q '^SCDOC:FILEPATH=/' "$build/CMakeCache.txt"; then
    for m in man1/vitals.1 man3/libvitals.3 man5/vitals.yaml.5 man8/vitalsd.8; do
        head -n 3 "$root/share/man/$m" | grep -q 'scdoc' ||
            fail "share/man/$m missing or not made by scdoc"
    done
fi

want="vitals $version: 2 checks, degraded"
run() { # NAME: runs it, checks its line and whether it needs libvitals.so.0
    name=$1 shared=$2
    got=$(LD_LIBRARY_PATH=$libdir "$dest/$name") || fail "$name exited $?"
    [ "$got" = "$want" ] || fail "$name printed '$got', not '$want'"
    if readelf -d "$dest/$name" | grep -q 'NEEDED.*libvitals\.so\.0'; then
        [ "$shared" = yes ] || fail "$name needs libvitals.so.0 (static link)"
    else
        [ "$shared" = no ] || fail "$name does not need libvitals.so.0"
    fi
    echo "ok: $name: $got"
}

# pkg-config, as installed (the sysroot puts DESTDIR in front of its paths).
export PKG_CONFIG_PATH="$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest"
[ "$(pkg-config --modversion libvitals)" = "$version" ] ||
    fail "pkg-config --modversion libvitals is not $version"
# shellcheck disable=SC2046,SC2086
cc $extra -o "$dest/pc-shared" "$src/tests/install/app.c" \
    $(pkg-config --cflags --libs libvitals) || fail "pkg-config shared build"
run pc-shared yes
# Static libvitals with the shared system libraries, as docs/library.md
# says: the archive by name (-l:libvitals.a, or the .so would win), the
# libraries of Requires.private (--static --pure: without their own
# Libs.private, which on Debian name static-only libraries such as libcurl's
# -lrtmp), and libvitals' own Libs.private.
grep -qx 'Libs.private: -pthread -lm' "$pc" || fail "libvitals.pc: Libs.private"
# shellcheck disable=SC2046,SC2086
cc $extra -o "$dest/pc-static" "$src/tests/install/app.c" \
    $(pkg-config --cflags libvitals) -l:libvitals.a \
    $(pkg-config --libs --static --pure libvitals | sed 's/-lvitals\b//') \
    -pthread -lm || fail "pkg-config static build"
run pc-static no
unset PKG_CONFIG_SYSROOT_DIR

# find_package(vitals): vitals::vitals and vitals::vitals_static.
cmake -S "$src/tests/install" -B "$dest/consumer" -DCMAKE_PREFIX_PATH="$root" \
    -DCMAKE_C_FLAGS="$extra" -DCMAKE_EXE_LINKER_FLAGS="$extra" \
    >"$dest/consumer.log" 2>&1 || { cat "$dest/consumer.log"; fail "find_package(vitals)"; }
cmake --build "$dest/consumer" >>"$dest/consumer.log" 2>&1 ||
    { cat "$dest/consumer.log"; fail "building against vitals::vitals"; }
cp "$dest/consumer/app-shared" "$dest/cm-shared"
cp "$dest/consumer/app-static" "$dest/cm-static"
run cm-shared yes
run cm-static no
echo "install test: 4 programs built and run against $prefix in a DESTDIR"
