#!/usr/bin/env bash
# Runs the whole suite in parallel (pytest-xdist: one worker per core, or
# ACCORD_TEST_WORKERS); pytest's exit code 5 ("no tests collected") is a failure here,
# since a suite that ran nothing proves nothing.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pytest -n "${ACCORD_TEST_WORKERS:-auto}" "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "run-tests: pytest collected no tests; failing" >&2
  exit 1
fi
exit "$status"
