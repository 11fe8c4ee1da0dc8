"""`flask --app wsgi <command>`: thin commands that call services and commit once."""

from __future__ import annotations

import click
from flask import Flask

COMMANDS: list[click.Command] = []


def register(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
