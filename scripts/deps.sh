#!/bin/sh
# Installs the Debian packages that `make run` (deps.sh run) or `make test`
# (deps.sh test) need, when any is missing. Uses apt-get; needs root.
set -eu

# scdoc: the man pages (man/*.scd) are made at build time.
run_pkgs="build-essential cmake pkg-config libmicrohttpd-dev libjansson-dev libyaml-dev libcurl4-openssl-dev libssl-dev libjwt-dev libpq-dev libmariadb-dev libhiredis-dev libsqlite3-dev libsystemd-dev ca-certificates monitoring-plugins-basic scdoc libnghttp2-dev libprotobuf-c-dev protobuf-c-compiler"
# prometheus: promtool checks examples/prometheus, and the metrics test starts
# its own server on loopback (the package's own service is never needed).
# prometheus-alertmanager: the alerts test starts its own on loopback too.
# systemd: systemd-socket-activate and systemd-analyze for test_systemd.
# haproxy: the agent-check test starts its own on loopback.
# chromium: the status page test drives it with puppeteer-core (npm).
test_pkgs="$run_pkgs libcmocka-dev curl monitoring-plugins-standard python3 python3-jsonschema openssl postgresql mariadb-server redis-server prometheus prometheus-alertmanager systemd haproxy chromium"
# Node.js runs jose, the gRPC clients and puppeteer-core: Debian's, unless
# a node is there.
command -v node >/dev/null 2>&1 || test_pkgs="$test_pkgs nodejs npm"
# make deb: dpkg-buildpackage with debhelper (dh, cmake), checked by lintian.
deb_pkgs="$run_pkgs debhelper dpkg-dev fakeroot lintian"
# make fuzz: clang, and libFuzzer (libclang_rt.fuzzer, in libclang-rt-14-dev).
fuzz_pkgs="$run_pkgs clang libclang-rt-14-dev"

case "${1:-run}" in
  run) pkgs=$run_pkgs ;;
  test) pkgs=$test_pkgs ;;
  fuzz) pkgs=$fuzz_pkgs ;;
  deb) pkgs=$deb_pkgs ;;
  *) echo "usage: $0 run|test|fuzz|deb" >&2; exit 2 ;;
esac

missing=""
for p in $pkgs; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
# The JWT tests mint tokens with jose (npm), as a client's IdP would; the
# gRPC tests use @grpc/grpc-js and grpc-health-check; the page test drives
# chromium with puppeteer-core. Every dependency of
# tests/support/package.json must be in node_modules, else npm ci.
install_npm() {
  dir="$(dirname "$0")/../tests/support"
  wanted=$(sed -n '/"dependencies"/,/}/s/^ *"\([^"]*\)": *"[^"]*",\{0,1\}$/\1/p' "$dir/package.json")
  for p in $wanted; do
    if [ ! -d "$dir/node_modules/$p" ]; then
      echo "vitals: installing the tests' npm packages (npm ci): $p is missing" >&2
      npm ci --prefix "$dir" --no-audit --no-fund >/dev/null
      break
    fi
  done
}

if [ -z "$missing" ]; then
  [ "${1:-run}" = test ] && install_npm
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "vitals: these Debian packages are missing:$missing" >&2
  echo "vitals: run as root, or install them first: sudo apt-get install$missing" >&2
  exit 1
fi
echo "vitals: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
[ "${1:-run}" = test ] && install_npm
exit 0
