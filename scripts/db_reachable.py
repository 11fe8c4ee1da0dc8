"""Exit 0 when the database at the URL given as argument answers, 1 otherwise."""

import sys

import sqlalchemy as sa

from config import normalize_database_url

try:
    engine = sa.create_engine(normalize_database_url(sys.argv[1]), connect_args={"connect_timeout": 3})
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
except Exception as error:  # any failure means "not reachable"; say which
    print(f"({type(error).__name__})", file=sys.stderr)
    sys.exit(1)
sys.exit(0)
