#!/usr/bin/env python3
"""The proof on loopback: the production set-up under load and failures, on one machine.

Started on 127.0.0.1, in a temporary folder, on ports of their own (``--port-base``, default
5700; never the machine's shared PostgreSQL or Redis):

- a scratch PostgreSQL cluster (initdb/pg_ctl of /usr/lib/postgresql/*/bin) and a scratch Redis;
- two gunicorn instances (production settings, gunicorn.conf.py, two workers each, metrics in
  multiprocess mode), each on its own port;
- one job worker (``flask worker``: RQ on the scratch Redis) delivering the mail outbox to a
  local SMTP sink run by this script (aiosmtpd, in a thread);
- nginx in front of them with deploy/nginx/tadamun.conf itself (ports, paths and a self-signed
  certificate replaced; plus, for this test only, nginx's realip module trusting 127.0.0.1, so
  that the load generator's X-Forwarded-For stands for a distinct real client).

Then the steps below run in order (each a function in STEPS; add one there):

0. before the load: a page changed by a write on one instance is fresh on the other at the next
   request; the login rate limit counts per real client across both instances; nginx serves the
   static files (a year for fingerprinted names) and refuses bodies over MAX_CONTENT_LENGTH;
1. the load: members pledging, changing and withdrawing, visitors browsing, someone asking for
   password resets (mail), all through nginx, for ``--seconds``; meanwhile one gunicorn instance
   is killed with SIGKILL (and started again later), then PostgreSQL, then Redis, then the SMTP
   sink are stopped and started again;
2. the checks: no 500 ever; 5xx only inside the failure windows (502 just after the kill, 503
   with Retry-After during the outages); requests succeed through the survivor within 2 s of the
   kill; during the Redis outage login fails closed (503) and reading stays open (200); the site
   recovers by itself within 5 s of each service's return; every acknowledged pledge is stored
   exactly once, no organization has two active pledges to a campaign, no application error;
3. mail: while the sink was down no request failed or slowed; the outbox sweep (the systemd
   timer's command, run here every few seconds instead of every minute) delivers what failed once
   its back-off has passed; every queued message reaches the sink exactly once (distinct
   Message-IDs, which carry the outbox row's key), the reset stand-ins for unknown addresses
   never; /metrics shows the queue's depth during the outage and an empty queue at the end;
4. the figures are printed and written to docs/operations.md ("## Proof on loopback").

Everything stops by itself, whatever happens; traffic goes to 127.0.0.1 only. Exits 1 when a
check fails. Usage: scripts/prod_check.py [--seconds 40] [--port-base 5700] [--no-docs] [--keep]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
PASSWORD = "prod check passphrase 2026"  # noqa: S105 (scratch accounts on loopback)
MEMBERS = 6
VISITORS = 4
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
DOCS = ROOT / "docs/operations.md"
DOCS_HEADING = "## Proof on loopback"
KILL_GRACE = 2.0  # seconds after the kill within which requests must succeed again
RECOVERY_LIMIT = 5.0  # seconds after a service's return within which the site must have recovered
OUTAGE_SECONDS = 3.0
RATE_LIMIT = 5  # login attempts per minute per client during the check
SINK_OUTAGE_SECONDS = 4.0
LOAD_KINDS = ("browse", "pledge", "withdraw", "mail")
SWEEP_EVERY = 5.0  # the outbox sweep after the load (its timer runs it every minute in production)
MAIL_WAIT_LIMIT = 80.0  # seconds after the load for the sweep to deliver what is due


class CheckFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Ports:
    base: int

    @property
    def apps(self) -> tuple[int, int]:
        return (self.base + 1, self.base + 2)

    @property
    def smtp(self) -> int:
        return self.base + 25

    @property
    def postgres(self) -> int:
        return self.base + 32

    @property
    def https(self) -> int:
        return self.base + 43

    @property
    def redis(self) -> int:
        return self.base + 79

    @property
    def http(self) -> int:
        return self.base + 80


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- nginx ----------------------------------------------------------------------------------------


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    certificate, key = folder / "tls.crt", folder / "tls.key"
    if not certificate.exists():
        subprocess.run(  # noqa: S603 (Debian's openssl, fixed arguments)
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",  # noqa: S607
             "-subj", f"/CN={HOST}", "-keyout", str(key), "-out", str(certificate)],
            check=True, capture_output=True,
        )  # fmt: skip
    return certificate, key


def _replace(text: str, old: str, new: str, count: int = 1) -> str:
    """Replace exactly ``count`` occurrences: the site file changed under us otherwise."""
    found = text.count(old)
    if found != count:
        raise CheckFailed(f"deploy/nginx/tadamun.conf: expected {count} x {old!r}, found {found}")
    return text.replace(old, new)


def nginx_configuration(folder: Path, ports: Ports) -> Path:
    """deploy/nginx/tadamun.conf made to run on loopback from ``folder``; returns the main file."""
    folder.mkdir(parents=True, exist_ok=True)
    certificate, key = self_signed_certificate(folder)
    site = (ROOT / "deploy/nginx/tadamun.conf").read_text()
    upstreams = "\n    ".join(f"server {HOST}:{port} max_fails=1 fail_timeout=2s;" for port in ports.apps)
    site = _replace(site, "server 127.0.0.1:8000 max_fails=1 fail_timeout=2s;", upstreams)
    site = _replace(site, "listen 80;", f"listen {HOST}:{ports.http};")
    site = _replace(site, "listen 443 ssl http2;", f"listen {HOST}:{ports.https} ssl http2;")
    site = _replace(site, "    listen [::]:80;\n", "")
    site = _replace(site, "    listen [::]:443 ssl http2;\n", "")
    site = _replace(site, "/etc/letsencrypt/live/tadamun.example.org/fullchain.pem", str(certificate))
    site = _replace(site, "/etc/letsencrypt/live/tadamun.example.org/privkey.pem", str(key))
    site = _replace(site, "/var/log/nginx/tadamun.access.log", str(folder / "access.log"))
    site = _replace(site, "/var/log/nginx/tadamun.error.log", str(folder / "error.log"))
    # A copy of static/ in the test's folder: nginx's workers (nobody) may not enter the checkout.
    shutil.copytree(ROOT / "static", folder / "static", dirs_exist_ok=True)
    site = _replace(site, "/srv/tadamun/app/static/", f"{folder / 'static'}/")
    # Test only: the load generator's X-Forwarded-For is the real client (it plays many).
    site = _replace(
        site,
        "    # (prod-check inserts a realip block here)\n",
        f"    set_real_ip_from {HOST};\n    real_ip_header X-Forwarded-For;\n",
    )
    (folder / "site.conf").write_text(site)
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / name).mkdir(exist_ok=True)
    main = folder / "nginx.conf"
    main.write_text(
        f"""worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {folder / "body"};
    proxy_temp_path {folder / "proxy"};
    fastcgi_temp_path {folder / "fastcgi"};
    uwsgi_temp_path {folder / "uwsgi"};
    scgi_temp_path {folder / "scgi"};
    access_log off;
    include {folder / "site.conf"};
}}
"""
    )
    return main


def ensure_nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise CheckFailed("nginx is missing; install Debian's nginx (apt-get install nginx-light)")
    log("installing Debian's nginx (its service is not started)")
    # policy-rc.d: Debian's way to install a service without starting it.
    policy = Path("/usr/sbin/policy-rc.d")
    added = not policy.exists()
    if added:
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    try:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env)  # noqa: S607
        installed = subprocess.run(
            ["apt-get", "install", "-y", "-q", "--no-install-recommends", "nginx-light"],  # noqa: S607
            env=env,
            check=False,
        )
        if installed.returncode != 0:
            subprocess.run(
                ["apt-get", "install", "-y", "-q", "--no-install-recommends", "nginx"],  # noqa: S607
                env=env,
                check=True,
            )
    finally:
        if added:
            policy.unlink()
    return shutil.which("nginx") or "/usr/sbin/nginx"


# --- the services --------------------------------------------------------------------------------


def postgres_bin() -> Path:
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name)
    )
    if not versions:
        raise CheckFailed("PostgreSQL's server programs are missing (apt-get install postgresql)")
    return versions[-1].parent


def as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its programs as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class Postgres:
    def __init__(self, folder: Path, port: int):
        self.bin = postgres_bin()
        self.data = folder / "pg"
        self.port = port
        self.log = folder / "postgres.log"
        self.data.mkdir()
        self.log.touch()
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres", "postgres")
            shutil.chown(self.log, "postgres", "postgres")
        self.data.chmod(0o700)
        self._run([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                   "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])  # fmt: skip
        self.options = (
            f"-p {port} -c listen_addresses={HOST} -c unix_socket_directories='' -c max_connections=50"
        )
        self.url = f"postgresql://postgres@{HOST}:{port}/tadamun"

    def _run(self, command: list[str]) -> None:
        result = subprocess.run(as_postgres(command), capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise CheckFailed(f"{Path(command[0]).name} failed: {result.stderr[-2000:]}")

    def start(self) -> None:
        self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", self.options,
                   "-w", "-t", "30", "start"])  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop"])

    def create_database(self) -> None:
        self._run([str(self.bin / "createdb"), "-h", HOST, "-p", str(self.port), "-U", "postgres", "tadamun"])

    def is_running(self) -> bool:
        result = subprocess.run(  # noqa: S603
            as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "status"]),
            capture_output=True,
            check=False,
        )
        return result.returncode == 0


class Redis:
    def __init__(self, folder: Path, port: int):
        self.folder = folder / "redis"
        self.folder.mkdir()
        self.port = port
        self.url = f"redis://{HOST}:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        server = shutil.which("redis-server")
        if server is None:
            raise CheckFailed("redis-server is missing (apt-get install redis-server)")
        command = [server, "--port", str(self.port), "--bind", HOST, "--dir", str(self.folder), "--save", "",
                   "--appendonly", "yes", "--daemonize", "no",
                   "--logfile", str(self.folder / "redis.log")]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)  # noqa: S603
        wait_until(lambda: redis_answers(self.port), 10, "redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def redis_answers(port: int) -> bool:
    import socket

    try:
        with socket.create_connection((HOST, port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def wait_until(condition: Callable[[], bool], seconds: float, failure: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise CheckFailed(failure)
        time.sleep(0.05)


class Gunicorn:
    def __init__(self, env: dict[str, str], port: int, folder: Path, name: str):
        self.env = {
            **env,
            "GUNICORN_BIND": f"{HOST}:{port}",
            "PROMETHEUS_MULTIPROC_DIR": str(folder / f"metrics-{name}"),
        }
        self.port = port
        self.log_path = folder / f"gunicorn-{name}.log"
        self.control = folder / f"gunicorn-{name}.ctl"  # not the shared default under $HOME
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as output:
            command = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--control-socket", str(self.control)]
            self.process = subprocess.Popen(  # noqa: S603 (our own virtualenv's gunicorn)
                [*command, "wsgi:app"],
                cwd=ROOT, env=self.env, stdout=output, stderr=output, start_new_session=True,
            )  # fmt: skip
        wait_until(self.answers, 60, f"gunicorn on port {self.port} did not start: see {self.log_path}")

    def answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise CheckFailed(f"gunicorn on port {self.port} exited: see {self.log_path}")
        try:
            return Client(self.port, tls=False).request("GET", "/healthz").status == 200
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL to the master and its workers at once, as when a machine dies."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # only the process group we started
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


class SmtpSink:
    """A mail server on loopback that keeps what it receives (aiosmtpd, in a thread of this process).

    ``stop()`` closes the port (connections are refused, as when a mail server is down);
    ``start()`` opens it again.
    """

    def __init__(self, port: int):
        self.port = port
        self.received: list[tuple[float, str, tuple[str, ...]]] = []  # (when, Message-ID, recipients)
        self.lock = threading.Lock()
        self.controller = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname=HOST, port=self.port, ready_timeout=10)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's name for the hook
        from email import message_from_bytes

        message = message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            self.received.append((time.monotonic(), str(message.get("Message-ID", "")).strip(),
                                  tuple(envelope.rcpt_tos)))  # fmt: skip
        return "250 OK"


class Worker:
    """``flask --app wsgi worker``, as deploy/systemd/tadamun-worker.service runs it (one instance)."""

    def __init__(self, env: dict[str, str], folder: Path):
        self.env = env
        self.log_path = folder / "worker.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as output:
            self.process = subprocess.Popen(  # noqa: S603 (our own virtualenv's flask, fixed arguments)
                [str(BIN / "flask"), "--app", "wsgi", "worker"],
                cwd=ROOT, env=self.env, stdout=output, stderr=output, start_new_session=True,
            )  # fmt: skip

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.running():
            os.killpg(self.process.pid, signal.SIGTERM)  # RQ finishes the job in hand, then stops
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


class Nginx:
    def __init__(self, folder: Path, ports: Ports):
        self.binary = ensure_nginx()
        self.folder = folder / "nginx"
        self.main = nginx_configuration(self.folder, ports)
        self.folder.chmod(0o755)  # nginx's workers drop root for "nobody"
        self.ports = ports
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            self.binary,
            "-p",
            str(self.folder),
            "-c",
            str(self.main),
            "-e",
            str(self.folder / "error.log"),
        ]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)  # noqa: S603
        if check.returncode != 0:
            raise CheckFailed(f"nginx refuses the site: {check.stderr}")
        self.process = subprocess.Popen(  # noqa: S603
            [*command, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        wait_until(self._answers, 10, "nginx did not start")

    def _answers(self) -> bool:
        try:
            return Client(self.ports.https).request("GET", "/healthz").status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


# --- the HTTP client: one per simulated person -----------------------------------------------------


@dataclass
class Answer:
    status: int
    body: bytes
    headers: http.client.HTTPMessage
    seconds: float


class Client:
    """A person's browser: cookies, one keep-alive connection, and an address of their own.

    ``address`` is sent as X-Forwarded-For; nginx (realip, this test only) takes it as the client's.
    """

    _tls = ssl.create_default_context()
    _tls.check_hostname = False
    _tls.verify_mode = ssl.CERT_NONE  # our own self-signed certificate on loopback

    def __init__(self, port: int, *, tls: bool = True, address: str | None = None):
        self.port = port
        self.tls = tls
        self.address = address
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None
        self.token = ""

    def _connect(self) -> http.client.HTTPConnection:
        if self.connection is None:
            if self.tls:
                self.connection = http.client.HTTPSConnection(HOST, self.port, timeout=20, context=self._tls)
            else:
                self.connection = http.client.HTTPConnection(HOST, self.port, timeout=20)
        return self.connection

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def request(
        self, method: str, path: str, form: dict | None = None, headers: dict | None = None
    ) -> Answer:
        body = urlencode(form, doseq=True) if form is not None else None
        scheme = "https" if self.tls else "http"
        sent = {"Host": f"{HOST}:{self.port}", "Accept": "text/html", **(headers or {})}
        if self.address:
            sent["X-Forwarded-For"] = self.address
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Referer"] = f"{scheme}://{HOST}:{self.port}{path}"
        started = time.perf_counter()
        try:
            connection = self._connect()
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        elapsed = time.perf_counter() - started
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value in ("", '""') or "expires=thu, 01 jan 1970" in header.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return Answer(response.status, data, response.headers, elapsed)

    def csrf_token(self, path: str) -> str:
        answer = self.request("GET", path)
        match = CSRF.search(answer.body.decode("utf-8", "replace"))
        if answer.status != 200 or not match:
            raise CheckFailed(f"no CSRF token on {path} (status {answer.status})")
        return match.group(1) or match.group(2)

    def login(self, email: str, password: str = PASSWORD) -> Answer:
        token = self.csrf_token("/auth/login")
        return self.request(
            "POST", "/auth/login", {"csrf_token": token, "email": email, "password": password}
        )


# --- the run ---------------------------------------------------------------------------------------


@dataclass
class Sample:
    started: float  # time.monotonic()
    finished: float
    kind: str  # "browse", "pledge", "withdraw", "mail", "probe-...", "outage-..."
    status: int  # 0: no answer (connection error)
    retry_after: bool


@dataclass
class Run:
    args: argparse.Namespace
    folder: Path
    ports: Ports
    postgres: Postgres | None = None
    redis: Redis | None = None
    apps: list[Gunicorn] = field(default_factory=list)
    nginx: Nginx | None = None
    sink: SmtpSink | None = None
    worker: Worker | None = None
    env: dict[str, str] = field(default_factory=dict)
    site: dict = field(default_factory=dict)
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    events: dict[str, float] = field(default_factory=dict)
    figures: dict[str, object] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # (organization slug, campaign slug) -> actions in order: (kind, marker, visibility, acknowledged)
    actions: dict[tuple[str, str], list[tuple[str, str, str, bool]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def record(self, kind: str, started: float, answer: Answer | None) -> None:
        sample = Sample(
            started,
            time.monotonic(),
            kind,
            answer.status if answer else 0,
            bool(answer and answer.headers.get("Retry-After", "").isdigit()),
        )
        with self.lock:
            self.samples.append(sample)

    def check(self, condition: bool, problem: str) -> None:
        if not condition:
            self.problems.append(problem)
            log(f"FAILED: {problem}")


def flask(run: Run, *args: str) -> str:
    result = subprocess.run(  # noqa: S603 (our own virtualenv's flask, fixed arguments)
        [str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=run.env, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise CheckFailed(f"flask {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


MEMBERS_SCRIPT = """
import json, sys
import sqlalchemy as sa
from app import create_app
from app.extensions import db
from app.models import Campaign, CampaignStatus, Organization, OrganizationKind, OrganizationStatus, User
from app.models.base import utcnow
from app.services.passwords import hash_password

