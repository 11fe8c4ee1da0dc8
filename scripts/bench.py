"""`make bench`: how fast each public page is, at the size of a real network.

For each database (a scratch SQLite file; PostgreSQL ``tadamun_bench`` when reachable) and
each data set (the large synthetic network, then the small demo set) this script:

1. builds the database from scratch (migrations, then ``flask large-data`` or ``flask demo-data``);
2. counts the SQL queries of each page in-process (the "queries" column), and creates a member of
   an approved organization, a moderator with an authenticator app, and an account to guess at;
3. serves the app with gunicorn (``gunicorn.conf.py``: sync workers, gc.freeze) on 127.0.0.1
   and a free port, with the empty ``/bench/baseline`` route switched on, and beside it the
   ceiling: an empty Flask application (``scripts/bench_ceiling_app.py``) under the same settings;
4. logs the member and the moderator in through the real login pages (CSRF token, password,
   second step with a TOTP code) and keeps their session cookies;
5. drives each page with wrk (or a small Python client when wrk is missing): 16 connections,
   a fixed duration per page, gzip accepted like a browser; as a visitor, as a visitor while a
   bot posts 5 failed logins a second, as the member and as the moderator (page cache on), as a
   visitor alone (page cache off); the ceiling is measured again before each page;
6. prints requests/s, p50 and p99 latency, queries, the share of the ceiling and of the app's
   empty route, and the large/small latency ratio; writes it all to docs/performance.md.

It is a script, not a test: timings depend on the machine and on what else runs on it.
The huge set (``--huge``: ``flask large-data --huge``, ten times the large one) is measured too
when asked; ``make bench`` leaves it out (building it takes about 3 minutes per database on two
cores, and measuring it a third more) unless ``BENCH_ARGS=--huge`` is given.
Search is measured once more at 1 connection, uncached, and each gunicorn worker's peak memory
(VmHWM) is read before the server stops.

Usage: .venv/bin/python scripts/bench.py [--duration 5] [--scale 1.0] [--no-postgres] [--huge]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
PG_SERVER = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
PG_DATABASE = os.environ.get("BENCH_POSTGRES_DATABASE", "tadamun_bench")  # dropped and re-created
CONNECTIONS = 16

PAGE_TYPES = [
    "baseline",
    "home",
    "campaign list",
    "campaign page",
    "directory",
    "directory search+filters",
    "search",
    "organization profile",
    "project page",
]

# The columns of a run with the page cache on: a visitor; a visitor while a bot sends failed
# logins; a member of an approved organization; a moderator (logged in with a second factor).
VISITOR, NOISE, MEMBER, MODERATOR = "visitor", "visitor under login noise", "member", "moderator"
COLUMNS = [VISITOR, NOISE, MEMBER, MODERATOR]
BOT_LOGINS_PER_SECOND = 5.0

# Targets, as shares of the ceiling (the empty Flask application) measured in the same run.
TARGET_VISITOR = 0.40  # every page, page cache on
TARGET_NOISE = 0.30  # every page, page cache on, while the bot sends failed logins
TARGET_SESSION = 0.15  # every page for a member or moderator
TARGET_SESSION_P99_MS = 100.0
TARGET_BASELINE = 0.60  # the app's own empty route, with every request hook
TARGET_SEARCH_P50_MS = 20.0  # search at 1 connection, uncached
TARGET_GROWTH = 1.5  # large (and huge) set's p50 over the demo set's
TARGET_WORKER_PEAK_MB = 150.0  # peak RSS (VmHWM) of each gunicorn worker after the run
# Measured once more at 1 connection, uncached (the member's session skips the page cache).
SEARCH_PAGES = ("search", "directory search+filters")


@dataclass
class Result:
    page: str
    url: str
    rps: float
    p50_ms: float
    p99_ms: float
    queries: int | None
    errors: int = 0
    # The ceiling (the empty Flask application) measured just before this page: on a shared
    # machine the load from other processes drifts within minutes, so each page is compared with
    # its neighbour in time.
    ceiling_rps: float = 0.0
    column: str = "visitor"

    @property
    def of_ceiling(self) -> float:
        return self.rps / self.ceiling_rps if self.ceiling_rps else 0.0


@dataclass
class Run:
    database: str
    dataset: str
    rows: dict[str, int]
    # column ("visitor", "member", ...) -> page -> result
    results: dict[str, dict[str, Result]] = field(default_factory=dict)
    ceiling: Result | None = None
    noise: dict[str, int] = field(default_factory=dict)  # what the login bot sent and got
    # SEARCH_PAGES at 1 connection, uncached: page -> result.
    single: dict[str, Result] = field(default_factory=dict)
    # Each gunicorn worker's peak resident memory (VmHWM) at the end of the run, in MB.
    worker_peak_mb: list[float] = field(default_factory=list)
    built: str = ""  # what building the data set printed, with its time

    def of_baseline(self, column: str, page: str) -> float:
        """The page's share of the app's own empty route, each against its own ceiling."""
        baseline = self.results[column].get("baseline")
        if baseline is None or not baseline.of_ceiling:
            return 0.0
        return self.results[column][page].of_ceiling / baseline.of_ceiling


# --- building the databases ------------------------------------------------------------------


def flask(env: dict[str, str], *args: str) -> str:
    completed = subprocess.run(  # noqa: S603 (our own flask, fixed arguments)
        [str(VENV_BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,  # the summary; the stages go on to the terminal as they end
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{completed.stdout}")
    return completed.stdout.strip()


def postgres_reachable() -> bool:
    import psycopg

    try:
        with psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def recreate_postgres_database() -> str:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    return f"{PG_SERVER}/{PG_DATABASE}"


def base_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "TADAMUN_CONFIG": "production",
            "SECRET_KEY": "bench-" + os.urandom(24).hex(),
            "TRUSTED_HOSTS": "127.0.0.1,localhost",
            "SESSION_COOKIE_SECURE": "0",
            "TADAMUN_BENCHMARK": "1",
            "MAIL_BACKEND": "file",
            "PYTHONPATH": str(ROOT),
            # The login bot stands for many addresses, which the per-address limit on login
            # attempts does not stop: every one of its posts is a failed login, not a refusal.
            "AUTH_RATE_LIMIT": "100000 per minute",
        }
    )
    env.pop("REDIS_URL", None)
    return env


def build(database_url: str, dataset: str, scale: float, instance_dir: Path) -> tuple[dict[str, str], str]:
    env = base_env(database_url)
    env["TADAMUN_INSTANCE_DIR"] = str(instance_dir)
    started = time.perf_counter()
    flask(env, "db", "upgrade")
    if dataset == "large":
        output = flask(env, "large-data", "--scale", str(scale))
    elif dataset == "huge":
        output = flask(env, "large-data", "--huge")
    else:
        output = flask(env, "demo-data").splitlines()[0]
    return env, f"{output} (built in {time.perf_counter() - started:.0f} s)"


# --- what to request -------------------------------------------------------------------------


def choose_urls(env: dict[str, str]) -> tuple[dict[str, str], dict[str, int], dict[str, int], dict]:
    """Run :func:`probe` in a fresh interpreter (the configuration is read at import)."""
    completed = subprocess.run(  # noqa: S603 (this very script)
        [sys.executable, str(Path(__file__).resolve()), "--probe"],
        cwd=ROOT,
        env=dict(env, TADAMUN_PAGE_CACHE="0"),  # count what a page costs when rendered
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"probe failed:\n{completed.stdout}\n{completed.stderr}")
    data = json.loads(completed.stdout.strip().splitlines()[-1])
    return data["urls"], data["queries"], data["rows"], data["accounts"]


def probe() -> None:
    """Pick representative rows, count each page's queries, check each answers 200; print JSON."""
    import sqlalchemy as sa

    from app import create_app
    from app.extensions import db
    from app.models import Campaign, Organization, OrganizationStatus, Pledge, Project

    app = create_app()
    with app.app_context():
        approved = Organization.status == OrganizationStatus.APPROVED
        campaign = db.session.scalar(sa.select(Campaign).order_by(Campaign.supporter_count.desc()))
        organization = db.session.scalar(
            sa.select(Organization).where(approved).order_by(Organization.public_pledge_count.desc())
        )
        project = db.session.scalar(
            sa.select(Project)
            .join(Project.organization)
            .where(Project.hidden_at.is_(None), approved)
            .order_by(Project.id)
        )
        city = organization.city.split()[0] if organization.city else "Baghdad"
        urls = {
            "baseline": "/bench/baseline",
            "home": "/",
            "campaign list": "/campaigns/",
            "campaign page": f"/campaigns/{campaign.slug}",
            "directory": "/organizations/",
            "directory search+filters": (
                f"/organizations/?q={urllib.request.quote(city)}"
                f"&kind={organization.kind.value}&country={organization.country}"
            ),
            "search": f"/search?q={urllib.request.quote(campaign.title.split()[-1].lower()[:5])}",
            "organization profile": f"/organizations/{organization.slug}",
            "project page": f"/projects/{project.slug}",
        }
        rows = {
            name: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for name, model in (
                ("organizations", Organization),
                ("campaigns", Campaign),
                ("pledges", Pledge),
                ("projects", Project),
            )
        }
        accounts = make_accounts(organization)
        db.session.remove()

        statements: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
                statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", record)
    client = app.test_client()
    queries: dict[str, int] = {}
    for page, url in urls.items():
        client.get(url)  # warm caches and templates
        statements.clear()
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{page} {url} answered {response.status_code}")
        queries[page] = len(statements)
    print(json.dumps({"urls": urls, "queries": queries, "rows": rows, "accounts": accounts}))


