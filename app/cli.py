"""`flask --app wsgi <command>`: thin commands that call services and commit once."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

COMMANDS: list[click.Command] = []


def register(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


# Backup and restore ----------------------------------------------------------------------------


@click.command("backup")
@click.option("--output", type=click.Path(dir_okay=False), help="File to write (default: instance/backups/).")
def backup_command(output: str | None) -> None:
    """Write a consistent backup of the database (SQLite online backup, or pg_dump)."""
    from flask import current_app

    from app.services import backup

    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    target = output or backup.default_backup_path(url, Path(current_app.instance_path) / "backups")
    try:
        written = backup.backup(url, target)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backup written to {written}")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Replace the database without asking.")
def restore_command(path: str, yes: bool) -> None:
    """Replace the whole database with the backup at PATH."""
    from flask import current_app

    from app.extensions import db
    from app.services import backup

    if not yes:
        click.confirm("This replaces every row in the database with the backup. Continue?", abort=True)
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    db.engine.dispose()
    try:
        backup.restore(url, path)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    counts = backup.table_row_counts(db.engine)
    click.echo(f"Restored {path}: " + ", ".join(f"{name} {n}" for name, n in counts.items()))


COMMANDS.extend([backup_command, restore_command])