app = create_app()
with app.app_context():
    password_hash = hash_password(sys.argv[1])
    for n in range(int(sys.argv[2])):
        org = Organization(name=f"Prod Check Organization {n}", slug=f"prod-check-{n}",
                           kind=OrganizationKind.NGO, country="IQ", city="Basra",
                           description="Made by the proof on loopback.",
                           status=OrganizationStatus.APPROVED, approved_at=utcnow())
        db.session.add(org)
        db.session.flush()
        db.session.add(User(email=f"member{n}@pc.example.org", password_hash=password_hash,
                            organization_id=org.id, is_owner=True, email_confirmed_at=utcnow()))
    db.session.commit()
    campaigns = db.session.scalars(sa.select(Campaign.slug).where(Campaign.status == CampaignStatus.ACTIVE)
                                   .order_by(Campaign.position, Campaign.id)).all()
    organizations = db.session.scalars(sa.select(Organization.slug)
                                       .where(Organization.status == OrganizationStatus.APPROVED)
                                       .order_by(Organization.id).limit(10)).all()
    print(json.dumps({"campaigns": campaigns, "organizations": organizations}))
"""


def start_everything(run: Run) -> None:
    folder, ports = run.folder, run.ports
    run.postgres = Postgres(folder, ports.postgres)
    run.postgres.start()
    run.postgres.create_database()
    log(f"PostgreSQL {run.postgres.bin.parent.name} on port {ports.postgres}")
    run.redis = Redis(folder, ports.redis)
    run.redis.start()
    log(f"Redis on port {ports.redis}")

    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TADAMUN_", "DATABASE_", "REDIS_", "MAIL_", "GUNICORN_", "PROMETHEUS_"))
        and key not in {"SECRET_KEY", "TRUSTED_HOSTS", "SITE_URL", "AUTH_RATE_LIMIT", "UPLOAD_FOLDER"}
    }
    env.update(
        TADAMUN_CONFIG="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        TRUSTED_HOSTS=HOST,
        SITE_URL=f"https://{HOST}:{ports.https}",
        DATABASE_URL=run.postgres.url,
        REDIS_URL=run.redis.url,
        PROXY_HOPS="1",
        TADAMUN_INSTANCE_DIR=str(folder / "instance"),
        UPLOAD_FOLDER=str(folder / "instance/uploads"),
        # Mail through the outbox: RQ on the scratch Redis hands it to `flask worker`, which sends
        # it to the sink. A request never speaks SMTP; if one did, MAIL_TIMEOUT would show.
        MAIL_BACKEND="smtp",
        MAIL_SERVER=HOST,
        MAIL_PORT=str(ports.smtp),
        MAIL_USE_TLS="0",
        MAIL_USE_SSL="0",
        MAIL_TIMEOUT="10",
        JOBS_BACKEND="rq",
        LOG_FORMAT="json",
        GUNICORN_WORKERS="2",
        RATELIMIT_KEY_PREFIX="prod-check",
        # Low enough to reach in the check; each load client logs in once, each outage probe is
        # a new client (PROXY_HOPS=1: the application counts per X-Forwarded-For from nginx).
        AUTH_RATE_LIMIT=f"{RATE_LIMIT} per minute",
        PYTHONPATH=str(ROOT),
    )
    run.env = env
    started = time.monotonic()
    flask(run, "db", "upgrade")
    flask(run, "demo-data")
    result = subprocess.run(  # noqa: S603 (this Python, a fixed script)
        [sys.executable, "-c", MEMBERS_SCRIPT, PASSWORD, str(MEMBERS)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise CheckFailed(f"making the members failed:\n{result.stderr[-3000:]}")
    run.site = json.loads(result.stdout.strip().splitlines()[-1])
    log(f"migrations, demo data and {MEMBERS} members in {time.monotonic() - started:.1f} s")

    for name, port in zip("ab", ports.apps, strict=True):
        app = Gunicorn(env, port, folder, name)
        app.start()
        run.apps.append(app)
        log(f"gunicorn {name} on port {port}")
    run.nginx = Nginx(folder, ports)
    run.nginx.start()
    log(f"nginx on https://{HOST}:{ports.https}")
    run.sink = SmtpSink(ports.smtp)
    run.sink.start()
    run.worker = Worker(env, folder)
    run.worker.start()
    log(f"SMTP sink on port {ports.smtp}; one worker (flask worker, RQ)")


def stop_everything(run: Run) -> None:
    stops = [getattr(run.nginx, "stop", None), *[app.stop for app in run.apps]]
    for stop in [*stops, getattr(run.worker, "stop", None), getattr(run.sink, "stop", None)]:
        if stop is not None:
            try:
                stop()
            except Exception as error:  # keep stopping the others
                log(f"while stopping: {error!r}")
    if run.redis is not None:
        run.redis.stop()
    if run.postgres is not None and run.postgres.is_running():
        try:
            run.postgres.stop("immediate")
        except CheckFailed as error:
            log(f"while stopping PostgreSQL: {error}")


# --- step 0: freshness across instances, and the rate limit per client ----------------------------


def step_fresh_everywhere(run: Run) -> None:
    """A write through one instance shows on the other at its next request."""
    campaign = run.site["campaigns"][0]
    page = f"/campaigns/{campaign}"
    # The second instance's workers keep rendered pages: read until one is served from a cache.
    reader = Client(run.apps[1].port, tls=False)
    hits = sum(reader.request("GET", page).headers.get("X-Page-Cache") == "hit" for _ in range(8))
    run.check(hits > 0, "the second instance never served the page from its cache")

    writer = Client(run.apps[0].port, tls=False)
    login = writer.login("member0@pc.example.org")
    run.check(login.status == 302, f"login on the first instance answered {login.status}")
    token = writer.csrf_token(f"{page}/pledge")
    answer = writer.request(
        "POST", f"{page}/pledge",
        {"csrf_token": token, "kinds": ["advocacy"], "message": "fresh-check", "visibility": "public"},
    )  # fmt: skip
    run.check(answer.status == 302, f"the pledge on the first instance answered {answer.status}")
    run.actions[("prod-check-0", campaign)].append(("pledge", "fresh-check", "public", answer.status == 302))

    # Every read on the second instance, whichever worker answers, shows the new pledge; the first
    # is rendered anew (later ones may come from a cache filled since).
    afters = [reader.request("GET", page) for _ in range(4)]
    fresh = afters[0].headers.get("X-Page-Cache") != "hit" and all(
        "Prod Check Organization 0" in after.body.decode() for after in afters
    )
    run.check(fresh, "the second instance served a stale page after a write on the first")
    run.figures["fresh_on_other_instance"] = fresh
    log(f"fresh on the other instance at the next request: {'yes' if fresh else 'NO'}")


def step_static_files(run: Run) -> None:
    """nginx serves static/ itself: a year for a fingerprinted name, revalidation otherwise."""
    client = Client(run.ports.https)
    page = client.request("GET", "/").body.decode()
    match = re.search(r'href="(/static/css/tadamun\.css\?v=[0-9a-f]+)"', page)
    run.check(match is not None, "the home page names no fingerprinted stylesheet")
    if match is None:
        return
    fingerprinted = client.request("GET", match.group(1))
    plain = client.request("GET", "/static/css/tadamun.css")
    long_lived = fingerprinted.headers.get("Cache-Control", "")
    run.check(
        fingerprinted.status == 200 and "max-age=31536000" in long_lived and "immutable" in long_lived,
        f"fingerprinted stylesheet: {fingerprinted.status} {long_lived!r}",
    )
    run.check(
        plain.status == 200 and plain.headers.get("Cache-Control") == "no-cache",
        f"plain stylesheet: {plain.status} {plain.headers.get('Cache-Control')!r}",
    )
    big = client.request("POST", "/auth/login", {"padding": "x" * (2 * 1024 * 1024 + 65 * 1024)})
    run.check(big.status == 413, f"a body over MAX_CONTENT_LENGTH answered {big.status}, not 413")
    log(f"static files from nginx: {fingerprinted.status} {long_lived!r}; oversized body: {big.status}")


def step_rate_limit_per_client(run: Run) -> None:
    """Login attempts are counted per real client, whichever instance nginx picks."""
    attacker = Client(run.ports.https, address="198.51.100.7")
    statuses = []
    for n in range(RATE_LIMIT + 3):
        answer = attacker.login(f"nobody{n}@pc.example.org", "wrong password here")
        statuses.append(answer.status)
        if n % 2 == 0:
            # nginx takes turns: one more request here, so the next attempt goes to the other instance.
            attacker.request("GET", "/healthz")
    other = Client(run.ports.https, address="198.51.100.8").login("nobody@pc.example.org", "wrong password")
    allowed = statuses.count(200)
    upstreams = nginx_upstreams_of_logins(run)
    run.figures["rate_limit"] = {"attempts": len(statuses), "allowed": allowed, "other_client": other.status}
    run.check(allowed == RATE_LIMIT and statuses[RATE_LIMIT:] == [429] * 3,
              f"login limit of {RATE_LIMIT}/minute per client: statuses {statuses}")  # fmt: skip
    run.check(
        other.status == 200, f"another client was refused ({other.status}): the count is not per client"
    )
    run.check(len(upstreams) == 2, f"the attempts reached {len(upstreams)} instance(s), not both")
    log(f"rate limit per client: {allowed} of {len(statuses)} attempts let through over {len(upstreams)} "
        f"instances; another client: {other.status}")  # fmt: skip


def nginx_upstreams_of_logins(run: Run) -> set[str]:
    upstreams = set()
    for line in (run.nginx.folder / "access.log").read_text().splitlines():
        entry = json.loads(line)
        if entry["remote_addr"] == "198.51.100.7" and entry["method"] == "POST":
            upstreams.add(entry["upstream"])
    return upstreams


# --- step 1: the load, with a kill and two outages ---------------------------------------------


def visitor(run: Run, number: int, deadline: float) -> None:
    rng = random.Random(number)
    client = Client(run.ports.https, address=f"203.0.113.{10 + number}")
    campaigns, organizations = run.site["campaigns"], run.site["organizations"]
    pages = ["/", "/campaigns/", "/organizations/", "/projects/", "/search?q=water"]
    while time.monotonic() < deadline:
        path = rng.choice(
            [
                *pages,
                f"/campaigns/{rng.choice(campaigns)}",
                f"/organizations/{rng.choice(organizations)}",
                "/organizations/?country=IQ",
                "/projects/?page=1",
            ]
        )
        started = time.monotonic()
        try:
            answer = client.request("GET", path)
        except (OSError, http.client.HTTPException):
            answer = None
        run.record("browse", started, answer)
        time.sleep(0.02)


def member(run: Run, number: int, deadline: float) -> None:
    rng = random.Random(100 + number)
    client = Client(run.ports.https, address=f"192.0.2.{10 + number}")
    organization = f"prod-check-{number}"
    login = client.login(f"member{number}@pc.example.org")
    if login.status != 302:
        run.problems.append(f"member {number} could not log in through nginx ({login.status})")
        return
    token = client.csrf_token(f"/campaigns/{run.site['campaigns'][0]}/pledge")
    active: dict[str, bool] = {}
    sequence = 0
    while time.monotonic() < deadline:
        campaign = rng.choice(run.site["campaigns"][:4])
        sequence += 1
        marker = f"pc{number}-{sequence}"
        if active.get(campaign) and rng.random() < 0.4:
            kind, path, form, visibility = (
                "withdraw",
                f"/campaigns/{campaign}/pledge/withdraw",
                {"csrf_token": token},
                "",
            )
        else:
            visibility = rng.choice(["public", "members", "counted"])
            kind, path = "pledge", f"/campaigns/{campaign}/pledge"
            form = {
                "csrf_token": token,
                "kinds": ["endorsement"],
                "message": marker,
                "visibility": visibility,
            }
        started = time.monotonic()
        try:
            answer = client.request("POST", path, form)
        except (OSError, http.client.HTTPException):
            answer = None
        run.record(kind, started, answer)
        acknowledged = answer is not None and answer.status == 302
        with run.lock:
            run.actions[(organization, campaign)].append((kind, marker, visibility, acknowledged))
        if acknowledged:
            active[campaign] = kind == "pledge"
        time.sleep(0.05)


def mailer(run: Run, deadline: float) -> None:
    """Someone asking for password resets: each answer queues a message (the outbox) for the worker.

    Mostly members' addresses (a real message); one in four unknown (the stand-in, queued and
    discarded, never sent). A new client address each time: the limit counts per client.
    """
    client = Client(run.ports.https, address="198.19.255.1")
    token = client.csrf_token("/auth/reset")
    n = 0
    while time.monotonic() < deadline:
        n += 1
        client.address = f"198.19.{n // 250}.{n % 250 + 1}"
        email = f"member{n % MEMBERS}@pc.example.org" if n % 4 else f"nobody{n}@pc.example.org"
        started = time.monotonic()
        try:
            answer = client.request("POST", "/auth/reset", {"csrf_token": token, "email": email})
        except (OSError, http.client.HTTPException):
            answer = None
        run.record("mail", started, answer)
        if answer is not None and answer.status == 302:
            run.figures["resets_acknowledged"] = run.figures.get("resets_acknowledged", 0) + 1
        time.sleep(0.25)


def queue_figures(run: Run) -> tuple[float, float] | None:
    """The outbox's depth and failures as /metrics shows them (asked of one instance directly)."""
    try:
        text = Client(run.apps[1].port, tls=False).request("GET", "/metrics").body.decode()
    except (OSError, http.client.HTTPException):
        return None
    found = [
        re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
        for name in ("tadamun_queue_depth", "tadamun_queue_failed")
    ]
    return (float(found[0].group(1)), float(found[1].group(1))) if all(found) else None


