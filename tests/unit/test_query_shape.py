"""The algorithmic shape of the window query (no wall-clock asserts).

* It reads a bounded number of rows whatever the total: a practice of 1,000 events and the same
  practice padded to 20,000 with events and finished series years away from the windows read
  exactly the same rows (counted where both readers hand their rows to ``expand_window``) and
  give the same occurrences.
* ``EXPLAIN QUERY PLAN`` of every statement it runs on the event table shows an index SEARCH,
  never a SCAN, for the SQLAlchemy query and for the stdlib fast read path.
* The fast read path (``store.fastread``, what ``sessions-tui agenda`` uses on SQLite) gives the
  same occurrences as the SQLAlchemy query, and the agenda command then imports neither
  SQLAlchemy nor SQLModel.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from sessions_tui.domain.events import Occurrence
from sessions_tui.domain.timeutil import days_bounds
from sessions_tui.store import fastread, queries, rows
from sessions_tui.store.db import open_database

from ._cli import as_login

BUILD_DB = Path(__file__).resolve().parents[2] / "bench" / "build_db.py"
NOW = datetime(2026, 11, 25, 16, tzinfo=UTC)
CHICAGO = ZoneInfo("America/Chicago")
PAD_TO = 20_000


def _build_db_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_build_db_shape", BUILD_DB)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _shift(text: str | None, years: int) -> str | None:
    """A stored UTC/date text moved by whole years (Feb 29 → Feb 28)."""
    if text is None:
        return None
    value = datetime.fromisoformat(text) if " " in text else date.fromisoformat(text)
    try:
        moved = value.replace(year=value.year + years)
    except ValueError:
        moved = value.replace(year=value.year + years, day=28)
    if isinstance(moved, datetime):
        return moved.strftime("%Y-%m-%d %H:%M:%S.%f")
    return moved.isoformat()


def _pad(path: Path, total: int) -> None:
    """Add copies of the one-off events and of the finished series, moved 20+ years into the
    past, until the event table has ``total`` rows; nothing added is near the test windows."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.create_function("sessions_actor", 0, lambda: None)  # the audit triggers call it
    conn.row_factory = sqlite3.Row
    singles = conn.execute(
        "SELECT * FROM event WHERE is_series = 0 AND series_id IS NULL"
    ).fetchall()
    finished = conn.execute(
        "SELECT * FROM event WHERE is_series = 1 AND series_end_utc IS NOT NULL"
    ).fetchall()
    assert singles
    assert finished
    cols = [c for c in singles[0].keys() if c != "id"]  # noqa: SIM118 - sqlite3.Row
    have = int(conn.execute("SELECT count(*) FROM event").fetchone()[0])
    sql = f"INSERT INTO event ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    conn.execute("BEGIN")
    n = 0
    while have < total:
        years = -20 - n // (len(singles) + len(finished))
        source = (singles + finished)[n % (len(singles) + len(finished))]
        values = dict(source)
        for c in ("start_utc", "end_utc", "start_date", "end_date", "series_end_utc"):
            values[c] = _shift(values[c], years)
        if values["rrule"] and "UNTIL=" in values["rrule"]:
            values["rrule"] = values["rrule"].split(";UNTIL=")[0] + ";COUNT=3"
        values["uid"] = f"pad-{n}@shape"
        conn.execute(sql, [values[c] for c in cols])
        have += 1
        n += 1
    conn.execute("COMMIT")
    conn.close()


