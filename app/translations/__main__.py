"""``python -m app.translations extract|update|compile`` (the Makefile's translations-* targets)."""

from __future__ import annotations

import sys

from app import translations

COMMANDS = {
    "extract": translations.extract,
    "update": translations.update,
    "compile": translations.compile_catalogs,
}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: python -m app.translations {{{'|'.join(COMMANDS)}}}")
    COMMANDS[sys.argv[1]]()
