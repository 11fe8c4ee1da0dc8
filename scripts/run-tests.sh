#!/usr/bin/env bash
# The whole suite: once on SQLite, then again on PostgreSQL when one is reachable.
#
# TEST_DATABASE_URL  PostgreSQL database for the second run
#                    (default postgresql://postgres@127.0.0.1:5432/test)
# REQUIRE_POSTGRES=1 fail instead of skipping when PostgreSQL cannot be reached (CI sets it)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
PG_URL=${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}

echo "== Test suite on SQLite"
# The proof on loopback (marked prod) has a target of its own: make prod-check.
env -u TEST_DATABASE_URL "$PYTHON" -m pytest -q -m "not prod" "$@"

echo
if PYTHONPATH=. "$PYTHON" scripts/db_reachable.py "$PG_URL"; then
  echo "== Test suite on PostgreSQL ($PG_URL)"
  # Browser tests drive the UI, which is the same on both databases: they run once, above.
  TEST_DATABASE_URL="$PG_URL" "$PYTHON" -m pytest -q -m "not browser and not prod" "$@"
else
  if [[ "${REQUIRE_POSTGRES:-0}" == "1" ]]; then
    echo "PostgreSQL is not reachable at $PG_URL and REQUIRE_POSTGRES=1: failing." >&2
    exit 1
  fi
  echo "!! PostgreSQL is not reachable at $PG_URL: the PostgreSQL run was SKIPPED."
  echo "!! Start PostgreSQL or set TEST_DATABASE_URL to run the suite there too."
fi
