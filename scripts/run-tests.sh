#!/usr/bin/env bash
# The whole suite: once on SQLite (the browser tests with it), then again on PostgreSQL when one
# is reachable.
#
# TEST_DATABASE_URL  PostgreSQL database for the second run
#                    (default postgresql://postgres@127.0.0.1:5432/test); with several workers each
#                    uses a database of its own named after it (test_gw0, test_gw1: tests/conftest.py)
# REQUIRE_POSTGRES=1 fail instead of skipping when PostgreSQL cannot be reached (CI sets it)
# TEST_JOBS          pytest-xdist workers for the tests outside the browser (default: auto, one per
#                    CPU); TEST_JOBS=0 runs everything in this one process
#
# Extra arguments go to every pytest run (`scripts/run-tests.sh -x`, or a path).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
PG_URL=${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}
JOBS=${TEST_JOBS:-auto}

# pytest, where a selection that holds no test (exit status 5: a path given as argument has no
# browser test, say) is not a failure.
run_pytest() {
  local status=0
  "$@" || status=$?
  if [[ $status -ne 0 && $status -ne 5 ]]; then
    exit "$status"
  fi
}

echo "== Test suite on SQLite ($JOBS workers)"
# The proof on loopback (marked prod) has a target of its own: make prod-check.
run_pytest env -u TEST_DATABASE_URL "$PYTHON" -m pytest -q -n "$JOBS" -m "not prod and not browser" "$@"

echo
echo "== Browser tests on SQLite"
# One process: a Chromium and a served application each, which two at once on two cores would slow
# past the tests' waiting limits.
run_pytest env -u TEST_DATABASE_URL "$PYTHON" -m pytest -q -m "browser and not prod" "$@"

echo
if PYTHONPATH=. "$PYTHON" scripts/db_reachable.py "$PG_URL"; then
  echo "== Test suite on PostgreSQL ($PG_URL, $JOBS workers)"
  # Browser tests drive the UI, which is the same on both databases: they run once, above.
  run_pytest env TEST_DATABASE_URL="$PG_URL" "$PYTHON" -m pytest -q -n "$JOBS" -m "not browser and not prod" "$@"
else
  if [[ "${REQUIRE_POSTGRES:-0}" == "1" ]]; then
    echo "PostgreSQL is not reachable at $PG_URL and REQUIRE_POSTGRES=1: failing." >&2
    exit 1
  fi
  echo "!! PostgreSQL is not reachable at $PG_URL: the PostgreSQL run was SKIPPED."
  echo "!! Start PostgreSQL or set TEST_DATABASE_URL to run the suite there too."
fi