def probe_until_ready(run: Run, name: str, limit: float = 30) -> float:
    """Seconds from now until /readyz answers 200 through nginx."""
    client = Client(run.ports.https, address="203.0.113.250")
    started = time.monotonic()
    while time.monotonic() - started < limit:
        moment = time.monotonic()
        try:
            answer = client.request("GET", "/readyz")
        except (OSError, http.client.HTTPException):
            answer = None
        run.record(f"probe-{name}", moment, answer)
        if answer is not None and answer.status == 200:
            return time.monotonic() - started
        time.sleep(0.05)
    raise CheckFailed(f"the site was not ready {limit:.0f} s after {name} came back")


def outage_prober(run: Run) -> Client:
    """A visitor with a session and the login form's CSRF token, taken while all is well."""
    client = Client(run.ports.https, address="198.51.100.200")
    client.token = client.csrf_token("/auth/login")
    return client


def outage_probes(run: Run, name: str, prober: Client, until: float) -> None:
    """During an outage: a login attempt (rate-limited) and a page (read), again and again."""
    reader = Client(run.ports.https, address="203.0.113.251")
    n = 0
    while time.monotonic() < until:
        n += 1
        prober.address = f"198.18.{n // 250}.{n % 250 + 1}"  # a new client each time: no 429 in the way
        form = {"csrf_token": prober.token, "email": "x@pc.example.org", "password": "not the password"}
        for kind, call in (
            ("login", lambda form=form: prober.request("POST", "/auth/login", form)),
            ("read", lambda: reader.request("GET", "/campaigns/")),
        ):
            started = time.monotonic()
            try:
                answer = call()
            except (OSError, http.client.HTTPException):
                answer = None
            run.record(f"outage-{name}-{kind}", started, answer)
        time.sleep(0.1)


