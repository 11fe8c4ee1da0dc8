"""Is this app server ready for traffic? The database answers, Redis (when configured) answers,
and the database's schema is at the newest migration.

``/healthz`` stays the cheap liveness probe (one ``SELECT 1``); ``/readyz`` is what a load
balancer asks before sending requests, and what a deployment waits for after ``flask db
upgrade``. Answers name each check's state, never an address, a URL or an error message.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app

from app.extensions import db

OK = "ok"


def migration_heads(app: Flask) -> frozenset[str]:
    """The head revisions of the migration scripts (read once per process)."""
    heads = app.extensions.get("migration_heads")
    if heads is None:
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        directory = Path(app.root_path).parent / "migrations"
        config = Config()
        config.set_main_option("script_location", str(directory))
        heads = app.extensions["migration_heads"] = frozenset(ScriptDirectory.from_config(config).get_heads())
    return heads


def check_database() -> str:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return "unreachable"
    return OK


def check_migrations(app: Flask) -> str:
    try:
        applied = frozenset(db.session.scalars(sa.text("SELECT version_num FROM alembic_version")))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return "not applied"
    if applied == migration_heads(app):
        return OK
    return "not at head"


def check_redis(url: str | None) -> str:
    if not url:
        return "not configured"
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = redis.Redis.from_url(
        url, socket_timeout=0.5, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )
    try:
        client.ping()
    except redis.RedisError:
        return "unreachable"
    finally:
        client.close()
    return OK


def readiness() -> tuple[bool, dict[str, str]]:
    """(ready, state of each check)."""
    app = current_app._get_current_object()
    checks = {"database": check_database()}
    checks["migrations"] = check_migrations(app) if checks["database"] == OK else "unknown"
    checks["redis"] = check_redis(app.config.get("REDIS_URL"))
    ready = all(state in (OK, "not configured") for state in checks.values())
    return ready, checks
