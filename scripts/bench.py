"""`make bench`: how fast each public page is, at the size of a real network.

For each database (a scratch SQLite file; PostgreSQL ``tadamun_bench`` when reachable) and
each data set (the large synthetic network, then the small demo set) this script:

1. builds the database from scratch (migrations, then ``flask large-data`` or ``flask demo-data``);
2. counts the SQL queries of each page in-process (the "queries" column);
3. serves the app with gunicorn (``gunicorn.conf.py``: sync workers, gc.freeze) on 127.0.0.1
   and a free port, with the empty ``/bench/baseline`` route switched on;
4. drives each page with wrk (or a small Python client when wrk is missing): 16 connections,
   a fixed duration per page, gzip accepted like a browser;
5. prints requests/s, p50 and p99 latency, queries, the ratio to the baseline route of the
   same run, and the large/small latency ratio; writes it all to docs/performance.md.

It is a script, not a test: timings depend on the machine and on what else runs on it.
Usage: .venv/bin/python scripts/bench.py [--duration 5] [--scale 1.0] [--no-postgres]
"""

from __future__ import annotations

import argparse
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
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
PG_SERVER = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
PG_DATABASE = "tadamun_bench"
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

TARGET_RATIO = 0.15
TARGET_P99_MS = 50.0
TARGET_SEARCH_P50_MS = 20.0
TARGET_GROWTH = 1.5


@dataclass
class Result:
    page: str
    url: str
    rps: float
    p50_ms: float
    p99_ms: float
    queries: int | None
    errors: int = 0
    # The empty route measured just before this page: on a shared machine the load from other
    # processes drifts within minutes, so each page is compared with its neighbour in time.
    baseline_rps: float = 0.0

    @property
    def ratio(self) -> float:
        return self.rps / self.baseline_rps if self.baseline_rps else 0.0


@dataclass
class Run:
    database: str
    dataset: str
    rows: dict[str, int]
    results: dict[str, Result] = field(default_factory=dict)

    @property
    def baseline_rps(self) -> float:
        return self.results["baseline"].rps


# --- building the databases ------------------------------------------------------------------