def chaos(run: Run, start: float, seconds: float) -> None:
    """The failures, at fixed moments of the load."""

    def at(fraction: float) -> None:
        time.sleep(max(0.0, start + seconds * fraction - time.monotonic()))

    at(0.15)
    run.events["kill"] = time.monotonic()
    run.apps[0].kill()
    log("SIGKILL to gunicorn a (master and workers)")
    at(0.30)
    run.apps[0].start()
    run.events["restarted"] = time.monotonic()
    log("gunicorn a started again")

    at(0.40)
    prober = outage_prober(run)
    run.events["postgres_down"] = time.monotonic()
    run.postgres.stop("fast")
    log("PostgreSQL stopped")
    outage_probes(run, "postgres", prober, time.monotonic() + OUTAGE_SECONDS)
    run.postgres.start()
    run.events["postgres_back"] = time.monotonic()
    log("PostgreSQL started again")
    run.figures["postgres_ready_after"] = probe_until_ready(run, "postgres")

    at(0.65)
    prober = outage_prober(run)
    run.events["redis_down"] = time.monotonic()
    run.redis.stop()
    log("Redis stopped")
    outage_probes(run, "redis", prober, time.monotonic() + OUTAGE_SECONDS)
    run.redis.start()
    run.events["redis_back"] = time.monotonic()
    log("Redis started again")
    run.figures["redis_ready_after"] = probe_until_ready(run, "redis")

    at(0.78)
    time.sleep(max(0.0, run.events["redis_back"] + RECOVERY_LIMIT - time.monotonic()))  # Redis judged first
    run.events["smtp_down"] = time.monotonic()
    run.sink.stop()
    log("SMTP sink stopped")
    time.sleep(SINK_OUTAGE_SECONDS)
    run.figures["queue_during_sink_outage"] = queue_figures(run)
    run.sink.start()
    run.events["smtp_back"] = time.monotonic()
    log(f"SMTP sink started again (queue depth and failures then: {run.figures['queue_during_sink_outage']})")


