"""The application served on a free local port, and how Chromium is started here.

Shared by the browser tests (``conftest.py``) and ``scripts/screenshots.py``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, got_request_exception
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from app import create_app
from app.extensions import db
from tests import builders

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# Chromium as the machine allows it: as root (no sandbox), headless, and quiet on a closed network.
# Playwright drives this browser; it never downloads one of its own (no `playwright install`).
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

MODERATOR_EMAIL = "moderator@tadamun.test"
PASSWORD = builders.DEFAULT_PASSWORD


class QuietRequestHandler(WSGIRequestHandler):
    """No access log line per request in the output."""

    def log_request(self, *args, **kwargs) -> None:
        pass


@dataclass
class LiveServer:
    app: Flask
    url: str
    outbox: Path
    server: BaseWSGIServer
    thread: threading.Thread
    errors: list[BaseException] = field(default_factory=list)

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


def load_demo_data() -> None:
    """The demo data of ``app.seeding.demo_data`` (campaigns, organizations, pledges, projects)."""
    from app.seeding import demo_data

    demo_data.load()


def seed_site() -> None:
    """The demo data and one moderator account (inside an app context; commits)."""
    load_demo_data()
    builders.make_moderator(MODERATOR_EMAIL)
    db.session.commit()
    db.session.remove()


def start_live_server(folder: Path) -> LiveServer:
    """The real application (CSRF on, rate limits off) on a SQLite file in ``folder``, with mail
    written as ``.eml`` files to ``folder/outbox``; the schema is built, no data yet."""
    outbox = folder / "outbox"
    settings = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'live.db'}",
        # Served like production, not like the test client: real error pages, real CSRF.
        "TESTING": False,
        "PROPAGATE_EXCEPTIONS": False,
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_ENABLED": False,
        "MAIL_BACKEND": "file",
        "MAIL_OUTBOX_DIR": str(outbox),
        "UPLOAD_FOLDER": str(folder / "uploads"),
    }
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    url = f"http://127.0.0.1:{server.port}"
    app.config["SITE_URL"] = url  # links in mail point at this server
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    live = LiveServer(app=app, url=url, outbox=outbox, server=server, thread=thread)

    def record_exception(sender, exception, **extra):
        live.errors.append(exception)

    got_request_exception.connect(record_exception, app, weak=False)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    with app.app_context():
        db.drop_all()
        builders.create_schema()
    thread.start()
    return live


def translator(app: Flask, locale: str) -> Callable[..., str]:
    """``translator(app, "ar")("Log in")``: the app's own translation of an English string."""
    from flask_babel import force_locale, gettext

    def _t(msgid: str, **params) -> str:
        with app.test_request_context(), force_locale(locale):
            return gettext(msgid, **params)

    return _t
