#!/usr/bin/env bash
# Runs the whole suite in parallel (pytest-xdist: one worker more than the cores, since
# the suite also waits on PostgreSQL, Redis, Chromium and worker processes; or
# ACCORD_TEST_WORKERS) and lists the 25 slowest tests (CI must stay under 30 minutes);
# pytest's exit code 5 ("no tests collected") is a failure here, since a suite that ran
# nothing proves nothing.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pytest -n "${ACCORD_TEST_WORKERS:-$(($(nproc) + 1))}" --durations=25 "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "run-tests: pytest collected no tests; failing" >&2
  exit 1
fi
exit "$status"