def step_load(run: Run) -> None:
    seconds = run.args.seconds
    start = time.monotonic()
    deadline = start + seconds
    run.events["load_start"] = start
    threads = [threading.Thread(target=visitor, args=(run, n, deadline)) for n in range(VISITORS)]
    threads += [threading.Thread(target=member, args=(run, n, deadline)) for n in range(1, MEMBERS)]
    threads.append(threading.Thread(target=mailer, args=(run, deadline)))
    failure: list[BaseException] = []

    def chaos_thread() -> None:
        try:
            chaos(run, start, seconds)
        except BaseException as error:
            failure.append(error)

    threads.append(threading.Thread(target=chaos_thread))
    log(f"load: {VISITORS} visitors, {MEMBERS - 1} members and resets through nginx for {seconds:.0f} s")
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    run.events["load_end"] = time.monotonic()
    if failure:
        raise failure[0]


# --- step 2: the checks ----------------------------------------------------------------------------


def counts(values) -> str:
    return ", ".join(f"{value}: {n}" for value, n in sorted(Counter(values).items()))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else 0.0


def step_check_answers(run: Run) -> None:
    events, samples = run.events, run.samples
    kill, restarted = events["kill"], events["restarted"]
    windows = {
        "kill": (kill, kill + KILL_GRACE),
        "postgres": (events["postgres_down"], events["postgres_back"] + RECOVERY_LIMIT),
        "redis": (events["redis_down"], events["redis_back"] + RECOVERY_LIMIT),
    }

    def window_of(sample: Sample) -> str | None:
        for name, (begin, end) in windows.items():
            if sample.finished >= begin and sample.started <= end:
                return name
        return None

    statuses = Counter(sample.status for sample in samples)
    run.figures["requests"] = len(samples)
    run.figures["statuses"] = dict(sorted(statuses.items()))
    load = [s for s in samples if s.kind in LOAD_KINDS]
    latencies = [s.finished - s.started for s in load if 0 < s.status < 500]
    run.figures["p50_ms"] = round(percentile(latencies, 0.50) * 1000)
    run.figures["p99_ms"] = round(percentile(latencies, 0.99) * 1000)
    run.figures["load_seconds"] = round(events["load_end"] - events["load_start"], 1)

    run.check(statuses[500] == 0, f"{statuses[500]} answers were 500")
    outside = Counter(
        s.status for s in samples if (s.status >= 500 or s.status == 0) and window_of(s) is None
    )
    run.check(not outside, f"server errors outside the failure windows: {dict(outside)}")
    in_outage = [s for s in samples if window_of(s) in ("postgres", "redis") and s.status >= 500]
    bad = Counter(s.status for s in in_outage if s.status != 503 or not s.retry_after)
    run.check(not bad, f"during the outages, answers other than 503 with Retry-After: {dict(bad)}")

    # Requests in flight at the kill count too.
    after_kill = [s for s in samples if s.finished >= kill and s.started < restarted and s.kind in LOAD_KINDS]
    failed = [s for s in after_kill if s.status == 0 or s.status >= 500]
    last_failure = max((s.finished - kill for s in failed), default=0.0)
    run.figures["kill_failures"] = len(failed)
    run.figures["kill_recovered_after"] = round(last_failure, 2)
    run.check(last_failure <= KILL_GRACE, f"requests still failed {last_failure:.2f} s after the kill")
    run.check(any(200 <= s.status < 400 for s in after_kill), "nothing succeeded after the kill")

    # Each recovery is judged up to the next failure (or the end of the load). A request still
    # in flight when the next outage began is that outage's (judged above with the answers
    # during outages): on a slow machine a form posted just before Redis stopped was refused
    # 503 by the rate limiter, and counted as PostgreSQL recovering 5.6 s late.
    until = {"postgres": events["redis_down"], "redis": events["load_end"]}
    for name in ("postgres", "redis"):
        back = events[f"{name}_back"]
        failures = [
            s
            for s in samples
            if back <= s.started
            and s.finished < until[name]
            and (s.status >= 500 or s.status == 0)
            and s.kind in LOAD_KINDS
        ]
        recovered = max([run.figures[f"{name}_ready_after"], *(s.finished - back for s in failures)])
        run.figures[f"{name}_recovered_after"] = round(recovered, 2)
        run.check(
            recovered <= RECOVERY_LIMIT,
            f"the site took {recovered:.1f} s to recover after {name} returned (ready after "
            f"{run.figures[f'{name}_ready_after']:.1f} s; failures after its return: "
            f"{[(s.kind, s.status, round(s.started - back, 1)) for s in failures][:10]})",
        )
        outage = [s for s in samples if s.kind.startswith(f"outage-{name}")]
        run.figures[f"{name}_outage_answers"] = counts(
            f"{s.kind.rsplit('-', 1)[1]} {s.status}" for s in outage
        )

    redis_logins = [s.status for s in samples if s.kind == "outage-redis-login"]
    redis_reads = [s.status for s in samples if s.kind == "outage-redis-read"]
    run.check(bool(redis_logins) and set(redis_logins) == {503},
              f"login during the Redis outage must fail closed (503): {Counter(redis_logins)}")  # fmt: skip
    run.check(bool(redis_reads) and set(redis_reads) == {200},
              f"reading during the Redis outage must stay open (200): {Counter(redis_reads)}")  # fmt: skip
    postgres_answers = [s for s in samples if s.kind.startswith("outage-postgres")]
    run.check(all(s.status in (200, 503) for s in postgres_answers),  # 200: a page from the cache
              f"during the PostgreSQL outage: {Counter(s.status for s in postgres_answers)}")  # fmt: skip


