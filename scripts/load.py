#!/usr/bin/env python3
"""Load test: the site under gunicorn (4 workers) on loopback, on a scratch SQLite database.

Scenarios, each checked against the database afterwards:

1. 50 concurrent identical pledges from one member: exactly one pledge, no 5xx.
2. A write storm: 2,000 mixed writes (pledge, change, withdraw, new project) by 32 members at
   once: every write answered 2xx/3xx, none lost (rows and campaign counters match the plan).
3. A browse mix: 50 visitors for 60 seconds over the public pages: no failure.
4. Rate limits across workers (when Redis answers on 127.0.0.1:6379): a 5-per-minute limit on
   the login form lets exactly 5 attempts through, whichever of the 4 workers serves them.

Bounded and self-stopping: everything runs on 127.0.0.1, in a temporary folder, with a time
limit; gunicorn is stopped at the end whatever happens. Prints the figures; exits 1 when an
expectation fails.

Usage: scripts/load.py [--browse-seconds 60] [--writes 2000] [--keep]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
PASSWORD = "load test passphrase 2026"  # noqa: S105 (scratch accounts on loopback)
MEMBERS = 32
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


# A small HTTP client: one per simulated person, cookies kept, no third-party packages. ----------


class Browser:
    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, bytes, float]:
        body = urlencode(form, doseq=True) if form is not None else None
        headers = {"Host": f"{HOST}:{self.port}", "Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        elapsed = time.perf_counter() - started
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value in ("", '""') or "expires=thu, 01 jan 1970" in header.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response.status, data, elapsed

    def csrf_token(self, path: str) -> str:
        status, data, _ = self.request("GET", path)
        match = CSRF.search(data.decode("utf-8", "replace"))
        if status != 200 or not match:
            raise RuntimeError(f"no CSRF token on {path} (status {status})")
        return match.group(1) or match.group(2)

    def login(self, email: str) -> str:
        token = self.csrf_token("/auth/login")
        status, _, _ = self.request(
            "POST", "/auth/login", {"csrf_token": token, "email": email, "password": PASSWORD}
        )
        if status != 302:
            raise RuntimeError(f"login of {email} answered {status}")
        return self.csrf_token("/projects/new")


@dataclass
class Figures:
    name: str
    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int, elapsed: float) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.latencies.append(elapsed)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)

    @property
    def count(self) -> int:
        return sum(self.statuses.values())

    def failures(self, ok=lambda status: 200 <= status < 400) -> int:
        return sum(n for status, n in self.statuses.items() if not ok(status)) + len(self.errors)

    def summary(self, seconds: float) -> str:
        latencies = sorted(self.latencies) or [0.0]
        p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
        statuses = ", ".join(f"{status}: {n}" for status, n in sorted(self.statuses.items()))
        rate = self.count / max(seconds, 0.001)
        median, worst = statistics.median(latencies) * 1000, latencies[-1] * 1000
        return (
            f"{self.name}: {self.count} requests in {seconds:.1f} s ({rate:.0f}/s); "
            f"statuses {{{statuses}}}; errors {len(self.errors)}; "
            f"latency median {median:.0f} ms, p95 {p95 * 1000:.0f} ms, max {worst:.0f} ms"
        )


# The site: scratch database, demo data, load accounts, gunicorn. ---------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def site_environment(folder: Path, **extra) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "TRUSTED_HOSTS", "TADAMUN_CONFIG"}
    }
    env.update(
        TADAMUN_CONFIG="development",
        TADAMUN_INSTANCE_DIR=str(folder / "instance"),
        DATABASE_URL=f"sqlite:///{folder / 'load.db'}",
        SECRET_KEY=secrets.token_urlsafe(48),
        MAIL_BACKEND="file",
        MAIL_OUTBOX_DIR=str(folder / "outbox"),
        UPLOAD_FOLDER=str(folder / "uploads"),
        RATELIMIT_ENABLED="0",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def run_flask(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(  # noqa: S603 (our own virtualenv's flask, fixed arguments)
        [str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stderr[-3000:]}")


def prepare_database(env: dict[str, str]) -> dict:
    """Migrate, load the demo data, add 33 approved load-test members; returns what the scenarios use."""
    run_flask(env, "db", "upgrade")
    run_flask(env, "demo-data")
    os.environ.update(
        {k: env[k] for k in ("TADAMUN_CONFIG", "TADAMUN_INSTANCE_DIR", "DATABASE_URL", "SECRET_KEY")}
    )
    sys.path.insert(0, str(ROOT))
    import sqlalchemy as sa

    from app import create_app
    from app.extensions import db
    from app.models import Campaign, CampaignStatus, Organization, OrganizationKind, OrganizationStatus, User
    from app.models.base import utcnow
    from app.services.passwords import hash_password

    app = create_app()
    with app.app_context():
        password_hash = hash_password(PASSWORD)
        for n in range(MEMBERS + 1):
            org = Organization(
                name=f"Load Test Organization {n}",
                slug=f"load-test-{n}",
                kind=OrganizationKind.NGO,
                country="IQ",
                city="Basra",
                description="An organization made by the load test.",
                status=OrganizationStatus.APPROVED,
                approved_at=utcnow(),
            )
            db.session.add(org)
            db.session.flush()
            db.session.add(
                User(
                    email=f"load{n}@load.test",
                    password_hash=password_hash,
                    organization_id=org.id,
                    is_owner=True,
                    email_confirmed_at=utcnow(),
                )
            )
        db.session.commit()
        campaigns = db.session.execute(
            sa.select(Campaign.id, Campaign.slug)
            .where(Campaign.status == CampaignStatus.ACTIVE)
            .order_by(Campaign.position, Campaign.id)
        ).all()
        organizations = db.session.scalars(
            sa.select(Organization.slug).where(Organization.status == OrganizationStatus.APPROVED).limit(20)
        ).all()
        db.session.remove()
        db.engine.dispose()
    return {
        "app": app,
        "campaigns": [(row.id, row.slug) for row in campaigns],
        "organizations": list(organizations),
    }


class Gunicorn:
    def __init__(self, env: dict[str, str], port: int, access_log: Path | None = None):
        command = [
            str(BIN / "gunicorn"),
            "--workers", "4",
            "--bind", f"{HOST}:{port}",
            "--timeout", "60",
            "--graceful-timeout", "5",
            "--backlog", "256",
        ]  # fmt: skip
        if access_log is not None:
            command += ["--access-logfile", str(access_log), "--access-logformat", "%(p)s %(s)s"]
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(  # noqa: S603 (our own virtualenv's gunicorn, fixed arguments)
            [*command, "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
        )
        self.port = port
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited at start:\n" + self.output())
            try:
                if Browser(port).request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not answer within 30 s:\n" + self.output())

    def output(self) -> str:
        if self.log.closed:
            return ""
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-5000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # only the process group we started
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.log.close()


# Scenarios ---------------------------------------------------------------------------------------


def pledge_form(token: str, message: str = "In solidarity.") -> dict:
    return {"csrf_token": token, "kinds": ["endorsement"], "message": message, "visibility": "public"}


def identical_pledges(port: int, site: dict, problems: list[str]) -> None:
    _, slug = site["campaigns"][0]
    member = Browser(port)
    token = member.login("load0@load.test")
    figures = Figures("50 identical pledges")
    started = time.perf_counter()

    def one(_n: int) -> None:
        twin = Browser(port)
        twin.cookies = dict(member.cookies)  # the same session: a double-click, fifty times over
        try:
            status, _, elapsed = twin.request("POST", f"/campaigns/{slug}/pledge", pledge_form(token))
            figures.record(status, elapsed)
        except Exception as error:
            figures.error(repr(error))

    with ThreadPoolExecutor(max_workers=50) as pool:
        list(pool.map(one, range(50)))
    print(figures.summary(time.perf_counter() - started))

    count = count_rows(
        site,
        "SELECT count(*) FROM pledges p JOIN organizations o ON o.id = p.organization_id "
        "WHERE o.slug = 'load-test-0' AND p.withdrawn_at IS NULL",
    )
    print(f"  active pledges of the member to the campaign: {count}")
    if count != 1:
        problems.append(f"identical pledges: {count} active pledges, expected exactly 1")
    if any(status >= 500 for status in figures.statuses) or figures.errors:
        problems.append(f"identical pledges: server errors {dict(figures.statuses)} {figures.errors[:3]}")


def write_storm(port: int, site: dict, total_writes: int, problems: list[str]) -> None:
    campaigns = site["campaigns"][:6]
    figures = Figures(f"write storm ({total_writes} writes, 32 concurrent)")
    expected = {"pledge_rows": 0, "projects": 0, "active": Counter(), "links": Counter()}
    expected_lock = threading.Lock()
    shares = [total_writes // MEMBERS + (1 if n < total_writes % MEMBERS else 0) for n in range(MEMBERS)]
    browsers = []
    for n in range(1, MEMBERS + 1):
        browser = Browser(port)
        token = browser.login(f"load{n}@load.test")
        browsers.append((n, browser, token))

    def member(args) -> None:
        n, browser, token = args
        active: set[int] = set()
        rows = projects = 0
        links: Counter = Counter()
        for step in range(shares[n - 1]):
            campaign_id, slug = campaigns[(step // 4 + n) % len(campaigns)]
            kind = step % 4
            if kind in (0, 1):
                path, form = f"/campaigns/{slug}/pledge", pledge_form(token, f"Message {step}")
                if campaign_id not in active:
                    rows += 1
                active.add(campaign_id)
            elif kind == 2:
                path, form = f"/campaigns/{slug}/pledge/withdraw", {"csrf_token": token}
                active.discard(campaign_id)
            else:
                path = "/projects/new"
                form = {
                    "csrf_token": token,
                    "title": f"Load project {n}-{step}",
                    "summary": "Made by the load test.",
                    "description": "Made by the load test.",
                    "status": "planned",
                    "place": "Basra",
                    "campaigns": [str(campaign_id)],
                }
                projects += 1
                links[campaign_id] += 1
            try:
                status, _, elapsed = browser.request("POST", path, form)
                figures.record(status, elapsed)
            except Exception as error:
                figures.error(f"{path}: {error!r}")
        with expected_lock:
            expected["pledge_rows"] += rows
            expected["projects"] += projects
            for campaign_id in active:
                expected["active"][campaign_id] += 1
            expected["links"].update(links)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=MEMBERS) as pool:
        list(pool.map(member, browsers))
    print(figures.summary(time.perf_counter() - started))

    if figures.failures(ok=lambda status: status in (200, 302, 303)):
        problems.append(f"write storm: failed writes {dict(figures.statuses)} {figures.errors[:3]}")
    load_orgs = "SELECT id FROM organizations WHERE slug LIKE 'load-test-%' AND slug <> 'load-test-0'"
    # Only constants are formatted into these statements (no input): S608 does not apply.
    rows = count_rows(site, f"SELECT count(*) FROM pledges WHERE organization_id IN ({load_orgs})")  # noqa: S608
    projects = count_rows(site, f"SELECT count(*) FROM projects WHERE organization_id IN ({load_orgs})")  # noqa: S608
    print(
        f"  pledge rows {rows} (planned {expected['pledge_rows']}), "
        f"projects {projects} (planned {expected['projects']})"
    )
    if rows != expected["pledge_rows"] or projects != expected["projects"]:
        problems.append("write storm: lost or extra writes")
    for campaign_id, _slug in campaigns:
        active = count_rows(
            site,
            f"SELECT count(*) FROM pledges WHERE campaign_id = {int(campaign_id)} "  # noqa: S608
            f"AND withdrawn_at IS NULL AND organization_id IN ({load_orgs})",
        )
        if active != expected["active"][campaign_id]:
            planned = expected["active"][campaign_id]
            problems.append(
                f"write storm: campaign {campaign_id}: {active} active pledges, planned {planned}"
            )
    # The counters kept in SQL by the services must agree with the rows after the storm.
    drift = count_rows(
        site,
        "SELECT count(*) FROM campaigns c WHERE c.supporter_count <> (SELECT count(*) FROM pledges p "
        "JOIN organizations o ON o.id = p.organization_id WHERE p.campaign_id = c.id "
        "AND p.withdrawn_at IS NULL AND o.status = 'approved')",
    )
    print(f"  campaigns whose supporter counter disagrees with the pledges: {drift}")
    if drift:
        problems.append(f"write storm: {drift} campaign counters drifted")


def browse_mix(port: int, site: dict, seconds: float, problems: list[str]) -> None:
    paths = [
        "/",
        "/campaigns/",
        "/organizations/",
        "/projects/",
        "/search?q=water",
        "/static/css/tadamun.css",
        "/organizations/?country=IQ",
        "/campaigns/?lang=ar",
        "/?lang=ckb",
        "/healthz",
    ]
    paths += [f"/campaigns/{slug}" for _id, slug in site["campaigns"][:8]]
    paths += [f"/organizations/{slug}" for slug in site["organizations"][:10]]
    figures = Figures(f"browse mix (50 visitors, {seconds:.0f} s)")
    stop_at = time.monotonic() + seconds

    def visitor(n: int) -> None:
        browser = Browser(port)
        i = n
        while time.monotonic() < stop_at:
            path = paths[i % len(paths)]
            i += 7
            try:
                status, _, elapsed = browser.request("GET", path)
                figures.record(status, elapsed)
                if status >= 400:
                    figures.error(f"{path}: {status}")
            except Exception as error:
                figures.error(f"{path}: {error!r}")

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=50) as pool:
        list(pool.map(visitor, range(50)))
    print(figures.summary(time.perf_counter() - started))
    if figures.failures():
        problems.append(f"browse mix: {figures.failures()} failures, e.g. {figures.errors[:3]}")


def redis_available() -> bool:
    try:
        with socket.create_connection((HOST, 6379), timeout=0.5):
            return True
    except OSError:
        return False


def rate_limit_across_workers(folder: Path, problems: list[str]) -> None:
    if not redis_available():
        print("rate limits across workers: SKIPPED (no Redis on 127.0.0.1:6379)")
        return
    port = free_port()
    access_log = folder / "access.log"
    env = site_environment(
        folder,
        REDIS_URL=f"redis://{HOST}:6379/12",
        RATELIMIT_ENABLED="1",
        AUTH_RATE_LIMIT="5 per minute",
        RATELIMIT_KEY_PREFIX=f"tadamun-load-{secrets.token_hex(6)}",
    )
    server = Gunicorn(env, port, access_log=access_log)
    try:
        token_browser = Browser(port)
        token = token_browser.csrf_token("/auth/login")
        statuses = Counter()

        def attempt(_n: int) -> int:
            browser = Browser(port)
            browser.cookies = dict(token_browser.cookies)
            form = {"csrf_token": token, "email": "nobody@load.test", "password": "wrong password"}
            return browser.request("POST", "/auth/login", form)[0]

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses.update(pool.map(attempt, range(16)))
    finally:
        server.stop()
    posts = [line.split() for line in access_log.read_text().splitlines() if line.strip()]
    workers = {pid for pid, _status in posts}
    allowed = sum(n for status, n in statuses.items() if status != 429)
    print(
        f"rate limits across workers: 16 login attempts, a 5-per-minute limit, {len(workers)} workers "
        f"served them; allowed {allowed}, refused {statuses[429]} (statuses {dict(statuses)})"
    )
    if allowed != 5 or statuses[429] != 11:
        problems.append(f"rate limit: allowed {allowed} of 16, expected exactly 5")
    if len(workers) < 2:
        problems.append("rate limit: the attempts were not spread over several workers")


def count_rows(site: dict, sql: str) -> int:
    import sqlalchemy as sa

    from app.extensions import db

    with site["app"].app_context():
        value = db.session.execute(sa.text(sql)).scalar_one()
        db.session.remove()
        db.engine.dispose()
    return int(value)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--browse-seconds", type=float, default=60.0)
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (printed)")
    parser.add_argument("--time-limit", type=float, default=900.0, help="stop everything after this (s)")
    options = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="tadamun-load-"))
    problems: list[str] = []
    # The whole run is bounded: an alarm ends it if a scenario hangs.
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("time limit reached")))
    signal.alarm(int(options.time_limit))
    server = None
    try:
        env = site_environment(folder)
        print(f"Preparing a scratch site in {folder} ...")
        site = prepare_database(env)
        port = free_port()
        server = Gunicorn(env, port)
        print(f"gunicorn: 4 workers on http://{HOST}:{port}\n")
        identical_pledges(port, site, problems)
        write_storm(port, site, options.writes, problems)
        browse_mix(port, site, options.browse_seconds, problems)
        server.stop()
        server = None
        rate_limit_across_workers(folder, problems)
    except Exception as error:
        problems.append(f"load test stopped: {error!r}")
        if server is not None:
            print(server.output(), file=sys.stderr)
    finally:
        signal.alarm(0)
        if server is not None:
            server.stop()
        if options.keep:
            print(f"Scratch folder kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)

    print()
    if problems:
        print("FAILED:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print("OK: no server error, no lost write, exactly one pledge, limits held.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
