#!/bin/sh
# Installs the Debian packages that `make run` (deps.sh run) or `make test`
# (deps.sh test) need, when any is missing. Uses apt-get; needs root.
set -eu

run_pkgs="build-essential cmake pkg-config libmicrohttpd-dev libjansson-dev libyaml-dev libcurl4-openssl-dev monitoring-plugins-basic"
test_pkgs="$run_pkgs libcmocka-dev curl monitoring-plugins-standard python3 python3-jsonschema"

case "${1:-run}" in
  run) pkgs=$run_pkgs ;;
  test) pkgs=$test_pkgs ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

missing=""
for p in $pkgs; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

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
