"""The measuring tools of `make bench` (scripts/bench.py), without measuring anything: the ceiling
application answers, the report turns figures into shares of the ceiling, the bench logs in
through the real login pages, and the login bot stays on 127.0.0.1 and stops by itself."""

from __future__ import annotations

import gc
import http.server
import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from werkzeug.serving import make_server

from app.extensions import db
from tests.builders import make_organization
from tests.conftest import app_context

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


bench = _load("bench_script", SCRIPTS / "bench.py")


@contextmanager
def served(wsgi_app):
    """``wsgi_app`` answering on 127.0.0.1 in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_the_ceiling_is_an_empty_flask_app_with_one_short_route():
    ceiling = _load("bench_ceiling_app", SCRIPTS / "bench_ceiling_app.py")
    response = ceiling.app.test_client().get("/")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok\n"
    assert not ceiling.app.extensions  # nothing of Tadamun, no database
    assert not ceiling.app.before_request_funcs and not ceiling.app.after_request_funcs


def test_gunicorn_serves_the_ceiling_with_the_same_settings():
    """gunicorn.conf.py's worker start-up (database connections, gc.freeze) works for an app
    without a database, so the ceiling runs under exactly the app's settings."""
    ceiling = _load("bench_ceiling_app", SCRIPTS / "bench_ceiling_app.py")
    settings = _load("gunicorn_settings", SCRIPTS.parent / "gunicorn.conf.py")
    server = SimpleNamespace(app=SimpleNamespace(wsgi=lambda: ceiling.app))
    try:
        settings.post_fork(server, None)
    finally:
        gc.unfreeze()
    assert settings.preload_app and settings.worker_class == "sync"


def test_gunicorns_master_compiles_every_template_so_the_workers_compile_none(make_app, monkeypatch):
    """Compiled once before the fork (``when_ready``), the templates are the workers' from the
    start: no first visit after a start waits for a page's templates to compile."""
    application = make_app()
    settings = _load("gunicorn_settings", SCRIPTS.parent / "gunicorn.conf.py")
    settings.when_ready(SimpleNamespace(app=SimpleNamespace(wsgi=lambda: application)))

    compiled = []
    monkeypatch.setattr(application.jinja_env, "compile", lambda *args, **kwargs: compiled.append(args))
    with app_context(application):
        make_organization(name="Tigris Keepers", slug="tigris-keepers")
        db.session.commit()
    client = application.test_client()
    for path in ("/", "/campaigns/", "/organizations/", "/organizations/tigris-keepers", "/search?q=tigris"):
        assert client.get(path).status_code == 200, path
    assert compiled == []
    assert len(application.jinja_env.list_templates()) > 100  # every one, e-mails included


def test_the_ceiling_has_nothing_to_prepare_before_the_fork():
    ceiling = _load("bench_ceiling_app", SCRIPTS / "bench_ceiling_app.py")
    settings = _load("gunicorn_settings", SCRIPTS.parent / "gunicorn.conf.py")
    settings.when_ready(SimpleNamespace(app=SimpleNamespace(wsgi=lambda: ceiling.app)))  # no error


def _result(page, rps, ceiling, column=bench.VISITOR, p99=10.0):
    return bench.Result(page, f"/{page}", rps, 5.0, p99, 3, 0, ceiling, column)


def test_the_report_gives_every_figure_as_a_share_of_the_ceiling_and_of_the_baseline():
    run = bench.Run("sqlite", "large", {"organizations": 10})
    run.ceiling = _result("ceiling", 1000, 1000, "ceiling")
    run.results = {
        bench.VISITOR: {"baseline": _result("baseline", 600, 1000), "home": _result("home", 400, 800)},
        bench.MEMBER: {
            "baseline": _result("baseline", 500, 1000, bench.MEMBER),
            "home": _result("home", 100, 1000, bench.MEMBER, p99=250.0),
        },
    }
    assert run.results[bench.VISITOR]["home"].of_ceiling == pytest.approx(0.5)
    assert run.of_baseline(bench.VISITOR, "home") == pytest.approx(0.5 / 0.6)

    visitor = bench.table(run, None, bench.VISITOR)
    assert "| ceiling (empty Flask app) | 1,000 | 100.0% |" in visitor
    assert "| baseline | 600 | 60.0% | 100.0% |" in visitor
    assert "| home | 400 | 50.0% | 83.3% |" in visitor
    assert "| home | 100 | 10.0% | 20.0% |" in bench.table(run, None, bench.MEMBER)

    missed = bench.verdicts("sqlite, page cache on", run, None)
    assert missed == [
        "sqlite, page cache on, member: home at 10.0% of the ceiling (target 15%)",
        "sqlite, page cache on, member: home p99 250.0 ms (target < 100)",
    ]