@pytest.fixture(scope="module")
def practices(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(1,000 events, the same padded to 20,000)."""
    base = tmp_path_factory.mktemp("shape")
    small = base / "small.db"
    _build_db_module().build(small, 1_000, NOW)
    big = base / "big.db"
    shutil.copyfile(small, big)
    _pad(big, PAD_TO)
    return small, big


def _windows() -> list[tuple[str, datetime, datetime, ZoneInfo, dict[str, Any]]]:
    week = days_bounds(date(2026, 11, 22), 7, CHICAGO)
    month = days_bounds(date(2026, 11, 1), 35, CHICAGO)
    day = days_bounds(date(2026, 3, 8), 3, CHICAGO)  # from a DST change (a Sunday)
    past = days_bounds(date(2023, 5, 1), 14, ZoneInfo("Asia/Kolkata"))
    return [
        ("week", *week, CHICAGO, {}),
        ("month", *month, CHICAGO, {}),
        ("dst days", *day, CHICAGO, {}),
        ("two weeks 2023, Kolkata", *past, ZoneInfo("Asia/Kolkata"), {}),
        ("week, two practitioners", *week, CHICAGO, {"practitioners": [2, 3]}),
        ("month, one location", *month, CHICAGO, {"locations": [1]}),
    ]


def _key(occ: list[Occurrence]) -> list[tuple[Any, ...]]:
    return [(o.event.id, o.start, o.end, o.event.status) for o in occ]


_EXPAND = rows.expand_window


class _Spy:
    """Counts the rows a window query hands to ``expand_window`` (what it fetched)."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int, int]] = []

    def __call__(self, singles: Any, series: Any, skips: Any, *rest: Any) -> list[Occurrence]:
        singles, series, skips = list(singles), list(series), list(skips)
        self.calls.append((len(singles), len(series), len(skips)))
        return _EXPAND(singles, series, skips, *rest)


def _orm_window(
    path: Path, start: datetime, end: datetime, tz: ZoneInfo, **filters: Any
) -> list[Occurrence]:
    db = open_database(str(path))
    try:
        with db.read() as s:
            return queries.window(s, start, end, display_tz=tz, **filters)
    finally:
        db.dispose()


def _fast_window(
    path: Path, start: datetime, end: datetime, tz: ZoneInfo, **filters: Any
) -> list[Occurrence]:
    reader = fastread.open_fast(f"sqlite:///{path}")
    assert reader is not None, "the fast path refused a database at the newest revision"
    try:
        return reader.window(start, end, display_tz=tz, **filters)
    finally:
        reader.close()


@pytest.mark.parametrize("reader", ["orm", "fast"])
@pytest.mark.parametrize("case", _windows(), ids=lambda c: c[0])
def test_rows_read_do_not_grow_with_the_total(
    practices: tuple[Path, Path],
    case: tuple[Any, ...],
    reader: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    small, big = practices
    _label, start, end, tz, filters = case
    spy = _Spy()
    monkeypatch.setattr(queries, "expand_window", spy)
    monkeypatch.setattr(fastread.rows, "expand_window", spy)  # type: ignore[attr-defined]
    run = _orm_window if reader == "orm" else _fast_window
    got_small = run(small, start, end, tz, **filters)
    got_big = run(big, start, end, tz, **filters)
    assert len(spy.calls) == 2
    assert spy.calls[0] == spy.calls[1], "20x the events read more rows for the same window"
    assert _key(got_small) == _key(got_big)
    fetched_singles, fetched_series, _skips = spy.calls[1]
    # What was read is about what is shown: one-offs that do not overlap the window are only
    # those within the longest event's span before it (all-day events, a few days).
    shown_singles = {o.event.id for o in got_big if o.event.rrule is None}
    assert fetched_singles >= len(shown_singles)
    assert fetched_singles <= len(shown_singles) + 30
    assert fetched_series < 60  # of the 9 + padded series, only those alive in the window


def test_the_padding_really_is_there(practices: tuple[Path, Path]) -> None:
    small, big = practices
    for path, total in ((small, 1_000), (big, PAD_TO)):
        conn = sqlite3.connect(path)
        assert conn.execute("SELECT count(*) FROM event").fetchone()[0] == total
        conn.close()


def _plans(conn: sqlite3.Connection, statements: list[str]) -> list[str]:
    out: list[str] = []
    for sql in statements:
        if " event" not in sql or not sql.lstrip().upper().startswith("SELECT"):
            continue
        plan = conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
        out.extend(f"{row[-1]}  <- {sql[:90]}" for row in plan)
    return out


def _orm_statements(
    path: Path, start: datetime, end: datetime, tz: ZoneInfo, **filters: Any
) -> list[str]:
    """The SQL the SQLAlchemy window query runs, with its parameters inlined by sqlite3."""
    db = open_database(str(path))
    seen: list[str] = []

    def trace(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(seen.append)

    event.listen(db.engine, "connect", trace)
    try:
        db.engine.dispose()  # new connections get the trace
        with db.read() as s:
            queries.window(s, start, end, display_tz=tz, **filters)
    finally:
        db.dispose()
    return seen


def _fast_statements(
    path: Path, start: datetime, end: datetime, tz: ZoneInfo, **filters: Any
) -> list[str]:
    reader = fastread.open_fast(f"sqlite:///{path}")
    assert reader is not None
    seen: list[str] = []
    reader.conn.set_trace_callback(seen.append)
    try:
        reader.window(start, end, display_tz=tz, **filters)
    finally:
        reader.close()
    return seen


@pytest.mark.parametrize("reader", ["orm", "fast"])
@pytest.mark.parametrize("case", _windows(), ids=lambda c: c[0])
def test_query_plan_searches_an_index(
    practices: tuple[Path, Path], case: tuple[Any, ...], reader: str
) -> None:
    _small, big = practices
    _label, start, end, tz, filters = case
    collect = _orm_statements if reader == "orm" else _fast_statements
    statements = collect(big, start, end, tz, **filters)
    conn = sqlite3.connect(big)
    try:
        plans = _plans(conn, statements)
    finally:
        conn.close()
    on_event = [p for p in plans if "event" in p.split("<-")[0] or "exdate" in p.split("<-")[0]]
    assert len(on_event) >= 2, plans  # singles and series at least
    for line in on_event:
        detail = line.split("<-")[0]
        if "VIRTUAL TABLE" in detail:
            # The R*Tree on the series' bounds (store.series_bounds): SQLite says SCAN of a
            # virtual table, searched with constraints ("INDEX 2:D0B1": lo < ?, hi > ?).
            assert re.search(r"event_series_bounds VIRTUAL TABLE INDEX \d+:[A-Z]\d", detail), line
            continue
        assert "SCAN" not in detail, f"full scan: {line}"
        assert "SEARCH" in detail, line
        assert "INDEX" in detail or "INTEGER PRIMARY KEY" in detail, line


@pytest.mark.parametrize("case", _windows(), ids=lambda c: c[0])
def test_fast_path_gives_what_the_orm_query_gives(
    practices: tuple[Path, Path], case: tuple[Any, ...]
) -> None:
    small, _big = practices
    _label, start, end, tz, filters = case
    orm = _orm_window(small, start, end, tz, **filters)
    fast = _fast_window(small, start, end, tz, **filters)
    assert orm, "the window should not be empty"
    assert _key(fast) == _key(orm)
    assert [o.event for o in fast] == [o.event for o in orm]


def test_fast_path_refuses_a_database_that_needs_migrating(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    open_database(str(path)).dispose()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '0001'")
    conn.commit()
    conn.close()
    assert fastread.open_fast(f"sqlite:///{path}") is None
    assert fastread.open_fast("postgresql+psycopg://x@localhost/y") is None
    assert fastread.open_fast(f"sqlite:///{tmp_path / 'missing.db'}") is None


def _agenda(db: Path, *args: str, fast: bool) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SESSIONS_TUI_NOW": "2026-11-25T16:00:00+00:00"}
    env.pop("SESSIONS_TUI_NO_FAST_READ", None)
    if not fast:
        env["SESSIONS_TUI_NO_FAST_READ"] = "1"
    return subprocess.run(
        [*as_login("admin"), "agenda", "--db", str(db), "--user", "admin", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.mark.parametrize(
    "args",
    [
        ("--from", "2026-11-22", "--days", "7", "--tz", "America/Chicago"),
        ("--from", "2026-11-01", "--days", "30", "--format", "json", "--tz", "Europe/London"),
        ("--days", "7", "--practitioner", "avery", "--location", "telehealth"),
        ("--days", "3", "--practitioner", "Nobody Here"),
        ("--days", "2", "--location", "Nowhere"),
    ],
)
def test_agenda_command_same_output_fast_or_not(
    practices: tuple[Path, Path], args: tuple[str, ...]
) -> None:
    small, _big = practices
    fast = _agenda(small, *args, fast=True)
    slow = _agenda(small, *args, fast=False)
    assert (fast.returncode, fast.stdout, fast.stderr) == (
        slow.returncode,
        slow.stdout,
        slow.stderr,
    )
    if "--format" in args:
        assert json.loads(fast.stdout), "expected some events in November"


def test_agenda_command_imports_no_sqlalchemy(practices: tuple[Path, Path]) -> None:
    small, _big = practices
    code = (
        "import sys, sessions_tui.identity as i; i._system_login = lambda: 'admin'; "
        "from sessions_tui.cli import run; "
        f"rc = run(['agenda', '--db', {str(small)!r}, '--user', 'admin', '--days', '7']); "
        "print('HEAVY', sorted(m for m in ('sqlalchemy', 'sqlmodel', 'alembic', 'textual', "
        "'icalendar') if m in sys.modules)); sys.exit(rc)"
    )
    env = {**os.environ, "SESSIONS_TUI_NOW": "2026-11-25T16:00:00+00:00"}
    env.pop("SESSIONS_TUI_NO_FAST_READ", None)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "HEAVY []" in done.stdout
    assert "Sunday" in done.stdout or "Monday" in done.stdout  # it did print an agenda


def test_cli_os_login_matches_the_services(monkeypatch: pytest.MonkeyPatch) -> None:
    from sessions_tui.identity import os_login as _os_login
    from sessions_tui.services.context import os_login  # type: ignore[attr-defined]

    # SESSIONS_TUI_USER is a claim like --user, never the OS login (issue 15).
    monkeypatch.setenv("SESSIONS_TUI_USER", "sam")
    assert _os_login() == os_login() == "admin"
    monkeypatch.setattr("sessions_tui.identity._system_login", lambda: "sam")
    assert _os_login() == os_login() == "sam"


def test_head_revision_is_the_store_s(tmp_path: Path) -> None:
    from sessions_tui.store.db import HEAD_REVISION

    assert fastread.head_revision() == HEAD_REVISION
