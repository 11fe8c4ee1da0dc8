"""Configuration read from the environment.

Pick a class with ``TADAMUN_CONFIG`` (development, production, testing); every
setting that differs between machines comes from an environment variable.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("TADAMUN_INSTANCE_DIR", BASE_DIR / "instance"))

# Keys that have appeared in this repository or in tutorials: never acceptable in production.
KNOWN_DEFAULT_SECRET_KEYS = frozenset(
    {
        "dev",
        "dev-insecure-key",
        "change-me",
        "changeme",
        "secret",
        "secret-key",
        "you-will-never-guess",
        "test",
        "testing-secret-key",
    }
)
MIN_SECRET_KEY_LENGTH = 32


def normalize_database_url(url: str) -> str:
    """Use the psycopg 3 driver whatever spelling of PostgreSQL URL is given."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise RuntimeError(f"{name} must be a whole number of at least {minimum}, not {value!r}")
    return number


def _env_list(name: str) -> list[str] | None:
    value = os.environ.get(name)
    if not value:
        return None
    return [item.strip() for item in value.split(",") if item.strip()]


class Config:
    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-insecure-key")
    SQLALCHEMY_DATABASE_URI = normalize_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'tadamun.db'}")
    )
    # hide_parameters keeps row values (contact details, hashes) out of error messages and logs.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"hide_parameters": True}
    # A pooled connection is checked with a ping before use only when it has sat idle at least
    # this long (app/database.py, ping_after_idle): a database restart, which ends every
    # connection, usually takes longer, so a connection it ended is found and replaced before a
    # request uses it. Under load (one request after another) a ping would be a round trip to
    # PostgreSQL on every request.
    DATABASE_PING_AFTER_IDLE_SECONDS = float(os.environ.get("DATABASE_PING_AFTER_IDLE_SECONDS", "1"))
    SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "5000"))

    # Sessions and cookies
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    # No longer than the absolute session lifetime; moderators get no remember cookie at all.
    REMEMBER_COOKIE_DURATION = timedelta(hours=12)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    MODERATOR_IDLE_TIMEOUT = timedelta(minutes=30)
    # A local MaxMind-format country database (GeoLite2-Country.mmdb or the like): the country
    # of a login shown on /account/sessions. Unset: places are "unknown". Never a lookup online.
    GEOIP_DATABASE = os.environ.get("GEOIP_DATABASE") or None

    # Repeat views of private contact details by the same viewer on the same day are counted in
    # the worker and written at most this many seconds later (services/access_log); the first
    # view of a day is always written before the page is shown. 0: every view in its request.
    ACCESS_LOG_FLUSH_SECONDS = float(os.environ.get("ACCESS_LOG_FLUSH_SECONDS", "10"))

    # Hosts this site answers for; also the host used in links sent by email.
    TRUSTED_HOSTS = _env_list("TRUSTED_HOSTS")
    # Unset, it is where `make run` serves (PORT, 5000 by default), so mailed links work in development.
    SITE_URL = os.environ.get("SITE_URL") or f"http://127.0.0.1:{_env_int('PORT', 5000, minimum=1)}"
    # How many reverse proxies in front of the application add X-Forwarded-For/-Proto. 0: none,
    # and those headers are ignored (anyone could send them). Behind one proxy (nginx), 1.
    PROXY_HOPS = _env_int("PROXY_HOPS", 0)

    # Uploads (organization logos) live outside static/.
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024 + 64 * 1024  # a 2 MB logo plus the form around it
    MAX_LOGO_BYTES = 2 * 1024 * 1024

    # Mail (app/services/mail.py): "file" writes .eml files to MAIL_OUTBOX_DIR (development),
    # "smtp" sends, "memory" records them (tests).
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "file")
    MAIL_OUTBOX_DIR = os.environ.get("MAIL_OUTBOX_DIR", str(INSTANCE_DIR / "outbox"))
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Tadamun <no-reply@tadamun.invalid>")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "30"))  # seconds per SMTP exchange

    # Signed links sent by mail
    EMAIL_CONFIRM_MAX_AGE = timedelta(days=3)
    PASSWORD_RESET_MAX_AGE = timedelta(hours=1)
    INVITATION_MAX_AGE = timedelta(days=7)

    # Rate limits: in memory unless REDIS_URL is set, so limits hold across workers.
    REDIS_URL = os.environ.get("REDIS_URL")
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    # Several sites (or a load test) sharing one Redis keep their counts apart.
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "tadamun")
    # Form submissions of login, registration, password reset and invitations, per client address.
    AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "10 per minute;50 per hour")
    # Logo uploads, per user and per client address: decoding an image costs CPU and memory.
    LOGO_UPLOAD_RATE_LIMIT = os.environ.get("LOGO_UPLOAD_RATE_LIMIT", "5 per minute;20 per hour")
    # The public API (/api/v1), the feeds and the exports, per client address (read-only).
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120 per minute;3000 per hour")
    # URLs per sitemap (the protocol's limit): past it, /sitemap.xml becomes an index of
    # /sitemap-1.xml, /sitemap-2.xml, ... (app/opendata/routes.py).
    SITEMAP_MAX_URLS = int(os.environ.get("SITEMAP_MAX_URLS", "50000"))
    # The OpenAPI document of /api/v1 (flask-smorest): version 3.1, served at /api/v1/openapi.json.
    API_TITLE = "Tadamun open data API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    # Logs: "text" for people, "json" for log collectors; LOG_REQUESTS adds one line per request.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    LOG_REQUESTS = _env_bool("LOG_REQUESTS", False)
    # /metrics answers these addresses or networks, or a request with "Authorization: Bearer <token>".
    METRICS_ALLOW_FROM = _env_list("METRICS_ALLOW_FROM") or ["127.0.0.1", "::1"]
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None

    # Mail and jobs leave the request through the outbox (app/worker.py, docs/operations.md):
    # "rq" hands them to `flask worker` through Redis; "inline" delivers them in the same
    # process right after the commit (no server needed).
    JOBS_BACKEND = os.environ.get("JOBS_BACKEND") or ("rq" if REDIS_URL else "inline")
    JOBS_QUEUE = os.environ.get("JOBS_QUEUE", "tadamun")
    OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8"))  # about an hour of retries
    OUTBOX_RETRY_BASE_SECONDS = 30  # then 60, 120, ... up to the cap
    OUTBOX_RETRY_MAX_SECONDS = 3600
    OUTBOX_LEASE_SECONDS = 300  # a worker silent this long is taken for dead; > MAIL_TIMEOUT
    # A claimed row the database lost before the send is given back within this long (app/worker.py).
    OUTBOX_RELEASE_PATIENCE_SECONDS = 30
    OUTBOX_SWEEP_GRACE_SECONDS = 60  # the sweep leaves fresh rows to the worker this long
    OUTBOX_KEEP_SENT_DAYS = 30  # `flask outbox purge` deletes delivered rows older than this
    # "At once" notification mails per recipient and hour; the excess waits for the next daily
    # digest (app/services/notifications.py).
    NOTIFICATION_MAILS_PER_HOUR = _env_int("NOTIFICATION_MAILS_PER_HOUR", 10)

    # Internationalisation
    LANGUAGES = ["en", "ar", "ckb", "fr"]
    BABEL_DEFAULT_LOCALE = "en"
    # Dates are shown in Iraq's time unless a member chose another zone (app/dates.py).
    BABEL_DEFAULT_TIMEZONE = "Asia/Baghdad"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "app" / "translations")

    # Retention (app/services/retention.py, `flask purge`, run daily): days before erasure.
    UNCONFIRMED_APPLICATION_RETENTION_DAYS = _env_int("UNCONFIRMED_APPLICATION_RETENTION_DAYS", 30, minimum=1)
    REJECTED_APPLICATION_RETENTION_DAYS = _env_int("REJECTED_APPLICATION_RETENTION_DAYS", 180, minimum=1)
    ORGANIZATION_DELETION_GRACE_DAYS = _env_int("ORGANIZATION_DELETION_GRACE_DAYS", 14, minimum=1)

    # Pagination
    PAGE_SIZE = 20
    # The campaign filters offer at most this many campaigns (and always the one selected): the
    # directory's those with the most supporters, the projects page's those with the most projects.
    DIRECTORY_CAMPAIGN_CHOICES = _env_int("DIRECTORY_CAMPAIGN_CHOICES", 40, minimum=1)

    # The anonymous page cache (app/page_cache.py): the longest a page is served without
    # being rendered again, whatever the writes.
    PAGE_CACHE_TTL = _env_int("PAGE_CACHE_TTL", 60, minimum=1)

    # Compression: pages yes; streamed responses (static files) no, because Flask-Compress's
    # streaming path never closes the file it reads (a file-descriptor leak, seen under a real server).
    COMPRESS_STREAMS = False
    # Levels: a logged-in reader's page is compressed on every request, so the cheaper levels
    # (gzip 3, brotli 2) take about half the time of Flask-Compress's defaults (6 and 4: about
    # 190 -> 90 µs for a 20 KB campaign page) for a few hundred bytes more on the wire. zstd,
    # which current browsers prefer, keeps its default 3 (about 60 µs). A page the page cache
    # keeps is compressed once, whatever the level.
    COMPRESS_LEVEL = 3
    COMPRESS_BR_LEVEL = 2

    WTF_CSRF_TIME_LIMIT = None  # the session lifetime already bounds the token
    # Flask-WTF's own hook looks up the view's exemptions before it looks at the method, on
    # every GET; app.security.check_csrf calls the same check for the methods that need it.
    WTF_CSRF_CHECK_DEFAULT = False
    PREFERRED_URL_SCHEME = "http"