def test_the_report_gives_the_huge_set_search_at_one_connection_and_each_workers_peak_memory():
    def run_of(dataset, p50, queries=3):
        run = bench.Run("postgresql", dataset, {"organizations": 10})
        run.ceiling = _result("ceiling", 1000, 1000, "ceiling")
        home = bench.Result("home", "/", 400, p50, 20.0, queries, 0, 1000, bench.VISITOR)
        run.results = {bench.VISITOR: {"home": home}}
        return run

    large, small, huge = run_of("large", 6.0), run_of("small", 5.0), run_of("huge", 9.0, queries=4)
    large.single = {"search": bench.Result("search", "/search?q=x", 50, 25.0, 40.0, 3, 0, 0.0, bench.MEMBER)}
    huge.single = {"search": bench.Result("search", "/search?q=x", 80, 12.0, 30.0, 3, 0, 0.0, bench.MEMBER)}
    large.worker_peak_mb, huge.worker_peak_mb = [120.0, 131.0], [140.0, 162.0]

    text = bench.table(large, small, bench.VISITOR, huge)
    assert "| huge p50 ms | huge queries | huge/small p50 |" in text.splitlines()[0]
    assert text.splitlines()[-1].endswith("| 5.0 | 1.20x | 9.0 | 4 | 1.80x |")
    assert bench.extra_lines(large, small, huge) == [
        "- large set, 1 connection, uncached: search p50 25.0 ms, p99 40.0 ms (member).",
        "- large set, peak RSS per gunicorn worker after the run (VmHWM): 120 MB, 131 MB.",
        "- huge set, 1 connection, uncached: search p50 12.0 ms, p99 30.0 ms (member).",
        "- huge set, peak RSS per gunicorn worker after the run (VmHWM): 140 MB, 162 MB.",
    ]
    assert bench.verdicts("postgresql, page cache off", large, small, huge) == [
        "postgresql, page cache off, visitor: home huge/small p50 1.80x (target <= 1.5x)",
        "postgresql, page cache off, visitor: home runs 4 queries on the huge set, 3 on the large",
        "postgresql, page cache off: search p50 25.0 ms at 1 connection, uncached, large set (target < 20)",
        "postgresql, page cache off: a worker's peak RSS 162 MB, huge set (goal < 150)",
    ]
    # A page none of whose requests came back in time is a miss, not a "0.00x" growth.
    huge.results[bench.VISITOR]["home"] = bench.Result("home", "/", 0.0, 0.0, 0.0, 3, 0, 1000, bench.VISITOR)
    first = bench.verdicts("postgresql, page cache off", large, small, huge)[0]
    assert first.endswith("visitor: home: no request answered within wrk's 2 s timeout on the huge set")


