"""Flask extensions, created unbound and initialised in ``create_app``."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from app import db_session

# Stable constraint names, so that Alembic can alter and drop them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# The session reads outside transactions in a request that only reads (app.db_session).
db = SQLAlchemy(model_class=Base, session_options={"class_": db_session.Session})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
mail = Mail()
compress = Compress()


def _client_address() -> str:
    # With PROXY_HOPS > 0, ProxyFix (create_app) has set remote_addr to the visitor's address
    # from X-Forwarded-For; with 0 it is the peer's address and that header is ignored.
    return get_remote_address() or request.remote_addr or "unknown"


class _Limiter(Limiter):
    """Flask-Limiter, asking the request filter first.

    The extension's before-request hook resolves the route's name, its limits and the meta
    limits before it asks the request filters; for a page view, which has no limit at all, that
    was most of the cost of the hook. The filter's answer is the same either way.
    """

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if _no_limit_on_this_read():
            return
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)


limiter = _Limiter(key_func=_client_address, default_limits=[])

# The blueprints that limit reads (the open-data doors: API, feeds, downloads and cards). Every
# other limit is on a form's POST (app.access.rate_limited, upload_rate_limited), so a GET
# anywhere else has no limit to look up: the limiter skips it at once instead of resolving the
# route's limits on every page view (tests/test_auth_rate_limits.py keeps this list true).
BLUEPRINTS_LIMITING_READS = frozenset({"api", "feeds", "opendata"})


@limiter.request_filter
def _no_limit_on_this_read() -> bool:
    return request.method in ("GET", "HEAD") and request.blueprint not in BLUEPRINTS_LIMITING_READS
