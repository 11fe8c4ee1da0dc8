"""The systemd units of deploy/systemd/ run commands that exist, and each job unit has its timer.

Scheduled work lives in one place (systemd timers, listed in docs/operations.md): a renamed
command or option must not leave a timer failing every night unnoticed.
"""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parent.parent / "deploy" / "systemd"
FLASK = "/srv/tadamun/app/.venv/bin/flask"


def read_unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(path)
    return parser


def services() -> list[Path]:
    return sorted(UNITS.glob("tadamun-*.service"))


def test_the_scheduled_work_has_its_units():
    names = {path.name for path in UNITS.iterdir()}
    for task in (
        "outbox-sweep",
        "backup",
        "outbox-purge",
        "refresh-counters",
        "purge",
        "gathering-reminders",
        "digests-daily",
        "digests-weekly",
    ):
        assert {f"tadamun-{task}.service", f"tadamun-{task}.timer"} <= names
    assert "tadamun-worker.service" in names


@pytest.mark.parametrize("unit", services(), ids=lambda path: path.name)
def test_each_unit_runs_a_flask_command_that_exists(app, unit):
    argv = shlex.split(read_unit(unit)["Service"]["ExecStart"])
    assert argv[:3] == [FLASK, "--app", "wsgi"], argv

    result = app.test_cli_runner().invoke(args=[*argv[3:], "--help"])

    assert result.exit_code == 0, (
        f"{unit.name}: `flask {' '.join(argv[3:])}` does not parse:\n{result.output}"
    )


@pytest.mark.parametrize("unit", [u for u in services() if u.stem != "tadamun-worker"], ids=lambda p: p.name)
def test_each_oneshot_unit_has_a_timer(unit):
    assert read_unit(unit)["Service"]["Type"] == "oneshot"
    timer = read_unit(unit.with_suffix(".timer"))
    assert timer["Timer"]["OnCalendar"]
    assert timer["Install"]["WantedBy"] == "timers.target"