def step_check_pledges(run: Run) -> None:
    import psycopg

    with psycopg.connect(run.postgres.url, connect_timeout=5) as connection:
        rows = connection.execute(
            "SELECT o.slug, c.slug, p.message, p.visibility, p.withdrawn_at IS NULL "
            "FROM pledges p JOIN organizations o ON o.id = p.organization_id "
            "JOIN campaigns c ON c.id = p.campaign_id WHERE o.slug LIKE 'prod-check-%'"
        ).fetchall()
        duplicates = connection.execute(
            "SELECT count(*) FROM (SELECT organization_id, campaign_id FROM pledges "
            "WHERE withdrawn_at IS NULL GROUP BY organization_id, campaign_id HAVING count(*) > 1) AS twice"
        ).fetchone()[0]
    active = defaultdict(list)
    for organization, campaign, message, visibility, is_active in rows:
        if is_active:
            active[(organization, campaign)].append((message, str(visibility).lower()))

    acknowledged = sum(1 for actions in run.actions.values() for a in actions if a[3])
    expected_active = stored_active = unsure = 0
    for pair, actions in run.actions.items():
        last_ack = max((i for i, a in enumerate(actions) if a[3]), default=None)
        if last_ack is None or last_ack != len(actions) - 1:
            unsure += 1  # an unanswered request came last: either outcome is right
            run.check(len(active.get(pair, [])) <= 1, f"{pair}: {len(active[pair])} active pledges")
            continue
        kind, marker, visibility, _ = actions[last_ack]
        found = active.get(pair, [])
        if kind == "pledge":
            expected_active += 1
            stored_active += found == [(marker, visibility)]
            run.check(
                found == [(marker, visibility)],
                f"{pair}: acknowledged {marker} ({visibility}), stored {found}",
            )
        else:
            run.check(found == [], f"{pair}: withdrawal acknowledged, but still active: {found}")
    run.figures["writes_acknowledged"] = acknowledged
    run.figures["pledges_acknowledged_active"] = expected_active
    run.figures["pledges_stored_as_acknowledged"] = stored_active
    run.figures["pairs_unsure"] = unsure
    run.figures["duplicate_active_pledges"] = duplicates
    run.check(duplicates == 0, f"{duplicates} organization/campaign pairs have two active pledges")
    log(f"pledges: {acknowledged} writes acknowledged; {stored_active} of {expected_active} final pledges "
        f"stored exactly as acknowledged; {duplicates} duplicates")  # fmt: skip


