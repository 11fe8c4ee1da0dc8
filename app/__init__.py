"""Tadamun: the campaign and solidarity-network directory of the Iraqi Social Forum."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

import config as config_module


class Tadamun(Flask):
    """Flask, with one cost taken off every request.

    Flask asks ``inspect.iscoroutinefunction`` of every request hook and view on every request
    (``ensure_sync``), about thirty times per request here; the answer never changes for a given
    function, so it is remembered. The app has no ``async`` view or hook; one would still be
    wrapped as Flask wraps it.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._synchronous: dict = {}

    def ensure_sync(self, func):
        try:
            return self._synchronous[func]
        except KeyError:
            pass
        except TypeError:  # an unhashable callable: ask Flask each time
            return super().ensure_sync(func)
        synchronous = self._synchronous[func] = super().ensure_sync(func)
        return synchronous

    def prepare_for_workers(self) -> None:
        """What every worker would otherwise do on its first requests, done once in gunicorn's
        master before it forks (``when_ready`` in gunicorn.conf.py): compile the templates."""
        from app import templating

        count = templating.compile_all(self)
        self.logger.info("compiled %d templates before starting the workers", count)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application. ``test_config`` overrides settings after the environment's."""
    app = Tadamun(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_path=str(config_module.INSTANCE_DIR),
    )
    config_class = config_module.TestConfig if test_config is not None else config_module.config_from_env()
    app.config.from_object(config_class)
    if test_config is not None:
        app.config.update(test_config)
    if app.config["ENV_NAME"] == "production":
        config_module.check_production_settings(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    register_page_replay(app)  # innermost: it sees the environ as ProxyFix corrected it
    register_proxy_fix(app)
    register_open_doors(app)
    prepare_translations(app)
    register_extensions(app)
    register_url_converters(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_page_replay(app: Flask) -> None:
    """Answers to repeated page-cache hits replayed before Flask (app/page_cache.py); a no-op
    until the page cache is on."""
    from app.page_cache import register_replay

    register_replay(app)


def register_proxy_fix(app: Flask) -> None:
    """Behind PROXY_HOPS trusted proxies, take the visitor's address and scheme from the
    X-Forwarded-For/-Proto entries those proxies added; with none, ignore the headers."""
    hops = app.config.get("PROXY_HOPS") or 0
    if not isinstance(hops, int) or hops < 0:
        raise ValueError(f"PROXY_HOPS must be a whole number of at least 0, not {hops!r}")
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Host and prefix stay as the proxy sent them: the proxy passes the Host header on, and
        # nothing may choose the script root (links in every page are built from it).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)


def register_open_doors(app: Flask) -> None:
    """The API, feeds, exports, sitemap and robots.txt never see a cookie (app/open_doors.py)."""
    from app.open_doors import CookielessOpenDoors

    app.wsgi_app = CookielessOpenDoors(app.wsgi_app)


def prepare_translations(app: Flask) -> None:
    """Never serve a language without its catalog: compile a missing or stale one, or refuse to start."""
    from app import translations

    directories = [
        Path(app.root_path, directory)  # as Flask-Babel resolves them (an absolute path stays one)
        for directory in app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
    ]
    default = app.config["BABEL_DEFAULT_LOCALE"]
    compiled = translations.ensure_catalogs(
        directories, [lang for lang in app.config["LANGUAGES"] if lang != default]
    )
    if compiled:
        app.logger.info("compiled the translation catalogs of %s", ", ".join(compiled))


def register_extensions(app: Flask) -> None:
    from app import database, i18n, security, worker
    from app.extensions import babel, compress, csrf, db, limiter, login_manager, mail, migrate

    db.init_app(app)
    database.configure_engine(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = i18n.lazy_gettext("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(security.load_user)
    csrf.init_app(app)
    app.before_request(security.check_csrf)  # where Flask-WTF's own check stood (config.py)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    mail.init_app(app)
    compress.init_app(app)
    limiter.init_app(app)
    worker.register(app)  # the outbox: mail and jobs leave after the commit


def register_url_converters(app: Flask) -> None:
    from app import urls

    urls.register_converters(app)


def register_blueprints(app: Flask) -> None:
    from app import api
    from app.account import bp as account_bp
    from app.auth import bp as auth_bp
    from app.campaigns import bp as campaigns_bp
    from app.feeds import bp as feeds_bp
    from app.following import bp as following_bp
    from app.gatherings import bp as gatherings_bp
    from app.main import bp as main_bp
    from app.moderation import bp as moderation_bp
    from app.notifications import bp as notifications_bp
    from app.opendata import bp as opendata_bp
    from app.organizations import bp as organizations_bp
    from app.projects import bp as projects_bp
    from app.search import bp as search_bp
    from app.solidarity import bp as solidarity_bp
    from app.updates import bp as updates_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(campaigns_bp, url_prefix="/campaigns")
    app.register_blueprint(organizations_bp, url_prefix="/organizations")
    app.register_blueprint(projects_bp, url_prefix="/projects")
    app.register_blueprint(gatherings_bp, url_prefix="/gatherings")
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(account_bp, url_prefix="/account")
    app.register_blueprint(moderation_bp, url_prefix="/moderation")
    app.register_blueprint(search_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(opendata_bp)
    api.init_app(app)  # /api/v1 and its OpenAPI document (flask-smorest)

    app.register_blueprint(solidarity_bp, url_prefix="/solidarity")
    app.register_blueprint(updates_bp)
    app.register_blueprint(following_bp)
    app.register_blueprint(notifications_bp)


def register_errorhandlers(app: Flask) -> None:
    from app import errors

    errors.register(app)


def register_request_hooks(app: Flask) -> None:
    from app import (
        access,
        benchmark,
        caching,
        fragments,
        i18n,
        logs,
        metrics,
        page_cache,
        security,
        transactions,
    )

    logs.register(app)  # before all: times the whole request, writes its line last
    transactions.register(app)  # a request that may write says so before any query
    metrics.register(app)
    caching.register(app)  # its after-request hook runs after the others' but the log's
    page_cache.register(app)
    fragments.register(app)  # the public parts of logged-in pages, under the page cache's token
    security.register(app)
    i18n.register(app)
    access.register(app)  # after security (an ended session is logged out, not held) and i18n
    page_cache.register_lookup(app)  # last before-request hook: after request id and locale
    benchmark.register(app)
    transactions.register_commit(app)  # the first after-request hook to run: commits or rolls back
    from app.worker import register_repeat_views

    register_repeat_views(app)  # the access log's repeat views, written after the answer


def register_template_helpers(app: Flask) -> None:
    from app import chrome, static_files, templating

    templating.register(app)
    static_files.register(app)
    chrome.register(app)  # every page's frame, rendered once per language, reader kind and address


def register_commands(app: Flask) -> None:
    from app import cli

    cli.register(app)