def make_accounts(profiled) -> dict[str, dict[str, str]]:
    """A member of an approved organization (no second factor), a moderator with an authenticator
    app set up through the service (as the account page does it), and the account the login bot
    guesses at; committed. Returns what the bench logs in with."""
    import pyotp
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Organization, OrganizationStatus, Role, User
    from app.models.base import utcnow
    from app.services import accounts, two_factor
    from app.services.moderation import create_moderator
    from app.services.passwords import hash_password

    password = "bench-" + os.urandom(12).hex()
    organization = db.session.scalar(
        sa.select(Organization)
        .where(
            Organization.status == OrganizationStatus.APPROVED,
            Organization.id != profiled.id,
            Organization.require_two_factor.is_(False),
        )
        .order_by(Organization.id)
    )
    for email in ("bench-member@example.org", "bench-guessed@example.org"):
        db.session.add(
            User(
                email=email,
                password_hash=hash_password(password),
                role=Role.MEMBER,
                organization_id=organization.id,
                is_owner=False,
                email_confirmed_at=utcnow(),
            )
        )
    moderator = create_moderator("bench-moderator@example.org", password)
    secret = two_factor.new_totp_secret()
    # A code of the previous time step sets the app up, so the login's code (this step's) is new.
    step = two_factor.time_step(accounts.clock()) - 1
    code = pyotp.TOTP(secret, interval=two_factor.TOTP_INTERVAL).generate_otp(step)
    two_factor.enable_totp(moderator, secret, code)
    db.session.commit()
    return {
        MEMBER: {"email": "bench-member@example.org", "password": password},
        MODERATOR: {"email": moderator.email, "password": password, "totp": secret},
        "guessed": {"email": "bench-guessed@example.org"},
    }