class DevelopmentConfig(Config):
    DEBUG = False  # the debugger is never enabled by configuration; use `flask run --debug` locally


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    PREFERRED_URL_SCHEME = "https"
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    LOG_REQUESTS = _env_bool("LOG_REQUESTS", True)


class TestConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key-that-is-long-enough-0123456789"  # noqa: S105 (tests only)
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False  # tests that prove CSRF switch it back on
    RATELIMIT_ENABLED = False  # tests that prove the limits switch them back on
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_BACKEND = "memory"
    JOBS_BACKEND = "inline"  # mail is delivered right after the commit, where tests read it
    SERVER_NAME = None
    SITE_URL = "http://tadamun.test"
    PROXY_HOPS = 0
    PASSWORD_HASH_FAST = True  # argon2 with tiny cost so the suite stays fast
    ACCESS_LOG_FLUSH_SECONDS = 0.0  # every view written in its request; tests of the tally set it
    UPLOAD_FOLDER = None  # set per test to a temporary folder


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestConfig,
}


def config_from_env() -> type[Config]:
    name = os.environ.get("TADAMUN_CONFIG", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"TADAMUN_CONFIG must be one of {sorted(CONFIGS)}, not {name!r}") from None


def development_notice() -> str:
    """What `make run` prints before serving: where mailed links point and where mail goes."""
    config = config_from_env()
    lines = [f"Links in mail point at {config.SITE_URL} (SITE_URL; it follows PORT unless set)."]
    if config.MAIL_BACKEND == "file":
        lines.append(f"Mail is not sent: each message is written to {config.MAIL_OUTBOX_DIR}/ (.eml files).")
    elif config.MAIL_BACKEND == "smtp":
        lines.append(f"Mail is sent through {config.MAIL_SERVER}:{config.MAIL_PORT}.")
    else:
        lines.append(f"Mail backend: {config.MAIL_BACKEND}.")
    return "\n".join(lines)


class InsecureConfigurationError(RuntimeError):
    """Raised at start-up when production settings would be unsafe."""


def check_production_settings(config: dict) -> None:
    """Refuse to start production with settings that would put members at risk."""
    key = config.get("SECRET_KEY") or ""
    if len(key) < MIN_SECRET_KEY_LENGTH or key in KNOWN_DEFAULT_SECRET_KEYS:
        raise InsecureConfigurationError(
            "SECRET_KEY must be set to a random value of at least "
            f"{MIN_SECRET_KEY_LENGTH} characters in production "
            '(python -c "import secrets; print(secrets.token_urlsafe(48))").'
        )
    if not config.get("TRUSTED_HOSTS"):
        raise InsecureConfigurationError(
            "TRUSTED_HOSTS must list the host names this site answers for in production."
        )
