"""`flask --app wsgi <command>`: thin commands that call services and commit once."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import Flask

COMMANDS: list[click.Command] = []


def register(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


class Stages:
    """The progress of a long command: ``stages(stage, **counts)`` prints a line on stderr as each
    stage ends, with its counts, its time and the time so far; the summary (on stdout, what
    scripts read) ends with the total time. The functions the commands call take it as their
    ``progress`` argument, so no command sits silent for more than a few seconds."""

    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()

    def __call__(self, stage: str, **counts: int) -> None:
        now = time.perf_counter()
        detail = ", ".join(f"{n:,} {what.replace('_', ' ')}" for what, n in counts.items())
        timing = f"{now - self.last:.1f} s; {now - self.started:.1f} s so far"
        click.echo(f"  {stage}{': ' + detail if detail else ''} ({timing})", err=True)
        self.last = now

    def summary(self, text: str, *after: str) -> None:
        """``text in N s``, then ``after`` (e.g. the peak memory), on one line."""
        click.echo("; ".join([f"{text} in {time.perf_counter() - self.started:.1f} s", *after]))


# Backup and restore ------------------------------------------------------------------------------


@click.command("backup")
@click.option("--output", type=click.Path(dir_okay=False), help="File to write (default: instance/backups/).")
@click.option(
    "--rotate",
    "rotate_dir",
    type=click.Path(file_okay=False),
    help="Write a dated backup into DIR, then delete older ones there beyond --keep-daily/--keep-weekly.",
)
@click.option("--keep-daily", default=7, show_default=True, help="With --rotate: newest of the last N days.")
@click.option(
    "--keep-weekly", default=4, show_default=True, help="With --rotate: newest of the last N weeks."
)
def backup_command(output: str | None, rotate_dir: str | None, keep_daily: int, keep_weekly: int) -> None:
    """Write a consistent backup of the database (SQLite online backup, or pg_dump)."""
    from flask import current_app

    from app.ops import backup

    if output and rotate_dir:
        raise click.UsageError("Give --output or --rotate, not both.")
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    folder = rotate_dir or Path(current_app.instance_path) / "backups"
    target = output or backup.default_backup_path(url, folder)
    stages = Stages()
    try:
        written = backup.backup(url, target, stages)
    except backup.BackupError as error:
        # Nothing is rotated out when the new backup could not be made.
        raise click.ClickException(str(error)) from error
    deleted = []
    if rotate_dir:
        deleted = backup.rotate(rotate_dir, daily=keep_daily, weekly=keep_weekly)
        stages("rotated", deleted=len(deleted))
    stages.summary(f"Backup written to {written} ({written.stat().st_size:,} bytes)")
    if rotate_dir:
        click.echo(f"Rotated: {len(deleted)} older backup(s) deleted" + "".join(f"\n  {p}" for p in deleted))


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Replace the database without asking.")
def restore_command(path: str, yes: bool) -> None:
    """Replace the whole database with the backup at PATH."""
    from flask import current_app

    from app import worker
    from app.extensions import db
    from app.ops import backup

    if not yes:
        click.confirm("This replaces every row in the database with the backup. Continue?", abort=True)
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    db.engine.dispose()
    stages = Stages()
    try:
        backup.restore(url, path, stages)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    held = worker.hold_after_restore()
    stages("queued mail held", held=held)
    counts = backup.table_row_counts(db.engine)
    stages("rows counted", tables=len(counts), rows=sum(counts.values()))
    stages.summary(f"Restored {path} ({sum(counts.values()):,} rows in {len(counts)} tables)")
    click.echo("Rows per table: " + ", ".join(f"{name} {n}" for name, n in counts.items()))
    if held:
        click.echo(
            f"{held} mail(s) queued in the backup may have been sent since: held as failed, "
            "see `flask outbox failed` and resend with `flask outbox retry`."
        )


COMMANDS.extend([backup_command, restore_command])


# Moderators --------------------------------------------------------------------------------------


@click.command("create-moderator")
@click.option("--email", prompt=True, help="The moderator's email address.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="At least 12 characters; prompted (hidden) when left out.",
)
@click.option("--admin", is_flag=True, help="Make an admin, who can also promote and demote moderators.")
def create_moderator_command(email: str, password: str, admin: bool) -> None:
    """Create a moderator account (or an admin with --admin)."""
    from app.extensions import db
    from app.services import DomainError
    from app.services.moderation import create_moderator

    try:
        user = create_moderator(email, password, admin=admin)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email}")


COMMANDS.append(create_moderator_command)


# Scale: synthetic network and counters -----------------------------------------------------------


@click.command("large-data")
@click.option("--scale", default=1.0, show_default=True, help="1.0 = 10,000 organizations, 200,000 pledges.")
@click.option(
    "--huge",
    is_flag=True,
    help="Ten times the full size (--scale 10): 100,000 organizations, 500 campaigns, "
    "2,000,000 pledges, 200,000 projects.",
)
@click.option("--seed", default=2013, show_default=True, help="Same seed, same network.")
def large_data_command(scale: float, huge: bool, seed: int) -> None:
    """Fill an EMPTY database with a synthetic network for benchmarks (never on real data)."""
    from app.extensions import db
    from app.seeding import large_data
    from app.services import DomainError

    if huge:
        scale = large_data.HUGE_SCALE
    stages = Stages()
    try:
        summary = large_data.generate(scale=scale, seed=seed, progress=stages)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    stages("committed")
    if large_data.vacuum():
        stages("vacuumed")
    stages.summary(
        f"Generated {summary.organizations} organizations, {summary.campaigns} campaigns, "
        f"{summary.pledges} pledges, {summary.projects} projects ({summary.project_links} campaign links)",
        f"peak memory {large_data.peak_memory_mb():,.0f} MB",
    )


@click.command("recount")
def recount_command() -> None:
    """Recompute every supporter and project counter from the rows; report corrections."""
    from app.extensions import db
    from app.services import counters

    stages = Stages()
    corrected = counters.recount_all(progress=stages)
    db.session.commit()
    stages("committed")
    stages.summary(f"Counters checked; {corrected} row(s) corrected")


@click.command("refresh-counters")
def refresh_counters_command() -> None:
    """Scheduled (daily): let approvals, suspensions and country changes reach the numbers
    through members-only and counted-only pledges."""
    from app.extensions import db
    from app.services import counters

    done = counters.refresh()
    db.session.commit()
    click.echo(f"Counters refreshed: {done.pledges} pledge(s) updated on {done.campaigns} campaign(s).")


@click.command("search-index")
def search_index_command() -> None:
    """Create the full-text search index if missing and recompute it from the rows."""
    from app.extensions import db
    from app.search_engine import engine

    stages = Stages()
    with db.engine.begin() as connection:
        engine.install(connection)
    stages("index tables and triggers installed where missing")
    rows = engine.reindex(progress=stages)
    db.session.commit()
    stages("committed")
    stages.summary(f"Search index rebuilt ({rows} rows)")


COMMANDS.extend([large_data_command, recount_command, refresh_counters_command, search_index_command])


# Retention --------------------------------------------------------------------------------------


@click.command("purge")
def purge_command() -> None:
    """Scheduled (daily): erase what is kept no longer (app/services/retention.py); prints counts only."""
    from app.extensions import db
    from app.models.base import utcnow
    from app.services import retention

    erased = retention.purge(utcnow())
    db.session.commit()
    for name, count in erased.items():
        click.echo(f"{name}: {count} erased")


COMMANDS.append(purge_command)


# Demo data ---------------------------------------------------------------------------------------


@click.command("demo-data")
@click.option("--if-empty", is_flag=True, help="Load only when the database has no campaign yet.")
def demo_data_command(if_empty: bool) -> None:
    """Load the ISF campaigns, named organizations and sample data (idempotent)."""
    from app.extensions import db
    from app.seeding import demo_data

    summary = demo_data.load(if_empty=if_empty)
    db.session.commit()
    if summary.skipped:
        click.echo("The database already has campaigns; demo data not loaded.")
        return
    if not summary.anything_created:
        click.echo("Demo data already loaded; nothing changed.")
        return
    click.echo("Loaded demo data: " + ", ".join(f"{n} {what}" for what, n in summary.created.items()))
    click.echo("Demo accounts (for demonstrations only), password: " + demo_data.DEMO_PASSWORD)
    for email, role, org_slug in demo_data.USERS:
        click.echo(f"  {email:32} {role.value}" + (f" of {org_slug}" if org_slug else ""))


COMMANDS.append(demo_data_command)


# Gatherings --------------------------------------------------------------------------------------


@click.group("gatherings")
def gatherings_group() -> None:
    """Gatherings: scheduled work."""


@gatherings_group.command("reminders")
def gathering_reminders_command() -> None:
    """Scheduled (hourly): mail registrants a week and a day before their gathering; never twice."""
    from app import database
    from app.extensions import db
    from app.services import registrations

    database.expect_writes()
    sent = registrations.send_reminders()
    db.session.commit()
    click.echo(f"{sent} reminder(s) queued.")


COMMANDS.append(gatherings_group)


# Outbox and worker: mail and jobs leave the request (app/worker.py) --------------------------------


@click.group("outbox")
def outbox_group() -> None:
    """The queue of mail and jobs: state, failures, retries, the sweep."""


@outbox_group.command("status")
def outbox_status_command() -> None:
    """How many messages are pending, sending, sent and failed."""
    from app import worker

    click.echo(", ".join(f"{status} {n}" for status, n in worker.counts().items()))


@outbox_group.command("failed")
def outbox_failed_command() -> None:
    """List the messages given up on, with what went wrong."""
    from app import worker

    rows = worker.failed_messages()
    for row in rows:
        what = f"mail to {row.recipient}: {row.subject}" if row.recipient else f"job {row.job_name}"
        click.echo(f"#{row.id}  {row.created_at:%Y-%m-%d %H:%M} UTC  {row.attempts} attempt(s)  {what}")
        click.echo(f"      {row.last_error}")
    click.echo(f"{len(rows)} failed message(s).")


@outbox_group.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "retry_all", is_flag=True, help="Every failed message.")
def outbox_retry_command(ids: tuple[int, ...], retry_all: bool) -> None:
    """Send failed messages (IDS, or --all) again, now."""
    from app import worker

    if not ids and not retry_all:
        raise click.UsageError("Name the messages to retry (see `flask outbox failed`) or give --all.")
    retried = worker.retry(None if retry_all else ids)
    click.echo(f"{len(retried)} message(s) handed to the worker again: {', '.join(map(str, retried)) or '-'}")
    click.echo(", ".join(f"{status} {n}" for status, n in worker.counts().items()))


@outbox_group.command("sweep")
def outbox_sweep_command() -> None:
    """Deliver what is due: lost hand-overs and retries; settle interrupted deliveries."""
    from app import worker

    click.echo(f"Outbox sweep: {worker.sweep()}")


@outbox_group.command("purge")
@click.option("--days", type=int, default=None, help="Age in days (default: OUTBOX_KEEP_SENT_DAYS).")
def outbox_purge_command(days: int | None) -> None:
    """Delete delivered and discarded messages older than the retention period (failed ones stay)."""
    from datetime import timedelta

    from flask import current_app

    from app import worker

    days = current_app.config["OUTBOX_KEEP_SENT_DAYS"] if days is None else days
    deleted = worker.purge_sent(timedelta(days=days))
    click.echo(f"{deleted} delivered or discarded message(s) older than {days} days deleted.")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Work until nothing is left, then stop.")
@click.option("--interval", default=30.0, show_default=True, help="Without Redis: seconds between sweeps.")
def worker_command(burst: bool, interval: float) -> None:
    """Deliver mail and jobs: an RQ worker with Redis (JOBS_BACKEND=rq), else the sweep in a loop."""
    from flask import current_app

    from app import worker

    worker.run(current_app._get_current_object(), burst=burst, interval=interval)


COMMANDS.extend([outbox_group, worker_command])


# Digests of what followers follow ---------------------------------------------------------------

digests_group = click.Group("digests", help="Digests of what followers follow.")


@digests_group.command("send")
@click.option("--period", type=click.Choice(["daily", "weekly"]), required=True)
def send_digests_command(period: str) -> None:
    """Scheduled (daily and weekly timers): queue the digests of the period not yet sent; a second
    run for the same period sends nothing more."""
    from app.extensions import db
    from app.services import digests

    stages = Stages()
    run = digests.send_due(period)
    stages(
        "digests built",
        readers=run.readers,
        sent=run.sent,
        already_sent=run.already_sent,
        bounced=run.bounced,
    )
    db.session.commit()
    stages.summary(f"{run.sent} {period} digest(s) queued; {run.already_sent} already sent for this period")


COMMANDS.append(digests_group)


# Bounced addresses --------------------------------------------------------------------------------

mail_group = click.Group("mail", help="Mail addresses the mail server refuses.")


@mail_group.command("bounced")
@click.argument("address")
@click.option("--clear", is_flag=True, help="The address works again: mail it again.")
@click.option("--reason", default="reported by the operator", show_default=True)
def mail_bounced_command(address: str, clear: bool, reason: str) -> None:
    """Mark ADDRESS as bounced (a bounce reported after the mail server accepted the message): it
    gets no more digests or notification mail; account mail (password reset) still tries. With
    --clear, the mark is lifted."""
    from app.extensions import db
    from app.services import notifications

    if clear:
        changed = notifications.clear_bounced(address)
        db.session.commit()
        click.echo(f"{address}: {'mark lifted' if changed else 'was not marked'}")
        return
    changed = notifications.mark_bounced(address, reason)
    db.session.commit()
    click.echo(f"{address}: {'marked as bounced' if changed else 'already marked'}")


COMMANDS.append(mail_group)