def step_check_logs(run: Run) -> None:
    """No unhandled error: neither one the application logged, nor one that escaped it to gunicorn."""
    unhandled = 0
    for app in run.apps:
        lines = app.log_path.read_text(errors="replace").splitlines()
        for number, line in enumerate(lines):
            if '"unhandled error"' in line or "Error handling request" in line:
                unhandled += 1
                if unhandled == 1:
                    excerpt = "\n".join(lines[number : number + 60])
                    log(f"first unhandled error ({app.log_path.name}):\n{excerpt[-6000:]}")
    run.figures["unhandled_errors_logged"] = unhandled
    run.check(unhandled == 0, f"{unhandled} unhandled errors in the application logs")


# --- step 3: mail through the SMTP sink that was stopped mid-run -----------------------------------


def outbox_rows(run: Run) -> list[tuple]:
    import psycopg

    with psycopg.connect(run.postgres.url, connect_timeout=5) as connection:
        return connection.execute(
            "SELECT id, key, status::text, discard, attempts FROM outbox_messages WHERE kind::text = 'mail'"
        ).fetchall()


def sweep(run: Run) -> str:
    """What tadamun-outbox-sweep.service runs."""
    try:
        return flask(run, "outbox", "sweep").strip()
    except CheckFailed as error:  # a failed timer run: the next one tries again
        return f"failed: {error}"


def step_mail(run: Run) -> None:
    events = run.events
    down, back = events["smtp_down"], events["smtp_back"]
    run.check(
        run.worker.running(), f"the worker is not running at the end of the load: see {run.worker.log_path}"
    )

    # Requests while the sink was down: none fails, none slower than the others.
    def latencies(samples: list[Sample]) -> list[float]:
        return [s.finished - s.started for s in samples]

    during = [s for s in run.samples if s.kind in LOAD_KINDS and s.started >= down and s.finished <= back]
    windows = [(events["kill"], events["kill"] + KILL_GRACE),
               (events["postgres_down"], events["postgres_back"] + RECOVERY_LIMIT),
               (events["redis_down"], events["redis_back"] + RECOVERY_LIMIT), (down, back)]  # fmt: skip
    calm = [
        s for s in run.samples
        if s.kind in LOAD_KINDS and not any(s.finished >= a and s.started <= b for a, b in windows)
    ]  # fmt: skip
    failed = Counter(s.status for s in during if s.status == 0 or s.status >= 500)
    run.check(bool(during), "no request ran while the SMTP sink was down")
    run.check(not failed, f"requests failed while the SMTP sink was down: {dict(failed)}")
    p50, p90 = percentile(latencies(during), 0.5), percentile(latencies(during), 0.9)
    calm50, calm90 = percentile(latencies(calm), 0.5), percentile(latencies(calm), 0.9)
    run.check(
        p90 <= max(2 * calm90, calm90 + 0.25),
        f"requests slowed while the SMTP sink was down: p90 {p90 * 1000:.0f} ms, "
        f"otherwise {calm90 * 1000:.0f} ms",
    )
    resets = [s for s in during if s.kind == "mail"]
    run.figures["sink_outage"] = {
        "requests": len(during), "resets": len(resets), "statuses": counts(s.status for s in during),
        "p50_ms": round(p50 * 1000), "p90_ms": round(p90 * 1000),
        "calm_p50_ms": round(calm50 * 1000), "calm_p90_ms": round(calm90 * 1000),
    }  # fmt: skip

    # The sweep delivers what failed once its back-off has passed (and any lost hand-over).
    started, sweeps = time.monotonic(), 0
    while True:
        rows = outbox_rows(run)
        if not any(status in ("pending", "sending") for _, _, status, _, _ in rows):
            break
        if time.monotonic() - started > MAIL_WAIT_LIMIT:
            break
        time.sleep(SWEEP_EVERY)
        sweeps += 1
        log(f"outbox sweep: {sweep(run)}")
    rows = outbox_rows(run)
    statuses = Counter(status for _, _, status, discard, _ in rows if not discard)
    real = {key for _, key, _, discard, _ in rows if not discard}
    stand_ins = {key for _, key, _, discard, _ in rows if discard}
    retried_keys = {key for _, key, _, discard, attempts in rows if not discard and attempts > 1}
    retried = len(retried_keys)
    with run.sink.lock:
        received = list(run.sink.received)

    def key_of(message_id: str) -> str:
        return message_id.strip("<>").split("@", 1)[0]  # the Message-ID is <outbox key@site>

    keys = Counter(key_of(message_id) for _, message_id, _ in received)
    twice = sum(n - 1 for n in keys.values() if n > 1)
    late = [when - back for when, message_id, _ in received if key_of(message_id) in retried_keys]
    acknowledged = run.figures.get("resets_acknowledged", 0)
    end_queue = queue_figures(run)
    mail = {
        "queued": len(real), "stand_ins": len(stand_ins), "acknowledged": acknowledged,
        "received": len(received), "distinct": len(keys), "delivered": len(real & set(keys)), "twice": twice,
        "retried": retried, "statuses": dict(sorted(statuses.items())), "sweeps": sweeps,
        "last_after_return": round(max(late, default=0.0), 1),
        "wait_after_load": round(time.monotonic() - started, 1),
        "queue_during": run.figures.get("queue_during_sink_outage"), "queue_end": end_queue,
    }  # fmt: skip
    run.figures["mail"] = mail
    queued_all = len(real) + len(stand_ins)
    run.check(
        queued_all >= acknowledged,
        f"{acknowledged} reset requests acknowledged, {queued_all} messages queued",
    )
    run.check(retried > 0, "no message was tried while the sink was down: the outage proved nothing")
    run.check(
        real <= set(keys), f"{len(real - set(keys))} queued messages never reached the sink ({statuses})"
    )
    run.check(twice == 0, f"{twice} messages reached the sink twice")
    run.check(
        not (set(keys) - real), f"{len(set(keys) - real)} messages reached the sink that were not to be sent"
    )
    # A message handed to the sink just as PostgreSQL went away stays "sending" (at most once: it
    # is never sent again; its lease runs out and the sweep marks it interrupted for the
    # operator). That is allowed only for messages the sink did receive, exactly once.
    unconfirmed = {key for _, key, status, discard, _ in rows if not discard and status == "sending"}
    mail["delivered_unconfirmed"] = len(unconfirmed)
    run.check(
        unconfirmed <= set(keys),
        f"messages left sending that never reached the sink: {unconfirmed - set(keys)}",
    )
    run.check(statuses.keys() <= {"sent", "sending"}, f"outbox rows not marked sent: {dict(statuses)}")
    during_queue = mail["queue_during"]
    run.check(during_queue is not None and during_queue[0] > 0,
              f"/metrics showed no queue while the sink was down: {during_queue}")  # fmt: skip
    run.check(
        end_queue == (float(len(unconfirmed)), 0.0),
        f"/metrics at the end: queue depth and failures {end_queue} "
        f"({len(unconfirmed)} delivered, unconfirmed)",
    )
    log(
        f"mail: {len(real)} queued, {mail['delivered']} delivered ({len(keys)} distinct Message-IDs in "
        f"{len(received)} messages at the sink), {retried} retried after the outage, the last "
        f"{mail['last_after_return']} s after the sink returned; {len(stand_ins)} stand-ins discarded"
    )