# --- serving and loading ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(
    env: dict[str, str], port: int, workers: int, app: str = "wsgi:app", ready: str = "/bench/baseline"
) -> subprocess.Popen:
    env = dict(env, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS=str(workers))
    env["GUNICORN_LOG_LEVEL"] = "warning"
    # The application's own log (a line per logged-in request) goes to a file, as in production
    # it goes to the journal: written, but not onto the terminal the results are printed on.
    log_path = Path(env.get("TADAMUN_INSTANCE_DIR", tempfile.gettempdir())) / f"gunicorn-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
            [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), app],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready}", timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    stop_gunicorn(process)
    raise SystemExit(f"gunicorn ({app}) did not start:\n{log_path.read_text()[-3000:]}")


def start_ceiling(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    """The empty Flask application (scripts/bench_ceiling_app.py), served like the app."""
    env = dict(env, PYTHONPATH=f"{ROOT / 'scripts'}{os.pathsep}{ROOT}")
    return start_gunicorn(env, port, workers, app="bench_ceiling_app:app", ready="/")


def worker_peak_rss_mb(master_pid: int) -> list[float]:
    """The peak resident memory (``VmHWM`` of /proc/<pid>/status) of each child process of
    ``master_pid`` (gunicorn's workers), in MB; read before the master is stopped."""
    children: list[int] = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a process that just ended
        if int(fields[1]) == master_pid:
            children.append(int(stat.parent.name))
    peaks = []
    for pid in sorted(children):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        if found:
            peaks.append(int(found.group(1)) / 1024)
    return peaks


def stop_gunicorn(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def load_with_wrk(
    url: str, duration: int, headers: dict[str, str] | None = None, connections: int = CONNECTIONS
) -> tuple[float, float, float, int]:
    command = [shutil.which("wrk"), "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "2s"]
    command += ["--latency", "-H", "Accept-Encoding: gzip"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout  # noqa: S603
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output).group(1))
    errors = 0
    for pattern in (r"Non-2xx or 3xx responses:\s+(\d+)", r"Socket errors:.*?timeout (\d+)"):
        match = re.search(pattern, output)
        errors += int(match.group(1)) if match else 0
    return rps, p50, p99, errors


def load_with_python(
    url: str, duration: int, headers: dict[str, str] | None = None, connections: int = CONNECTIONS
) -> tuple[float, float, float, int]:
    """A fallback load generator: 16 threads (``connections``), each a request at a time, for
    ``duration`` s."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + duration
    sent = {"Accept-Encoding": "gzip", **(headers or {})}

    def worker():
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                request = urllib.request.Request(url, headers=sent)  # noqa: S310
                with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
                    response.read()
            except OSError:
                with lock:
                    errors[0] += 1
                continue
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    if not latencies:
        return 0.0, 0.0, 0.0, errors[0]
    return (
        len(latencies) / duration,
        latencies[len(latencies) // 2],
        latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        errors[0],
    )


# --- logging in, and the login bot -----------------------------------------------------------

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def _loopback(base_url: str) -> str:
    """``base_url`` if it points at 127.0.0.1, else ValueError: the bench sends nothing elsewhere."""
    parsed = urllib.parse.urlsplit(base_url)
    if parsed.scheme != "http" or parsed.hostname != "127.0.0.1":
        raise ValueError(f"the benchmark only talks to http://127.0.0.1, not {base_url!r}")
    return base_url.rstrip("/")


def _csrf_token(html: str) -> str:
    found = CSRF_FIELD.search(html)
    if found is None:
        raise ValueError("no CSRF token on the page")
    return found.group(1) or found.group(2)


# The browser the bench logs in with and loads pages as: a logged-in session is bound to its
# browser (Flask-Login's session protection compares the User-Agent), so wrk sends the same one.
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) tadamun-bench"


def session_headers(cookie: str) -> dict[str, str]:
    """What a logged-in browser sends with every page: its cookie and its User-Agent."""
    return {"Cookie": cookie, "User-Agent": USER_AGENT}


def _browser() -> tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    return opener, jar


def _post_form(opener, url: str, fields: dict[str, str]):
    data = urllib.parse.urlencode(fields).encode()
    return opener.open(urllib.request.Request(url, data=data, method="POST"), timeout=10)  # noqa: S310


def log_in(base_url: str, email: str, password: str, totp_secret: str | None = None) -> str:
    """Log in through the real login page (and its second step with a code from the
    authenticator app when ``totp_secret`` is given), as a browser does: CSRF token, session
    cookie, redirects. Returns the ``Cookie`` header that carries the session."""
    base = _loopback(base_url)
    opener, jar = _browser()
    with opener.open(f"{base}/auth/login", timeout=10) as response:
        token = _csrf_token(response.read().decode())
    with _post_form(
        opener, f"{base}/auth/login", {"csrf_token": token, "email": email, "password": password}
    ) as response:
        landed, page = urllib.parse.urlsplit(response.geturl()).path, response.read().decode()
    if totp_secret is not None:
        if landed != "/auth/login/second-step":
            raise SystemExit(f"login of {email}: expected the second step, got {landed}")
        import pyotp

        code = pyotp.TOTP(totp_secret).now()
        with _post_form(
            opener, f"{base}{landed}", {"csrf_token": _csrf_token(page), "code": code}
        ) as response:
            landed = urllib.parse.urlsplit(response.geturl()).path
    if landed.startswith("/auth/login"):
        raise SystemExit(f"login of {email} failed (landed on {landed})")
    # The first page after a login may add to the session (a form's CSRF token); the browser
    # keeps the cookie it gets back, and so does the bench before it hands the cookie to wrk.
    with opener.open(f"{base}/account/", timeout=10) as response:
        response.read()
    cookie = "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)
    # The cookie alone (what wrk sends) opens the account page: the session is a real one. And
    # it is settled: an answer that set a new cookie on every request would have wrk measure a
    # session signed again for each page, which no browser keeping its cookie pays.
    request = urllib.request.Request(f"{base}/account/", headers=session_headers(cookie))  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        if urllib.parse.urlsplit(response.geturl()).path != "/account/":
            raise SystemExit(f"the session cookie of {email} does not open the account page")
        if response.headers.get("Set-Cookie"):
            raise SystemExit(f"the session of {email} changes at every request: wrk would not keep it")
    return cookie


class LoginNoise(threading.Thread):
    """A bot that sends failed logins to the app on 127.0.0.1, ``rate`` a second, for at most
    ``duration`` seconds, then stops by itself (``stop()`` ends it sooner).

    It plays by the form's rules, as a real bot must for its guesses to reach the password check:
    it fetches the login page once for a CSRF token and the session cookie it is bound to, then
    posts wrong passwords, in turn for an existing account (``guessed``) and for unknown ones.
    Each post leaves on time in a thread of its own (a slow answer does not slow the bot down),
    at most ``MAX_IN_FLIGHT`` at once; a post that finds that many waiting is counted as skipped."""

    MAX_IN_FLIGHT = 10

    def __init__(
        self, base_url: str, guessed: str, rate: float = BOT_LOGINS_PER_SECOND, duration: float = 10.0
    ):
        super().__init__(daemon=True, name="login-noise")
        self.base = _loopback(base_url)
        self.guessed = guessed
        self.rate = rate
        self.duration = duration
        self.limit = int(rate * duration) + 1  # bounded whatever the clock does
        self.statuses: dict[str, int] = {}
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    def stop(self) -> None:
        self._stopping.set()

    @property
    def sent(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != "skipped")

    def _count(self, status: str) -> None:
        with self._lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def _post(self, opener, fields: dict[str, str]) -> None:
        try:
            with _post_form(opener, f"{self.base}/auth/login", fields) as response:
                response.read()
                status = str(response.status)
        except urllib.error.HTTPError as error:
            status = str(error.code)
        except OSError:
            status = "error"
        self._count(status)

    def run(self) -> None:
        opener, _jar = _browser()
        stop_at = time.monotonic() + self.duration
        try:
            with opener.open(f"{self.base}/auth/login", timeout=5) as response:
                token = _csrf_token(response.read().decode())
        except (OSError, ValueError):
            self._count("no login page")
            return
        posts: list[threading.Thread] = []
        started = time.monotonic()
        for number in range(self.limit):
            at = started + number / self.rate
            if at >= stop_at or self._stopping.wait(max(0.0, at - time.monotonic())):
                break
            if sum(post.is_alive() for post in posts) >= self.MAX_IN_FLIGHT:
                self._count("skipped")
                continue
            email = self.guessed if number % 2 == 0 else f"nobody-{number}@example.org"
            fields = {"csrf_token": token, "email": email, "password": f"wrong guess {number}"}
            post = threading.Thread(target=self._post, args=(opener, fields), daemon=True)
            post.start()
            posts.append(post)
        for post in posts:
            post.join(15)


# --- measuring -------------------------------------------------------------------------------


def measure(
    run: Run,
    env: dict[str, str],
    urls,
    queries,
    duration: int,
    workers: int,
    columns: list[str],
    accounts: dict,
) -> None:
    port, ceiling_port = free_port(), free_port()
    ceiling_server = start_ceiling(env, ceiling_port, workers)
    server = None
    load = load_with_wrk if shutil.which("wrk") else load_with_python
    try:
        server = start_gunicorn(env, port, workers)
        base, ceiling_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{ceiling_port}/"
        cookies = {
            column: log_in(
                base, accounts[column]["email"], accounts[column]["password"], accounts[column].get("totp")
            )
            for column in columns
            if column in (MEMBER, MODERATOR)
        }
        load(ceiling_url, 1)
        rps, p50, p99, errors = load(ceiling_url, duration)
        run.ceiling = Result("ceiling", "/", rps, p50, p99, 0, errors, rps, "ceiling")
        print(
            f"  {'ceiling (empty Flask app)':26} {rps:8.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms",
            flush=True,
        )
        for page in PAGE_TYPES:
            url = f"{base}{urls[page]}"
            load(url, 1)  # warm every worker: imports, templates, connections, the page cache
            for column in cookies:
                load(url, 1, session_headers(cookies[column]))
            ceiling = load(ceiling_url, max(2, duration // 2))[0]
            for column in columns:
                headers = session_headers(cookies[column]) if column in cookies else {}
                bot = None
                if column == NOISE:
                    bot = LoginNoise(base, accounts["guessed"]["email"], duration=duration + 1)
                    bot.start()
                try:
                    rps, p50, p99, errors = load(url, duration, headers)
                finally:
                    if bot is not None:
                        bot.stop()
                        bot.join()
                        for status, n in bot.statuses.items():
                            run.noise[status] = run.noise.get(status, 0) + n
                result = Result(page, urls[page], rps, p50, p99, queries.get(page), errors, ceiling, column)
                run.results.setdefault(column, {})[page] = result
                print(
                    f"  {page:26} {column:26} {rps:8.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
                    f"{result.of_ceiling:6.1%} of ceiling ({ceiling:.0f} req/s)"
                    + (f"  ERRORS {errors}" if errors else ""),
                    flush=True,
                )
        if run.noise:
            print(f"  login bot: {', '.join(f'{n} x {s}' for s, n in sorted(run.noise.items()))}", flush=True)
        # Search once more at 1 connection, uncached: as the member (whose pages the page cache
        # never serves), or as a visitor when the page cache is off.
        single_headers = session_headers(cookies[MEMBER]) if MEMBER in cookies else {}
        if single_headers or env.get("TADAMUN_PAGE_CACHE") == "0":
            for page in SEARCH_PAGES:
                url = f"{base}{urls[page]}"
                load(url, 1, single_headers, 1)
                rps, p50, p99, errors = load(url, duration, single_headers, 1)
                who = MEMBER if single_headers else VISITOR
                run.single[page] = Result(
                    page, urls[page], rps, p50, p99, queries.get(page), errors, 0.0, who
                )
                print(
                    f"  {page:26} {'1 connection, uncached':26} {rps:8.0f} req/s  p50 {p50:6.1f} ms  "
                    f"p99 {p99:6.1f} ms ({who})",
                    flush=True,
                )
    finally:
        if server is not None:
            run.worker_peak_mb = worker_peak_rss_mb(server.pid)
            print(
                f"  peak RSS per worker: {', '.join(f'{mb:.0f} MB' for mb in run.worker_peak_mb)}", flush=True
            )
            stop_gunicorn(server)
        stop_gunicorn(ceiling_server)


# --- report ----------------------------------------------------------------------------------


def verdicts(label: str, large: Run, small: Run | None, huge: Run | None = None) -> list[str]:
    missed = []
    cached = "page cache on" in label
    for column, results in large.results.items():
        for page, result in results.items():
            share = result.of_ceiling
            name = f"{label}, {column}: {page}"
            if page == "baseline":
                if column == VISITOR and share < TARGET_BASELINE:
                    missed.append(f"{name} at {share:.1%} of the ceiling (target {TARGET_BASELINE:.0%})")
                continue
            target = {VISITOR: TARGET_VISITOR if cached else None, NOISE: TARGET_NOISE}.get(
                column, TARGET_SESSION
            )
            if target is not None and share < target:
                missed.append(f"{name} at {share:.1%} of the ceiling (target {target:.0%})")
            if column in (MEMBER, MODERATOR) and result.p99_ms >= TARGET_SESSION_P99_MS:
                missed.append(f"{name} p99 {result.p99_ms:.1f} ms (target < {TARGET_SESSION_P99_MS:.0f})")
            other = small.results.get(column, {}).get(page) if small else None
            for size, run in (("large", large), ("huge", huge)):
                mine = run.results.get(column, {}).get(page) if run else None
                if mine is not None and not mine.rps:
                    missed.append(f"{name}: no request answered within wrk's 2 s timeout on the {size} set")
                    continue
                if mine is None or other is None:
                    continue
                growth = mine.p50_ms / max(other.p50_ms, 0.001)
                if growth > TARGET_GROWTH:
                    missed.append(f"{name} {size}/small p50 {growth:.2f}x (target <= {TARGET_GROWTH}x)")
                if size == "huge" and mine.queries != result.queries:
                    missed.append(
                        f"{name} runs {mine.queries} queries on the huge set, {result.queries} on the large"
                    )
    for size, run in (("large", large), ("huge", huge)):
        if run is None:
            continue
        for page, result in run.single.items():
            if result.p50_ms >= TARGET_SEARCH_P50_MS:
                missed.append(
                    f"{label}: {page} p50 {result.p50_ms:.1f} ms at 1 connection, uncached, {size} set "
                    f"(target < {TARGET_SEARCH_P50_MS:.0f})"
                )
        for mb in run.worker_peak_mb:
            if mb >= TARGET_WORKER_PEAK_MB:
                goal = f"goal < {TARGET_WORKER_PEAK_MB:.0f}"
                missed.append(f"{label}: a worker's peak RSS {mb:.0f} MB, {size} set ({goal})")
    return missed


def table(large: Run, small: Run | None, column: str = VISITOR, huge: Run | None = None) -> str:
    extra_head = " huge p50 ms | huge queries | huge/small p50 |" if huge else ""
    lines = [
        "| page | req/s | % of ceiling | % of baseline | p50 ms | p99 ms | queries | small-set req/s "
        "| small % of ceiling | small p50 ms | large/small p50 |" + extra_head,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" * 3 if huge else ""),
    ]
    c, sc = large.ceiling, small.ceiling if small else None
    if c is not None:
        lines.append(
            f"| ceiling (empty Flask app) | {c.rps:,.0f} | 100.0% | - | {c.p50_ms:.1f} | {c.p99_ms:.1f} | - "
            f"| {f'{sc.rps:,.0f}' if sc else '-'} | {'100.0%' if sc else '-'} "
            f"| {f'{sc.p50_ms:.1f}' if sc else '-'} | - |"
            + (
                f" {huge.ceiling.p50_ms:.1f} | - | - |"
                if huge and huge.ceiling
                else " - | - | - |"
                if huge
                else ""
            )
        )
    for page, r in large.results.get(column, {}).items():
        s = small.results.get(column, {}).get(page) if small else None
        growth = f"{r.p50_ms / s.p50_ms:.2f}x" if s and s.p50_ms else "-"
        line = (
            f"| {page} | {r.rps:,.0f} | {r.of_ceiling:.1%} | {large.of_baseline(column, page):.1%} "
            f"| {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.queries if r.queries is not None else '-'} "
            f"| {f'{s.rps:,.0f}' if s else '-'} | {f'{s.of_ceiling:.1%}' if s else '-'} "
            f"| {f'{s.p50_ms:.1f}' if s else '-'} | {growth} |"
        )
        if huge:
            h = huge.results.get(column, {}).get(page)
            if h is None:
                line += " - | - | - |"
            else:
                huge_growth = f"{h.p50_ms / s.p50_ms:.2f}x" if s and s.p50_ms else "-"
                line += f" {h.p50_ms:.1f} | {h.queries if h.queries is not None else '-'} | {huge_growth} |"
        lines.append(line)
    return "\n".join(lines)


def extra_lines(large: Run, small: Run | None, huge: Run | None = None) -> list[str]:
    """Search at 1 connection uncached, and each worker's peak memory, for each data set."""
    lines = []
    for size, run in (("large", large), ("huge", huge), ("small", small)):
        if run is None:
            continue
        searches = "; ".join(
            f"{page} p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms ({r.column})"
            for page, r in run.single.items()
        )
        if searches:
            lines.append(f"- {size} set, 1 connection, uncached: {searches}.")
        if run.worker_peak_mb:
            peaks = ", ".join(f"{mb:.0f} MB" for mb in run.worker_peak_mb)
            lines.append(f"- {size} set, peak RSS per gunicorn worker after the run (VmHWM): {peaks}.")
    return lines


def write_report(runs: list[tuple[str, Run, Run | None, Run | None]], args, path: Path) -> None:
    text = path.read_text() if path.exists() else ""
    marker = "<!-- bench results -->"
    head = text.split(marker)[0] if marker in text else text
    body = [marker, ""]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    generator = "wrk" if shutil.which("wrk") else "Python threads"
    body.append(
        f"## Latest results ({stamp})\n\n{os.cpu_count()} CPU cores, gunicorn {args.workers} sync "
        f"workers, {CONNECTIONS} connections, {args.duration} s per page and column, load generator: "
        f"{generator}, large set at scale {args.scale}"
        + (", and the huge set (`flask large-data --huge`)" if getattr(args, "huge", False) else "")
        + ".\n"
    )
    if args.note:
        body.append(f"**{args.note}**\n")
    for label, large, small, huge in runs:
        body.append(f"### {label}\n")
        sizes = "Large set: " + ", ".join(f"{n:,} {what}" for what, n in large.rows.items())
        if huge:
            sizes += ". Huge set: " + ", ".join(f"{n:,} {what}" for what, n in huge.rows.items())
        if small:
            sizes += ". Small set: " + ", ".join(f"{n:,} {what}" for what, n in small.rows.items())
        body.append(sizes + ".\n")
        if huge and huge.built:
            body.append(f"Huge set: {huge.built}.\n")
        for column in large.results:
            body.append(f"#### {column}\n")
            if column == NOISE and large.noise:
                answers = ", ".join(f"{n:,} answered {s}" for s, n in sorted(large.noise.items()))
                body.append(
                    f"While a bot sent {BOT_LOGINS_PER_SECOND:.0f} failed logins a second "
                    f"(large set: {answers}).\n"
                )
            body.append(table(large, small, column, huge) + "\n")
        extra = extra_lines(large, small, huge)
        if extra:
            body.append("\n".join(extra) + "\n")
        missed = verdicts(label, large, small, huge)
        if missed:
            body.append("Targets missed:\n\n" + "\n".join(f"- {m}" for m in missed) + "\n")
        else:
            body.append("All targets met.\n")
    urls = runs[0][1].results[VISITOR]
    body.append(
        "Pages requested (large set, SQLite): " + ", ".join(f"{p} `{r.url}`" for p, r in urls.items())
    )
    path.write_text(head.rstrip() + "\n\n" + "\n".join(body) + "\n")
    raw = [
        {
            "run": label,
            **{
                name: None
                if run is None
                else {
                    "ceiling": run.ceiling.__dict__ if run.ceiling else None,
                    "login_bot": run.noise,
                    "results": {
                        c: {p: r.__dict__ for p, r in pages.items()} for c, pages in run.results.items()
                    },
                    "single_connection_uncached": {p: r.__dict__ for p, r in run.single.items()},
                    "worker_peak_mb": run.worker_peak_mb,
                    "built": run.built,
                }
                for name, run in (("large", large), ("small", small), ("huge", huge))
            },
        }
        for label, large, small, huge in runs
    ]
    (ROOT / "instance").mkdir(exist_ok=True)
    (ROOT / "instance" / "bench-results.json").write_text(json.dumps(raw, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per page")
    parser.add_argument("--scale", type=float, default=1.0, help="size of the large set (1.0 = full)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-small", action="store_true", help="skip the small demo set")
    parser.add_argument(
        "--huge",
        action="store_true",
        help="also the huge set (flask large-data --huge: 100,000 organizations, 2,000,000 pledges; "
        "about 3 minutes to build per database, and a third more measuring)",
    )
    parser.add_argument("--no-uncached", action="store_true", help="skip the runs without the page cache")
    parser.add_argument("--note", default="", help="a line printed above the tables (e.g. a busy machine)")
    parser.add_argument("--report", default=str(ROOT / "docs" / "performance.md"))
    parser.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        probe()
        return

    databases = ["sqlite"]
    if not args.no_postgres:
        if postgres_reachable():
            databases.append("postgresql")
        else:
            print(f"PostgreSQL not reachable at {PG_SERVER}: SQLite only.")
    # Pages of logged-in users are never cached: their columns are measured once, with the
    # cache on as in production; without it only the visitor's cost (the rendering) is new.
    modes = {"page cache on": COLUMNS, **({} if args.no_uncached else {"page cache off": [VISITOR]})}
    runs: list[tuple[str, Run, Run | None, Run | None]] = []
    with tempfile.TemporaryDirectory(prefix="tadamun-bench-") as scratch:
        for database in databases:
            measured: dict[tuple[str, str], Run] = {}
            for dataset in ("large", "huge", "small"):
                if (dataset == "small" and args.no_small) or (dataset == "huge" and not args.huge):
                    continue
                url = (
                    f"sqlite:///{scratch}/{dataset}.db"
                    if database == "sqlite"
                    else recreate_postgres_database()
                )
                print(f"== {database}, {dataset} set", flush=True)
                env, built = build(url, dataset, args.scale, Path(scratch) / f"instance-{database}-{dataset}")
                print(f"  {built}", flush=True)
                urls, queries, rows, accounts = choose_urls(env)
                for mode, columns in modes.items():
                    print(f" -- {mode}", flush=True)
                    run_env = dict(env, TADAMUN_PAGE_CACHE="1" if mode == "page cache on" else "0")
                    run = Run(database, dataset, rows, built=built)
                    measure(run, run_env, urls, queries, args.duration, args.workers, columns, accounts)
                    measured[(dataset, mode)] = run
            for mode in modes:
                runs.append(
                    (
                        f"{database}, {mode}",
                        measured[("large", mode)],
                        measured.get(("small", mode)),
                        measured.get(("huge", mode)),
                    )
                )
    notes = [line for label, large, small, huge in runs for line in verdicts(label, large, small, huge)]
    print("\n".join(["", "Targets missed:", *notes] if notes else ["", "All targets met."]))
    write_report(runs, args, Path(args.report))
    print(f"Written to {args.report}")


if __name__ == "__main__":
    main()
