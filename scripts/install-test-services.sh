#!/usr/bin/env bash
# Installs what the test suite needs beyond Python packages, if it is missing:
# a PostgreSQL server (its binaries; the tests start and stop their own cluster),
# a Redis server (likewise: the worker tests start their own on a free port)
# and Chromium for the headless browser tests. Debian/Ubuntu, as root or with sudo.
set -euo pipefail

need=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
  need+=(postgresql)
fi
if ! command -v redis-server >/dev/null; then
  need+=(redis-server)
fi
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
  need+=(chromium)
fi
if ! command -v locale >/dev/null; then
  need+=(locales)
fi

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if [ -n "${ACCORD_TEST_PG_URL:-}" ]; then
  # An external PostgreSQL server is configured: only the browser may be missing.
  need=("${need[@]/postgresql}")
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "install-test-services: need root (or sudo) to apt-get install ${need[*]}" >&2
    exit 1
  fi
fi
echo "install-test-services: installing ${need[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends ${need[*]} >/dev/null
# The Debian package starts a cluster of its own; the tests do not use it.
if command -v pg_lsclusters >/dev/null; then
  $sudo pg_ctlcluster --force "$(pg_lsclusters -h | awk 'NR==1{print $1}')" main stop 2>/dev/null || true
fi
# Likewise the redis-server package's own service (on 6379): the tests start their own.
if [[ " ${need[*]} " == *" redis-server "* ]] && command -v systemctl >/dev/null; then
  $sudo systemctl disable --now redis-server 2>/dev/null || true
fi