# --- step 4: the figures ---------------------------------------------------------------------------


def figures_text(run: Run) -> str:
    f = run.figures
    statuses = ", ".join(f"{status or 'no answer'}: {count}" for status, count in f["statuses"].items())
    rate_limit = f["rate_limit"]
    lines = [
        f"- Requests: {f['requests']} in {f['load_seconds']} s of load (and the probes), answers by status: "
        f"{statuses}.",
        f"- Latency of answered requests through nginx: p50 {f['p50_ms']} ms, p99 {f['p99_ms']} ms.",
        f"- Pledges: {f['writes_acknowledged']} writes acknowledged (pledge, change, withdraw); of the "
        f"{f['pledges_acknowledged_active']} pledges acknowledged last, "
        f"{f['pledges_stored_as_acknowledged']} stored exactly once as acknowledged; "
        f"{f['duplicate_active_pledges']} duplicate active pledges; "
        f"{f['pairs_unsure']} pairs ended on an unanswered request.",
        f"- SIGKILL of one gunicorn: {f['kill_failures']} requests failed, the last "
        f"{f['kill_recovered_after']} s after the kill (limit {KILL_GRACE:.0f} s).",
        f"- PostgreSQL stopped for {OUTAGE_SECONDS:.0f} s: recovered {f['postgres_recovered_after']} s after "
        f"it returned; outage answers {f['postgres_outage_answers']}.",
        f"- Redis stopped for {OUTAGE_SECONDS:.0f} s: recovered {f['redis_recovered_after']} s after it "
        f"returned; outage answers {f['redis_outage_answers']} (login 503: closed; read 200: open).",
        f"- A write on one instance fresh on the other at the next request: "
        f"{'yes' if f.get('fresh_on_other_instance') else 'no'}.",
        f"- Login limit {RATE_LIMIT}/minute per client across both instances: {rate_limit['allowed']} "
        f"of {rate_limit['attempts']} attempts let through, another client answered "
        f"{rate_limit['other_client']}.",
    ]
    outage, mail = f.get("sink_outage"), f.get("mail")
    if outage and mail:
        lines += [
            f"- SMTP sink stopped for {SINK_OUTAGE_SECONDS:.0f} s: {outage['requests']} requests meanwhile "
            f"({outage['resets']} password resets), answers {outage['statuses']}; p50 {outage['p50_ms']} ms, "
            f"p90 {outage['p90_ms']} ms (outside every failure: {outage['calm_p50_ms']} and "
            f"{outage['calm_p90_ms']} ms). Queue depth and failures on /metrics then: "
            f"{_queue_text(mail['queue_during'])}; at the end: {_queue_text(mail['queue_end'])}.",
            f"- Mail: {mail['queued']} messages queued, {mail['delivered']} delivered (distinct "
            f"Message-IDs at the sink: {mail['distinct']}, messages received: {mail['received']}, twice: "
            f"{mail['twice']}); "
            f"{mail['retried']} tried while the sink was down and delivered by the sweep after the 30 s "
            f"back-off, the last {mail['last_after_return']} s after the sink returned (the sweep ran every "
            f"{SWEEP_EVERY:.0f} s after the load, {mail['sweeps']} times; every minute in production); "
            f"{mail['stand_ins']} reset stand-ins for unknown addresses queued and discarded, none sent.",
        ]
    lines += [f"- {note}" for note in run.notes]
    lines.append(f"- Unhandled errors in the application logs: {f['unhandled_errors_logged']}.")
    return "\n".join(lines)


def _queue_text(figures: tuple[float, float] | None) -> str:
    return "unread" if figures is None else f"{figures[0]:.0f} waiting, {figures[1]:.0f} failed"


def write_docs(run: Run, text: str) -> None:
    machine = f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
    section = (
        f"{DOCS_HEADING}\n\n"
        "`make prod-check` (`scripts/prod_check.py`) starts on 127.0.0.1 a scratch PostgreSQL cluster, a "
        "scratch Redis, two gunicorn instances (two workers each, production settings) and nginx with "
        "`deploy/nginx/tadamun.conf`, one worker (`flask worker`, RQ) and an SMTP sink of its own, loads "
        "demo data, then runs members pledging, changing and withdrawing, visitors browsing and someone "
        "asking for password resets (mail) through nginx while one gunicorn is killed with SIGKILL, "
        "PostgreSQL, then Redis, then the SMTP sink are stopped and started again; afterwards it runs the "
        "outbox sweep (the timer's command) until what failed is delivered. Every figure below is checked "
        "by the script, which fails otherwise. The 503s are the answers during the PostgreSQL and Redis "
        "outages (each with `Retry-After`), the 502s requests that were in flight on the killed "
        "instance.\n\n"
        f"Last run: {time.strftime('%Y-%m-%d')}, {machine}, {'passed' if not run.problems else 'FAILED'}.\n\n"
        f"{text}\n"
    )
    current = DOCS.read_text() if DOCS.exists() else "# Operations\n"
    pattern = re.compile(rf"^{re.escape(DOCS_HEADING)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(current):
        updated = pattern.sub(lambda _m: section + "\n", current).rstrip("\n") + "\n"
    else:
        updated = current.rstrip("\n") + "\n\n" + section
    DOCS.write_text(updated)
    log(f"figures written to {DOCS.relative_to(ROOT)}")


# Steps in order (the figures, step 4, are written by main()).
STEPS: list[tuple[str, Callable[[Run], None]]] = [
    ("0a fresh on the other instance", step_fresh_everywhere),
    ("0b login rate limit per client", step_rate_limit_per_client),
    ("0c static files and body size from nginx", step_static_files),
    ("1 load, kill and outages", step_load),
    ("2a answers", step_check_answers),
    ("2b pledges", step_check_pledges),
    ("2c application logs", step_check_logs),
    ("3 mail through the SMTP sink", step_mail),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=40, help="length of the load (default 40)")
    parser.add_argument("--port-base", type=int, default=5700, help="ports base+1 ... base+80 (default 5700)")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/operations.md")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="tadamun-prod-check-"))
    folder.chmod(0o755)  # PostgreSQL runs as the postgres user, nginx's workers as nobody
    run = Run(args=args, folder=folder, ports=Ports(args.port_base))
    began = time.monotonic()
    try:
        start_everything(run)
        for name, step in STEPS:
            log(f"step {name}")
            step(run)
    except CheckFailed as error:
        run.problems.append(str(error))
        log(f"FAILED: {error}")
    finally:
        stop_everything(run)
        if args.keep:
            log(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)

    if "statuses" in run.figures and "unhandled_errors_logged" in run.figures:
        text = figures_text(run)
        print("\n" + text)
        if not args.no_docs:
            write_docs(run, text)
    print(f"\nprod-check took {time.monotonic() - began:.0f} s")
    if run.problems:
        print(f"\n{len(run.problems)} problem(s):")
        for problem in run.problems:
            print(f"  - {problem}")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
