"""Issue 19: agenda JSON names each occurrence as the ICS feed does (``uid`` + ``occurrence``)
and gives the event's own zone, on both read paths (the fast sqlite3 one and the ORM one)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import icalendar
import pytest

from sessions_tui.store.db import Database

from ._cli import cli


@pytest.fixture
def demo_path(demo_db: Database, tmp_path: Path, now_env: str) -> Path:
    demo_db.dispose()
    return tmp_path / "demo.db"


def _agenda(capsys: pytest.CaptureFixture[str], db: Path) -> list[dict[str, object]]:
    r = cli(
        capsys,
        "agenda",
        "--db",
        str(db),
        "--user",
        "alice",
        "--from",
        "2026-10-01",
        "--days",
        "92",
        "--format",
        "json",
    )
    assert r.code == 0, r.err
    items: list[dict[str, object]] = json.loads(r.out)
    return items


def _feed(capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path) -> icalendar.Calendar:
    out = tmp_path / "practice.ics"
    r = cli(capsys, "ics", "export", "--db", str(db), "--user", "alice", "-o", str(out))
    assert r.code == 0, r.err
    return icalendar.Calendar.from_ical(out.read_bytes())


def test_issue_19_agenda_json_uid_occurrence_zone(
    demo_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    items = _agenda(capsys, demo_path)
    assert items
    for item in items:
        assert {"uid", "occurrence", "zone"} <= item.keys()
    # A script can tell every occurrence apart, although a series shares one id.
    keys = [(i["uid"], i["occurrence"]) for i in items]
    assert len(set(keys)) == len(keys)
    ids = [i["id"] for i in items if i["recurring"]]
    assert len(set(ids)) < len(ids), "the demo has series with several occurrences"

    feed = _feed(capsys, demo_path, tmp_path)
    masters: dict[str, Any] = {}
    overrides: dict[tuple[str, datetime], Any] = {}
    vevent: Any
    for vevent in feed.walk("VEVENT"):
        ev = vevent
        uid = str(ev["UID"])
        if "RECURRENCE-ID" in ev:
            overrides[(uid, ev["RECURRENCE-ID"].dt)] = ev
        else:
            masters[uid] = ev
    seen_override = seen_series = False
    for item in items:
        uid, occ = str(item["uid"]), item["occurrence"]
        assert isinstance(uid, str)
        assert uid in masters or any(u == uid for u, _ in overrides), f"{uid} not in the feed"
        if occ is None:
            assert "RRULE" not in masters[uid]  # a one-off event
            continue
        rid = datetime.fromisoformat(str(occ)) if "T" in str(occ) else None
        if rid is not None and (uid, rid) in overrides:
            seen_override = True
        else:
            seen_series = True
            assert "RRULE" in masters[uid]
        master = masters.get(uid)
        if master is not None and isinstance(master["DTSTART"].dt, datetime):
            assert item["zone"] == master["DTSTART"].dt.tzinfo.key  # type: ignore[union-attr]
    assert seen_series
    assert seen_override


def test_issue_19_agenda_json_same_on_both_read_paths(
    demo_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = _agenda(capsys, demo_path)
    monkeypatch.setenv("SESSIONS_TUI_NO_FAST_READ", "1")
    assert _agenda(capsys, demo_path) == fast
