"""A quick integrity check of a SQLite practice file, on open where it is cheap.

A page-corrupted file was read and written with no warning (issue 28); now a damaged file small
enough to check in tens of milliseconds is refused, in one line pointing at the repair steps,
before anything reads or writes it. Standard library only: the fast read path (no SQLAlchemy)
checks too.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sessions_tui.domain.errors import SessionsError

REPAIR_DOCS = 'docs/SETUP.md, "A damaged database"'
"""Where the repair steps are: every line about a damaged file points there."""


class DamagedDatabase(SessionsError):
    """The practice file failed its integrity check."""


def quick_check(path: Path, *, limit: int = 1) -> list[str]:
    """SQLite's ``PRAGMA quick_check`` of ``path``: its problems (at most ``limit``), empty
    when the file is sound. Reads every page once (about 2 ms a megabyte); no lock is held
    past the read, and nothing is written."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error:  # cannot open: not a sign of damage; the ordinary open says why
        return []
    try:
        rows = conn.execute(f"PRAGMA quick_check({int(limit)})").fetchall()
    except sqlite3.OperationalError:  # locked: not a sign of damage either
        return []
    except sqlite3.DatabaseError as exc:  # a damaged header or schema fails to read at all
        return [str(exc)]
    finally:
        conn.close()
    found = [str(r[0]) for r in rows]
    return [] if found == ["ok"] else found


QUICK_CHECK_MAX_BYTES = 32 * 1024 * 1024
"""Files up to this size are checked (``quick_check``) each time they are opened: tens of
milliseconds at most. A larger one is checked by ``sessions-tui db check``."""


def check_on_open(path: Path | None) -> None:
    """Refuse, in one line pointing at the repair steps, a damaged SQLite file small enough
    to check cheaply (:data:`QUICK_CHECK_MAX_BYTES`), before anything reads or writes it."""
    if path is None or not path.is_file() or path.stat().st_size > QUICK_CHECK_MAX_BYTES:
        return
    problems = quick_check(path)
    if problems:
        raise DamagedDatabase(damaged_line(path, problems[0]))


def damaged_line(path: Path | str, problem: str) -> str:
    """The one line for a file that failed its integrity check."""
    # quick_check's report starts with a "*** in database main ***" heading: skip it.
    lines = [line for line in problem.splitlines() if line.strip() and "***" not in line]
    first = lines[0] if lines else "unknown problem"
    return (
        f"{str(path)!r} is damaged (integrity check: {first}); stop using it and see {REPAIR_DOCS}"
    )
