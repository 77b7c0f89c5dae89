"""Helpers for CLI tests: run the CLI in-process and dump a database for before/after checks."""

from __future__ import annotations

import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from sessions_tui.cli import run


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


def as_login(login: str) -> list[str]:
    """``sessions-tui`` in a subprocess whose OS login is ``login`` (``identity._system_login``
    replaced before the CLI runs), so ``--user`` naming others is honoured as for that login."""
    code = (
        "import sys, sessions_tui.identity as i; "
        f"i._system_login = lambda: {login!r}; "
        "from sessions_tui.cli import run; sys.exit(run(sys.argv[1:]))"
    )
    return [sys.executable, "-c", code]


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    """Run ``sessions-tui ARGS`` in this process; capture exit code, stdout and stderr."""
    capsys.readouterr()
    code = run(list(args))
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table of a SQLite file (schema included), for equality checks."""
    if not path.exists():
        return {}
    conn = sqlite3.connect(path)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
                " ORDER BY name"
            )
        ]
        out: dict[str, list[tuple[object, ...]]] = {
            "__schema__": sorted(conn.execute("SELECT type, name, sql FROM sqlite_master"))
        }
        for name in names:
            out[name] = sorted(conn.execute(f'SELECT * FROM "{name}"'), key=repr)
        return out
    finally:
        conn.close()
