#!/usr/bin/env bash
# Regenerate migrations/versions/0001_initial_schema.py from the models.
#
# Nothing has been released yet, so the first migration is simply "the models as they
# are now". Once a release is out, this script must not be used any more: add a new
# revision instead (`flask db migrate -m "..."`).
#
# How: autogenerate against an empty scratch SQLite database, in a scratch copy of
# migrations/ with no versions (so later revisions such as 0002_search do not get in
# the way), keep the revision id 0001_initial, fix Alembic's known rendering quirks,
# and put the result in place. The working tree's databases are never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
TARGET=migrations/versions/0001_initial_schema.py

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/migrations/versions" "$scratch/instance"
cp migrations/env.py migrations/alembic.ini migrations/script.py.mako "$scratch/migrations/"

export TADAMUN_CONFIG=development
export TADAMUN_INSTANCE_DIR="$scratch/instance"
export DATABASE_URL="sqlite:///$scratch/scratch.db"
unset REDIS_URL

"$PYTHON" -m flask --app wsgi db migrate -d "$scratch/migrations" --rev-id 0001_initial -m "initial schema" \
  >"$scratch/log" 2>&1 || { cat "$scratch/log" >&2; exit 1; }

generated=$(ls "$scratch"/migrations/versions/0001_initial_*.py)
"$PYTHON" - "$generated" "$TARGET" <<'PY'
import re
import sys

source, target = sys.argv[1], sys.argv[2]
text = open(source, encoding="utf-8").read()

# Booleans: Alembic renders server_default=sa.false() as a dialect-specific literal
# ('0' on SQLite, 'false' on PostgreSQL); the portable spelling is sa.false()/sa.true().
text = re.sub(
    r"(sa\.Boolean\(\), server_default=)sa\.text\('(0|false)'\)", r"\1sa.false()", text
)
text = re.sub(
    r"(sa\.Boolean\(\), server_default=)sa\.text\('(1|true)'\)", r"\1sa.true()", text
)
text = re.sub(r"(sa\.Boolean\(\), server_default=)'(0|false)'", r"\1sa.false()", text)
text = re.sub(r"(sa\.Boolean\(\), server_default=)'(1|true)'", r"\1sa.true()", text)

# The application's own types must never be imported by a migration (env.py's
# render_item already writes UTCDateTime as sa.DateTime(timezone=True)).
if "app.models" in text or "UTCDateTime" in text:
    sys.exit("the generated migration refers to application code: fix render_item in env.py")

# "Revises: " has a trailing space in Alembic's template.
text = text.replace("Revises: \n", "Revises:\n")


def without_date(value):
    return re.sub(r"Create Date: .*", "", value)


try:
    current = open(target, encoding="utf-8").read()
except FileNotFoundError:
    current = ""
if without_date(current) == without_date(text):
    print(f"{target} already matches the models")
else:
    open(target, "w", encoding="utf-8").write(text)
    print(f"Regenerated {target}")
PY