def flask(env: dict[str, str], *args: str) -> str:
    completed = subprocess.run(  # noqa: S603 (our own flask, fixed arguments)
        [str(VENV_BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}")
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
    else:
        output = flask(env, "demo-data").splitlines()[0]
    return env, f"{output} (built in {time.perf_counter() - started:.0f} s)"


# --- what to request -------------------------------------------------------------------------


def choose_urls(env: dict[str, str]) -> tuple[dict[str, str], dict[str, int], dict[str, int]]:
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
    return data["urls"], data["queries"], data["rows"]


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
    print(json.dumps({"urls": urls, "queries": queries, "rows": rows}))


# --- serving and loading ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    env = dict(env, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS=str(workers))
    env["GUNICORN_LOG_LEVEL"] = "warning"
    process = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
        [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/baseline", timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    stop_gunicorn(process)
    raise SystemExit("gunicorn did not start")


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


def load_with_wrk(url: str, duration: int) -> tuple[float, float, float, int]:
    command = [shutil.which("wrk"), "-t1", f"-c{CONNECTIONS}", f"-d{duration}s", "--timeout", "2s"]
    command += ["--latency", "-H", "Accept-Encoding: gzip", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output).group(1))
    errors = 0
    for pattern in (r"Non-2xx or 3xx responses:\s+(\d+)", r"Socket errors:.*?timeout (\d+)"):
        match = re.search(pattern, output)
        errors += int(match.group(1)) if match else 0
    return rps, p50, p99, errors


def load_with_python(url: str, duration: int) -> tuple[float, float, float, int]:
    """A fallback load generator: 16 threads, each a request at a time, for ``duration`` s."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def worker():
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})  # noqa: S310
                with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
                    response.read()
            except OSError:
                with lock:
                    errors[0] += 1
                continue
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
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


def measure(run: Run, env: dict[str, str], urls, queries, duration: int, workers: int) -> None:
    port = free_port()
    server = start_gunicorn(env, port, workers)
    load = load_with_wrk if shutil.which("wrk") else load_with_python
    try:
        baseline_url = f"http://127.0.0.1:{port}{urls['baseline']}"
        for page in PAGE_TYPES:
            url = f"http://127.0.0.1:{port}{urls[page]}"
            load(url, 1)  # warm every worker: imports, templates, connections, the page cache
            neighbour = load(baseline_url, max(2, duration // 2))[0] if page != "baseline" else 0.0
            rps, p50, p99, errors = load(url, duration)
            result = Result(page, urls[page], rps, p50, p99, queries.get(page), errors, neighbour or rps)
            run.results[page] = result
            print(
                f"  {page:26} {rps:8.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
                f"queries {queries.get(page, 0):2}  {result.ratio:6.1%} of baseline ({neighbour:.0f} req/s)"
                + (f"  ERRORS {errors}" if errors else ""),
                flush=True,
            )
    finally:
        stop_gunicorn(server)


# --- report ----------------------------------------------------------------------------------


def verdicts(label: str, large: Run, small: Run | None) -> list[str]:
    missed = []
    for page in PAGE_TYPES[1:]:
        result = large.results[page]
        ratio = result.ratio
        if ratio < TARGET_RATIO:
            missed.append(f"{label}: {page} at {ratio:.1%} of baseline (target {TARGET_RATIO:.0%})")
        if result.p99_ms >= TARGET_P99_MS:
            missed.append(f"{label}: {page} p99 {result.p99_ms:.1f} ms (target < {TARGET_P99_MS:.0f})")
        if small is not None and page in small.results:
            growth = result.p50_ms / max(small.results[page].p50_ms, 0.001)
            if growth > TARGET_GROWTH:
                missed.append(f"{label}: {page} large/small p50 {growth:.2f}x (target <= 1.5x)")
    for page in ("search", "directory search+filters"):
        if large.results[page].p50_ms >= TARGET_SEARCH_P50_MS:
            missed.append(f"{label}: {page} p50 {large.results[page].p50_ms:.1f} ms (target < 20)")
    return missed


def table(large: Run, small: Run | None) -> str:
    lines = [
        "| page | req/s | % of baseline | p50 ms | p99 ms | queries | small-set req/s | small p50 ms "
        "| large/small p50 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for page in PAGE_TYPES:
        r = large.results[page]
        s = small.results.get(page) if small else None
        growth = f"{r.p50_ms / s.p50_ms:.2f}x" if s and s.p50_ms else "-"
        lines.append(
            f"| {page} | {r.rps:,.0f} | {r.ratio:.1%} | {r.p50_ms:.1f} | {r.p99_ms:.1f} "
            f"| {r.queries if r.queries is not None else '-'} | {f'{s.rps:,.0f}' if s else '-'} "
            f"| {f'{s.p50_ms:.1f}' if s else '-'} | {growth} |"
        )
    return "\n".join(lines)


def write_report(runs: list[tuple[str, Run, Run | None]], args, path: Path) -> None:
    text = path.read_text() if path.exists() else ""
    marker = "<!-- bench results -->"
    head = text.split(marker)[0] if marker in text else text
    body = [marker, ""]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    generator = "wrk" if shutil.which("wrk") else "Python threads"
    body.append(
        f"## Latest results ({stamp})\n\n{os.cpu_count()} CPU cores, gunicorn {args.workers} sync "
        f"workers, {CONNECTIONS} connections, {args.duration} s per page, load generator: {generator}.\n"
    )
    for label, large, small in runs:
        body.append(f"### {label}\n")
        sizes = "Large set: " + ", ".join(f"{n:,} {what}" for what, n in large.rows.items())
        if small:
            sizes += ". Small set: " + ", ".join(f"{n:,} {what}" for what, n in small.rows.items())
        body.append(sizes + ".\n")
        body.append(table(large, small) + "\n")
        missed = verdicts(label, large, small)
        if missed:
            body.append("Targets missed:\n\n" + "\n".join(f"- {m}" for m in missed) + "\n")
        else:
            body.append("All targets met.\n")
    urls = runs[0][1].results
    body.append(
        "Pages requested (large set, SQLite): " + ", ".join(f"{p} `{r.url}`" for p, r in urls.items())
    )
    path.write_text(head.rstrip() + "\n\n" + "\n".join(body) + "\n")
    raw = [
        {
            "run": label,
            "large": {p: r.__dict__ for p, r in large.results.items()},
            "small": {p: r.__dict__ for p, r in small.results.items()} if small else None,
        }
        for label, large, small in runs
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
    parser.add_argument("--no-uncached", action="store_true", help="skip the runs without the page cache")
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
    modes = ["page cache on"] + ([] if args.no_uncached else ["page cache off"])
    runs: list[tuple[str, Run, Run | None]] = []
    with tempfile.TemporaryDirectory(prefix="tadamun-bench-") as scratch:
        for database in databases:
            measured: dict[tuple[str, str], Run] = {}
            for dataset in ("large", "small"):
                if dataset == "small" and args.no_small:
                    continue
                url = (
                    f"sqlite:///{scratch}/{dataset}.db"
                    if database == "sqlite"
                    else recreate_postgres_database()
                )
                print(f"== {database}, {dataset} set", flush=True)
                env, built = build(url, dataset, args.scale, Path(scratch) / f"instance-{database}-{dataset}")
                print(f"  {built}", flush=True)
                urls, queries, rows = choose_urls(env)
                for mode in modes:
                    print(f" -- {mode}", flush=True)
                    run_env = dict(env, TADAMUN_PAGE_CACHE="1" if mode == "page cache on" else "0")
                    run = Run(database, dataset, rows)
                    measure(run, run_env, urls, queries, args.duration, args.workers)
                    measured[(dataset, mode)] = run
            for mode in modes:
                runs.append((f"{database}, {mode}", measured[("large", mode)], measured.get(("small", mode))))
    notes = [line for label, large, small in runs for line in verdicts(label, large, small)]
    print("\n".join(["", "Targets missed:", *notes] if notes else ["", "All targets met."]))
    write_report(runs, args, Path(args.report))
    print(f"Written to {args.report}")


if __name__ == "__main__":
    main()
