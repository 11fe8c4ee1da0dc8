"""Backups of the whole database, and restoring one.

SQLite is copied with its online backup API: a consistent snapshot while the site
keeps serving (WAL readers and writers are not stopped). PostgreSQL is dumped with
``pg_dump`` in its custom format and restored with ``pg_restore``; both are run
without a shell, with the connection details passed as arguments and the password
in the environment, never on a command line other users could see.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from app.services import DomainError


class BackupError(DomainError):
    """The backup or restore could not be made; the message says why."""


Progress = Callable[..., None]  # progress(stage, **counts), as the long commands print it
COPY_PAGES = 4096  # SQLite pages per step of the online backup (16 MB at 4 KB a page)


def _silent(stage: str, **counts: int) -> None:
    pass


# The names default_backup_path gives: what rotation may delete (and nothing else).
BACKUP_NAME = re.compile(r"^tadamun-(\d{8}T\d{6}Z)\.(?:sqlite3|dump)$")
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"


def default_backup_path(database_url: str, folder: str | Path, *, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime(STAMP_FORMAT)
    suffix = ".sqlite3" if _backend(database_url) == "sqlite" else ".dump"
    return Path(folder) / f"tadamun-{stamp}{suffix}"


def backup(database_url: str, output: str | Path, progress: Progress | None = None) -> Path:
    """Write a consistent copy of the database to ``output``; returns its path.

    Raises BackupError when the database cannot be backed up (in-memory SQLite,
    pg_dump missing or failing). ``progress(stage, **counts)``, when given, hears of each
    stage (and of a long SQLite copy every second or so).
    """
    progress = progress or _silent
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    backend = _backend(database_url)
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups are not supported for {backend} databases.")
    # Written aside and renamed when complete: a backup cut short never passes for a backup
    # (nor counts as the newest one when old ones are rotated out).
    partial = output.with_name(output.name + ".partial")
    try:
        if backend == "sqlite":
            _sqlite_copy(_sqlite_path(database_url), partial, progress)
        else:
            _run_pg("pg_dump", database_url, ["--format=custom", "--no-owner", f"--file={partial}"])
            progress("dumped with pg_dump", bytes=partial.stat().st_size)
        partial.chmod(0o600)  # every member's contact details are in it
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    progress("written in place, readable by its owner only", bytes=output.stat().st_size)
    return output


def backups_to_keep(stamps: Iterable[datetime], *, daily: int, weekly: int) -> set[datetime]:
    """Which backups a rotation keeps: the newest of each of the ``daily`` most recent days
    that have one, and the newest of each of the ``weekly`` most recent ISO weeks that have one
    (one backup can count for both). Days and weeks are UTC.
    """
    newest_first = sorted(set(stamps), reverse=True)
    keep: set[datetime] = set()
    periods: list[tuple[int, Callable[[datetime], object]]] = [
        (daily, lambda stamp: stamp.date()),
        (weekly, lambda stamp: stamp.isocalendar()[:2]),
    ]
    for count, period_of in periods:
        seen: set[object] = set()
        for stamp in newest_first:
            period = period_of(stamp)
            if period in seen:
                continue
            if len(seen) == count:
                break
            seen.add(period)
            keep.add(stamp)
    return keep


def rotate(folder: str | Path, *, daily: int = 7, weekly: int = 4) -> list[Path]:
    """Delete the backups in ``folder`` that ``backups_to_keep`` does not keep; returns them.

    Only files named like ``default_backup_path`` names them are considered or deleted.
    """
    found: dict[datetime, list[Path]] = {}
    for path in Path(folder).iterdir():
        match = BACKUP_NAME.match(path.name)
        if match and path.is_file():
            stamp = datetime.strptime(match.group(1), STAMP_FORMAT).replace(tzinfo=UTC)
            found.setdefault(stamp, []).append(path)
    keep = backups_to_keep(found, daily=daily, weekly=weekly)
    deleted = sorted(path for stamp, paths in found.items() if stamp not in keep for path in paths)
    for path in deleted:
        path.unlink()
    return deleted


def restore(database_url: str, source: str | Path, progress: Progress | None = None) -> None:
    """Replace the database's whole content with the backup at ``source``.

    The caller must have closed its own connections (``db.engine.dispose()``).
    Raises BackupError when the file is missing or is not a backup of this kind.
    ``progress(stage, **counts)``, when given, hears of each stage.
    """
    progress = progress or _silent
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"No backup file at {source}.")
    backend = _backend(database_url)
    if backend == "sqlite":
        _check_sqlite_file(source)
        progress("backup integrity checked", bytes=source.stat().st_size)
        _sqlite_copy(source, _sqlite_path(database_url), progress)
    elif backend == "postgresql":
        _run_pg(
            "pg_restore",
            database_url,
            ["--clean", "--if-exists", "--no-owner", "--single-transaction", str(source)],
        )
        progress("restored with pg_restore", bytes=source.stat().st_size)
    else:
        raise BackupError(f"Restoring is not supported for {backend} databases.")


def table_row_counts(engine: sa.Engine) -> dict[str, int]:
    """Rows per table: what a restore is checked against."""
    inspector = sa.inspect(engine)
    counts = {}
    with engine.connect() as connection:
        for name in sorted(inspector.get_table_names()):
            table = sa.table(name)
            counts[name] = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    return counts


# SQLite ----------------------------------------------------------------------------------------


def _backend(database_url: str) -> str:
    return sa.engine.make_url(database_url).get_backend_name()


def _sqlite_path(database_url: str) -> Path:
    database = sa.engine.make_url(database_url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(database)


def _sqlite_copy(source: Path, target: Path, progress: Progress | None = None) -> None:
    """Copy one SQLite database into another with the online backup API, a few thousand pages
    at a time, telling ``progress`` how far it got about every second, and when done."""
    if not source.is_file():
        raise BackupError(f"No SQLite database at {source}.")
    progress = progress or _silent
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    said = [time.monotonic(), 0]

    def copied(status: int, remaining: int, total: int) -> None:
        said[1] = total
        if remaining and time.monotonic() - said[0] >= 1:
            said[0] = time.monotonic()
            progress("copying", pages=total - remaining, of_pages=total)

    try:
        src.backup(dst, pages=COPY_PAGES, progress=copied)
    finally:
        dst.close()
        src.close()
    progress("copied", pages=said[1])


def _check_sqlite_file(path: Path) -> None:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = connection.execute("PRAGMA integrity_check").fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a SQLite backup.") from error
    if not result or result[0] != "ok":
        raise BackupError(f"{path} is damaged: {result[0] if result else 'unreadable'}.")


# PostgreSQL ------------------------------------------------------------------------------------


def _run_pg(program: str, database_url: str, extra: list[str]) -> None:
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(f"{program} is not installed: install the PostgreSQL client tools.")
    url = sa.engine.make_url(database_url)
    arguments = [executable, "--no-password"]
    if url.host:
        arguments.append(f"--host={url.host}")
    if url.port:
        arguments.append(f"--port={url.port}")
    if url.username:
        arguments.append(f"--username={url.username}")
    arguments.append(f"--dbname={url.database}")
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    result = subprocess.run(  # noqa: S603 (fixed program, argument list, no shell)
        [*arguments, *extra], env=environment, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{program} failed: {result.stderr.strip()[-2000:]}")
