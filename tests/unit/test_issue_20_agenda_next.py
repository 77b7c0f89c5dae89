"""Issue 20: ``sessions-tui agenda --next`` prints the next event, for status bars and scripts.

The promise, on both read paths: the event printed is the earliest timed, not cancelled one that
``agenda`` itself lists as starting at or after now, under the same filters; nothing coming up
is exit 0 with one documented line (text) or ``null`` (json).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sessions_tui.clock import FixedClock
from sessions_tui.services import appointments as ap
from sessions_tui.services.context import make_context
from sessions_tui.store.db import Database, open_database

from ._cli import cli

NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
"""As tests/conftest.py (the ``now_env`` fixture sets ``SESSIONS_TUI_NOW`` to it)."""


@pytest.fixture(params=["fast", "orm"])
def demo_path(
    request: pytest.FixtureRequest,
    demo_db: Database,
    tmp_path: Path,
    now_env: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    demo_db.dispose()
    if request.param == "orm":
        monkeypatch.setenv("SESSIONS_TUI_NO_FAST_READ", "1")
    return tmp_path / "demo.db"


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> object:
    r = cli(capsys, "agenda", "--user", "alice", "--format", "json", *args)
    assert r.code == 0, r.err
    return json.loads(r.out)


def _expected_next(listed: object) -> dict[str, object]:
    """What agenda lists, narrowed by hand to the rule: timed, not cancelled, not yet begun."""
    assert isinstance(listed, list)
    ahead = [
        i
        for i in listed
        if not i["all_day"]
        and i["status"] != "cancelled"
        and datetime.fromisoformat(i["start"]) >= NOW
    ]
    assert ahead, "the demo has events after now"
    return min(ahead, key=lambda i: (datetime.fromisoformat(i["start"]), i["id"]))


@pytest.mark.parametrize("filters", [(), ("--practitioner", "ben", "--location", "Telehealth")])
def test_issue_20_next_is_agendas_first_upcoming_event(
    demo_path: Path, capsys: pytest.CaptureFixture[str], filters: tuple[str, ...]
) -> None:
    db = ("--db", str(demo_path))
    listed = _json(capsys, *db, "--days", "14", *filters)
    nxt = _json(capsys, *db, "--next", *filters)
    assert nxt == _expected_next(listed)

    r = cli(capsys, "agenda", *db, "--user", "alice", "--next", *filters)
    assert r.code == 0, r.err
    assert isinstance(nxt, dict)
    start = datetime.fromisoformat(str(nxt["start"]))
    line = r.out.strip()
    assert len(r.out.splitlines()) == 1
    assert line.startswith(f"{start:%a %Y-%m-%d} {start:%H:%M}–")
    assert str(nxt["title"]) in line


def test_issue_20_next_skips_a_cancelled_event(
    demo_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ("--db", str(demo_path))
    first = _json(capsys, *db, "--next", "--practitioner", "alice")
    assert isinstance(first, dict)
    database = open_database(str(demo_path))
    try:
        ctx = make_context(database, FixedClock(NOW), "alice")
        rid = first["occurrence"]
        ref = ap.OccurrenceRef(int(str(first["id"])), datetime.fromisoformat(str(rid)))
        ap.cancel(ctx, ref, ap.Scope.THIS if first["recurring"] else ap.Scope.ALL)
    finally:
        database.dispose()
    second = _json(capsys, *db, "--next", "--practitioner", "alice")
    assert isinstance(second, dict)
    assert (second["uid"], second["occurrence"]) != (first["uid"], first["occurrence"])
    assert datetime.fromisoformat(str(second["start"])) >= datetime.fromisoformat(
        str(first["start"])
    )


def test_issue_20_nothing_upcoming_is_exit_0_and_a_line_or_null(
    db: Database, capsys: pytest.CaptureFixture[str], now_env: str
) -> None:
    path = str(db.url).removeprefix("sqlite:///")
    db.dispose()
    r = cli(capsys, "staff", "add", "admin", "--db", path, "--name", "Ada", "--role", "admin")
    assert r.code == 0, r.err
    r = cli(capsys, "agenda", "--db", path, "--next")
    assert (r.code, r.out) == (0, "(nothing scheduled in the next 90 days)\n")
    r = cli(capsys, "agenda", "--db", path, "--next", "--days", "7")
    assert (r.code, r.out) == (0, "(nothing scheduled in the next 7 days)\n")
    r = cli(capsys, "agenda", "--db", path, "--next", "--format", "json")
    assert (r.code, json.loads(r.out)) == (0, None)