def test_each_workers_peak_memory_is_read_from_proc_before_the_server_stops():
    """Two children of one parent (as gunicorn's workers are of its master), each of which has
    held 40 MB: their VmHWM is read, the parent's own is not."""
    child = "import sys, time; block = bytearray(40 * 1024 * 1024); del block; time.sleep(60)"
    parent_code = (
        "import subprocess, sys, time\n"
        f"children = [subprocess.Popen([sys.executable, '-c', {child!r}]) for _ in range(2)]\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code])  # noqa: S603 (this Python)
    try:
        deadline = time.monotonic() + 20
        peaks: list[float] = []
        while time.monotonic() < deadline:
            peaks = bench.worker_peak_rss_mb(parent.pid)
            if len(peaks) == 2 and min(peaks) >= 40:
                break
            time.sleep(0.2)
        assert len(peaks) == 2 and min(peaks) >= 40, peaks
    finally:
        for pid in _children(parent.pid):
            os.kill(pid, signal.SIGTERM)
        parent.terminate()
        parent.wait(10)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def test_the_bench_talks_to_127_0_0_1_only():
    for url in ("http://example.org", "http://localhost:8000", "https://127.0.0.1:8000", "http://10.0.0.1"):
        with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
            bench.LoginNoise(url, "someone@example.org")
        with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
            bench.log_in(url, "someone@example.org", "a password")


class FakeLogin(http.server.BaseHTTPRequestHandler):
    posts: list[dict[str, list[str]]] = []

    def do_GET(self):
        body = b'<form><input type="hidden" name="csrf_token" value="the-token"></form>'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        FakeLogin.posts.append(urllib.parse.parse_qs(self.rfile.read(length).decode()))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_login_bot_posts_at_its_rate_with_a_csrf_token_and_stops_by_itself():
    FakeLogin.posts = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeLogin)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        bot = bench.LoginNoise(
            f"http://127.0.0.1:{server.server_port}", "guessed@example.org", rate=20, duration=0.5
        )
        started = time.monotonic()
        bot.start()
        bot.join(5)  # never told to stop
        assert not bot.is_alive()
        assert time.monotonic() - started < 2
    finally:
        server.shutdown()
        server.server_close()
    assert 5 <= len(FakeLogin.posts) <= 11  # 20 a second for half a second, bounded
    assert bot.statuses == {"200": len(FakeLogin.posts)}
    assert all(post["csrf_token"] == ["the-token"] for post in FakeLogin.posts)
    assert FakeLogin.posts[0]["email"] == ["guessed@example.org"]
    assert FakeLogin.posts[1]["email"] != ["guessed@example.org"]  # unknown accounts too


def test_the_bench_logs_members_and_moderators_in_through_the_real_login_pages(app, make_app):
    application = make_app(WTF_CSRF_ENABLED=True)
    with app_context(application):
        profiled = make_organization("Profiled Org")
        make_organization("Members Org")
        db.session.commit()
        accounts = bench.make_accounts(profiled)
    with served(application) as base:
        for column in (bench.MEMBER, bench.MODERATOR):
            account = accounts[column]
            cookie = bench.log_in(base, account["email"], account["password"], account.get("totp"))
            client = application.test_client()
            name, _, value = cookie.partition("; ")[0].partition("=")
            client.set_cookie(name, value)
            assert client.get("/account/").status_code == 200, column  # logged in
            # What wrk sends gets every page without a new cookie: the load measures the
            # session a browser keeps, not one signed again for each answer.
            for path in ("/account/", "/campaigns/", "/organizations/"):
                loopback = urllib.request.Request(base + path, headers=bench.session_headers(cookie))  # noqa: S310
                with urllib.request.urlopen(loopback, timeout=10) as response:  # noqa: S310
                    assert response.status == 200 and not response.headers.get("Set-Cookie"), (column, path)
        with pytest.raises(SystemExit, match="failed"):
            bench.log_in(base, accounts[bench.MEMBER]["email"], "not the password")


def test_profile_pages_times_each_step_of_a_request_and_keeps_the_views_marks(app, monkeypatch):
    import flask.templating

    # The timer replaces Flask's template rendering for the process: put it back afterwards.
    monkeypatch.setattr(flask.templating, "_render", flask.templating._render)
    profile_pages = _load("profile_pages_script", SCRIPTS / "profile_pages.py")
    profile_view = app.view_functions["organizations.detail"]

    steps = profile_pages.StepTimer(app)
    assert app.test_client().get("/campaigns/").status_code == 200

    # The access log's mark on the profile view is still read through the timed view.
    assert app.view_functions["organizations.detail"].records_views is profile_view.records_views
    assert steps.spent["view campaigns.index"] > 0
    assert steps.spent["templates (render_template)"] > 0
    assert any(name.startswith("before app.security") for name in steps.spent)
    assert any(name.startswith("after app.security") for name in steps.spent)
