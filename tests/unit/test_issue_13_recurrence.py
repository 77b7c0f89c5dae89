"""Issue 13: one event must not break the calendar for every user.

Hostile recurrence rules are refused, with one line naming the rule part, at every entrance (the
domain rule, the services API, the editor's form, ICS import); a bad rule already stored (an
older database, a hand edit) is skipped and named by every reader (the window query on both
backends, the fast reader, the agenda command, search, the ICS export and feed) while the other
events still show; and a hostile .ics never holds the SQLite write lock.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrule, rrulestr
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pg_support import drop_database, new_database
from sqlalchemy import func, select, text
from sqlmodel import col

from sessions_tui.clock import FixedClock
from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.events import Event, EventKind, validate_event
from sessions_tui.domain.listing import skipped_of
from sessions_tui.domain.model import Role
from sessions_tui.domain.recurrence import (
    MAX_COUNT,
    MAX_SPAN,
    expansion_problem,
    occurrences,
    series_end,
)
from sessions_tui.domain.timeutil import is_ambiguous, is_nonexistent
from sessions_tui.services import appointments, practice, scheduling
from sessions_tui.services.calendar import Filters, reader_window_items, search_events
from sessions_tui.services.context import Context
from sessions_tui.services.event_form import EventForm, FormErrors, build_event
from sessions_tui.store.db import Database, open_database
from sessions_tui.store.fastread import open_fast
from sessions_tui.store.orm_reader import OrmReader
from sessions_tui.store.tables import EventRow
from sessions_tui.store.write_guard import writing
from sessions_tui.sync.ics import IcsError, export_calendar, import_calendar

from ._cli import cli

NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
CHI = "America/Chicago"
WEEK = (datetime(2026, 11, 22, 6, tzinfo=UTC), datetime(2026, 11, 29, 6, tzinfo=UTC))

HOSTILE = [
    # (id, rrule, start year, for a session?, what the one line names)
    ("interval-0", "FREQ=DAILY;INTERVAL=0", 2026, False, "INTERVAL=0"),
    ("interval-minus-1", "FREQ=WEEKLY;INTERVAL=-1", 2026, False, "INTERVAL=-1"),
    ("monthly-interval-0", "FREQ=MONTHLY;INTERVAL=0", 2026, False, "INTERVAL=0"),
    ("dtstart-9999", "FREQ=DAILY", 9999, False, "start year 9999"),
    ("count-1e9", "FREQ=DAILY;COUNT=1000000000", 2026, False, "COUNT=1000000000"),
    ("hourly-count-1e9", "FREQ=HOURLY;COUNT=1000000000", 2026, False, "COUNT=1000000000"),
    ("hourly-session", "FREQ=HOURLY;COUNT=3", 2026, True, "FREQ=HOURLY"),
    ("until-100-years", "FREQ=WEEKLY;UNTIL=21261125T000000Z", 2026, False, "UNTIL="),
]
IMPORTABLE = [h for h in HOSTILE if not h[3]]  # an .ics brings other events, not sessions


def _event(rule: str, year: int, session: bool, pid: int = 1, cid: int = 1) -> Event:
    start = NOW.replace(year=year)
    return Event(
        kind=EventKind.SESSION if session else EventKind.OTHER,
        title="" if session else "Hostile",
        start=start,
        end=start + timedelta(minutes=50),
        tzid=CHI,
        practitioner_id=pid,
        client_id=cid if session else None,
        rrule=rule,
    )


def _count(db: Database) -> int:
    with db.session() as s:
        return int(s.execute(select(func.count()).select_from(EventRow)).scalar_one())


@dataclass
class Walk:
    """One iteration of a dateutil rule: the rule, and how many datetimes it produced."""

    rule: rrule
    produced: int = 0

    @property
    def bounded(self) -> bool:
        """The rule itself stops (an UNTIL or a COUNT): walking it cannot run to the year 9999."""
        private = vars(self.rule)  # dateutil keeps the parsed rule in _until, _count, _dtstart
        return private["_until"] is not None or private["_count"] is not None

    @property
    def start_year(self) -> int:
        """The year the walk starts in."""
        return int(vars(self.rule)["_dtstart"].year)


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[Walk]:
    """Every walk of a dateutil rule from here on (``rrule._iter``: what iteration, ``after``,
    ``xafter`` and rule sets all go through), to check how much work a call did instead of how
    long it took on this machine."""
    seen: list[Walk] = []
    original = vars(rrule)["_iter"]

    def counting(self: rrule) -> Iterator[datetime]:
        walk = Walk(self)
        seen.append(walk)
        for item in original(self):
            walk.produced += 1
            yield item

    monkeypatch.setattr(rrule, "_iter", counting)
    return seen


# --- refused at every entrance ---------------------------------------------------------------


@pytest.mark.parametrize(("rule", "year", "session", "names"), [h[1:] for h in HOSTILE])
def test_issue_13_hostile_rule_refused_by_the_domain_in_one_line(
    rule: str, year: int, session: bool, names: str, walks: list[Walk]
) -> None:
    with pytest.raises(ValidationError) as info:
        validate_event(_event(rule, year, session))
    assert names in str(info.value)
    assert "\n" not in str(info.value)
    assert info.value.field == ("start" if year != 2026 else "rrule")
    # Refusing never walks the rule as given: at most a probe that stops by itself.
    assert all(w.bounded for w in walks), [str(w.rule) for w in walks]
    assert sum(w.produced for w in walks) <= MAX_COUNT


@pytest.fixture
def team(admin_ctx: Context) -> tuple[Context, int, int]:
    client = practice.add_client(admin_ctx, "Jane", "Doe", None)
    assert admin_ctx.actor is not None
    return admin_ctx, admin_ctx.actor.id, client.id


@pytest.mark.parametrize(
    ("rule", "year", "session", "names"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE]
)
def test_issue_13_hostile_rule_refused_by_the_services_api(
    team: tuple[Context, int, int], rule: str, year: int, session: bool, names: str
) -> None:
    ctx, pid, cid = team
    with pytest.raises(ValidationError, match=names.replace("+", r"\+")):
        appointments.create(ctx, _event(rule, year, session, pid, cid))
    assert _count(ctx.db) == 0


@pytest.mark.parametrize(
    ("rule", "year", "session", "names"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE]
)
def test_issue_13_hostile_rule_refused_in_the_editor(
    rule: str, year: int, session: bool, names: str
) -> None:
    form = EventForm(
        kind=EventKind.SESSION if session else EventKind.OTHER,
        tzid=CHI,
        client_id=1 if session else None,
        practitioner_id=1,
        title="" if session else "Hostile",
        date=f"{year}-11-25",
        start="10:00",
        end="10:50",
        recurrence="custom",
        custom_rrule=rule,
    )
    with pytest.raises(FormErrors) as info:
        build_event(form)
    (field, message), *rest = info.value.errors.items()
    assert not rest
    assert field == ("start" if year != 2026 else "custom_rrule")
    assert names in message


def _ics(rule: str, year: int) -> str:
    """A hostile calendar of about 200 bytes."""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:h@x\r\n"
        f"DTSTART:{year}1125T160000Z\r\nDTEND:{year}1125T170000Z\r\nRRULE:{rule}\r\n"
        "SUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


@pytest.mark.parametrize(
    ("rule", "year", "names"),
    [(h[1], h[2], h[4]) for h in IMPORTABLE],
    ids=[h[0] for h in IMPORTABLE],
)
def test_issue_13_hostile_rule_refused_at_ics_import(
    team: tuple[Context, int, int], rule: str, year: int, names: str
) -> None:
    ctx, pid, _cid = team
    scheduling.create_event(ctx, _event("FREQ=WEEKLY;COUNT=4", 2026, False, pid))
    before = _count(ctx.db)
    with pytest.raises((IcsError, ValidationError)) as info:
        import_calendar(ctx, _ics(rule, year), practitioner_id=pid, name="hostile.ics", strict=True)
    assert names in str(info.value)
    assert "\n" not in str(info.value)
    assert _count(ctx.db) == before
    # Without --strict the hostile event is skipped with one line naming it (issue 26).
    report = import_calendar(ctx, _ics(rule, year), practitioner_id=pid, name="hostile.ics")
    assert report.notes.skipped_count == 1
    assert names in report.notes.skipped[0]
    assert _count(ctx.db) == before


def test_issue_13_hostile_ics_import_on_the_command_line_is_one_line(
    demo_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hostile.ics"
    path.write_text(_ics("FREQ=HOURLY;COUNT=1000000000", 2026))
    before = _count(demo_db)
    args = ["ics", "import", str(path), "--practitioner", "ben", "--strict"]
    result = cli(capsys, *args, "--db", str(tmp_path / "demo.db"), "--user", "alice")
    assert result.code != 0
    assert len(result.err_lines) == 1
    assert "COUNT=1000000000" in result.err
    assert _count(demo_db) == before


def test_issue_13_hostile_ics_does_not_hold_the_write_lock(
    demo_db: Database, tmp_path: Path
) -> None:
    """A 200-byte .ics asking for a billion hourly occurrences: the import gives up by itself,
    quickly, and another writer process started beside it finishes."""
    path = tmp_path / "hostile.ics"
    body = _ics("FREQ=HOURLY;COUNT=1000000000", 2026)
    assert len(body.encode()) <= 220
    path.write_text(body)
    db_path = str(tmp_path / "demo.db")
    env = {**os.environ, "SESSIONS_TUI_NOW": NOW.isoformat()}
    run = [sys.executable, "-m", "sessions_tui"]
    importer = subprocess.Popen(
        [
            *run,
            "ics",
            "import",
            str(path),
            "--practitioner",
            "ben",
            "--db",
            db_path,
            "--user",
            "alice",
            "--strict",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    other = subprocess.run(
        [*run, "clients", "add", "Other", "Writer", "--db", db_path, "--user", "alice"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        _out, err = importer.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        importer.kill()
        importer.communicate()
        pytest.fail("the hostile import was still running after 10 s")
    assert other.returncode == 0, other.stderr
    assert importer.returncode != 0
    assert "COUNT=1000000000" in err
    names = [c.full_name for c in practice.list_clients(Context(demo_db, FixedClock(NOW), None))]
    assert "Other Writer" in names


# --- expansion never walks more than the window needs ---------------------------------------


def test_issue_13_series_end_is_found_without_walking_and_bounds_the_series(
    walks: list[Walk],
) -> None:
    cases = [
        "FREQ=DAILY;COUNT=10",
        f"FREQ=HOURLY;COUNT={MAX_COUNT}",
        "FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270301T000000Z",
        "FREQ=MONTHLY;BYMONTHDAY=31;COUNT=7",
        "FREQ=HOURLY;UNTIL=20361101T000000Z",
    ]
    for rule in cases:
        ev = validate_event(_event(rule, 2026, False))
        walks.clear()
        end = series_end(ev)
        # The check of the stored rule finds its first occurrence (and, for a COUNT, its
        # COUNT occurrences, as the end itself does); an UNTIL costs no walk beyond that.
        assert all(w.bounded for w in walks), [str(w.rule) for w in walks]
        steps = sum(w.produced for w in walks)
        assert steps <= (2 * int(rule.split("COUNT=")[1]) if "COUNT" in rule else 1), steps
        assert end is not None
        # No occurrence ends after it: exactly the last end for COUNT, the UNTIL plus one
        # occurrence's length (an upper bound is all the window query needs) for UNTIL.
        occ = list(occurrences(ev, ev.start, end + timedelta(days=400)))  # type: ignore[arg-type]
        assert occ
        last = max(o.end for o in occ)  # type: ignore[type-var]
        if "COUNT" in rule:
            assert end == last
        else:
            assert last <= end <= last + timedelta(days=31)  # type: ignore[operator]


def test_issue_13_a_far_window_of_an_old_hourly_series_is_quick(walks: list[Walk]) -> None:
    ev = validate_event(
        _event("FREQ=HOURLY;INTERVAL=5", 2026, False).with_changes(
            start=datetime(1950, 1, 1, tzinfo=UTC), end=datetime(1950, 1, 1, 1, tzinfo=UTC)
        )
    )
    week = list(occurrences(ev, datetime(2199, 1, 1, tzinfo=UTC), datetime(2199, 1, 8, tzinfo=UTC)))
    assert len(week) in (33, 34)
    # The walk starts near the window (fast-forwarded), not in 1950: 249 years of 5-hourly
    # occurrences would be ~437,000 steps; the week and its day of padding are ~45.
    assert sum(w.produced for w in walks) < 100, [w.produced for w in walks]


def test_issue_13_limits_hold_at_their_edges(walks: list[Walk]) -> None:
    assert validate_event(_event(f"FREQ=DAILY;COUNT={MAX_COUNT}", 2026, False)).rrule
    with pytest.raises(ValidationError, match="COUNT"):
        validate_event(_event(f"FREQ=DAILY;COUNT={MAX_COUNT + 1}", 2026, False))
    last_ok = (NOW + MAX_SPAN).strftime("%Y%m%dT%H%M%SZ")
    assert validate_event(_event(f"FREQ=WEEKLY;UNTIL={last_ok}", 2026, False)).rrule
    too_far = (NOW + MAX_SPAN + timedelta(days=1)).strftime("%Y%m%dT%H%M%SZ")
    with pytest.raises(ValidationError, match="10 years"):
        validate_event(_event(f"FREQ=WEEKLY;UNTIL={too_far}", 2026, False))
    # A rule matching nothing is refused quickly (dateutil alone walks to the year 9999).
    walks.clear()
    with pytest.raises(ValidationError, match="no occurrence"):
        validate_event(_event("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", 2026, False))
    # dateutil tests UNTIL only on matching dates, so such a rule walks day by day to 9999: the
    # check walks it near 9999 (the same occurrences, 400-year cycles later), a few centuries.
    assert walks, "the rule was not probed"
    assert all(w.bounded and w.start_year >= 9999 - 400 for w in walks), [
        str(w.rule) for w in walks
    ]
    # Endless series stay allowed, and daily is the finest a session repeats.
    assert validate_event(_event("FREQ=DAILY", 2026, True)).rrule == "FREQ=DAILY"
    with pytest.raises(ValidationError, match="BYHOUR"):
        validate_event(_event("FREQ=DAILY;BYHOUR=9,10", 2026, True))


# --- a bad row already stored is skipped, named, and the rest shown --------------------------

STORED = [
    ("interval-0", "FREQ=DAILY;INTERVAL=0"),
    ("interval-minus-1", "FREQ=WEEKLY;INTERVAL=-1"),
    ("monthly-interval-0", "FREQ=MONTHLY;INTERVAL=0"),
    ("count-1e9", "FREQ=DAILY;COUNT=1000000000"),
    ("hourly-count-1e9", "FREQ=HOURLY;COUNT=1000000000"),
    ("until-100-years", "FREQ=WEEKLY;UNTIL=21261125T000000Z"),
    ("garbage", "FREQ=DAILY;INTERVAL=x;;"),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'practice.db'}"
        return
    admin = request.getfixturevalue("pg_admin")
    db_url = new_database(admin)
    yield db_url
    drop_database(admin, db_url)


def _hand_edit(db: Database, event_id: int, rule: str) -> None:
    """What an older database or ``UPDATE event SET rrule=...`` leaves behind."""
    with writing(), db.session() as s:  # a hand edit: outside the application, on purpose
        s.execute(text("UPDATE event SET rrule = :r WHERE id = :i"), {"r": rule, "i": event_id})


def _practice_with_a_bad_series(url: str, rule: str) -> tuple[Database, Context, int, int]:
    db = open_database(url)
    clock = FixedClock(NOW)
    admin = practice.add_staff(
        Context(db, clock, None), "admin", "Ada Admin", {Role.ADMIN, Role.PRACTITIONER}
    )
    ctx = Context(db, clock, admin)
    good = scheduling.create_event(ctx, _event("FREQ=WEEKLY;COUNT=4", 2026, False, admin.id))
    bad = scheduling.create_event(ctx, _event("FREQ=DAILY;COUNT=5", 2026, False, admin.id))
    assert good.id is not None
    assert bad.id is not None
    _hand_edit(db, bad.id, rule)
    return db, ctx, good.id, bad.id


@pytest.mark.parametrize("rule", [r for _i, r in STORED], ids=[i for i, _r in STORED])
def test_issue_13_stored_bad_rule_is_skipped_by_the_window_query(url: str, rule: str) -> None:
    db, ctx, good, bad = _practice_with_a_bad_series(url, rule)
    try:
        items = reader_window_items(OrmReader(db), *WEEK, ZoneInfo(CHI), Filters())
        assert {i.event.id for i in items} == {good}
        (skipped,) = skipped_of(items)
        assert skipped.event_id == bad
        assert f"sessions-tui events delete {bad}" in skipped.warning()
        assert "\n" not in skipped.warning()
        agenda = scheduling.agenda(ctx, *WEEK, ZoneInfo(CHI))
        assert [i.event.id for i in agenda] == [good]
        assert [s.event_id for s in skipped_of(agenda)] == [bad]
        found = search_events(ctx, "Hostile", ZoneInfo(CHI))
        assert {i.event.id for i in found} == {good}
        assert [s.event_id for s in skipped_of(found)] == [bad]
        ics = export_calendar(ctx, practitioner_id=None).decode()
        assert ics.count("BEGIN:VEVENT") == 1
        assert rule not in ics
    finally:
        db.dispose()


def test_issue_13_stored_bad_rule_is_skipped_by_the_fast_reader(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'practice.db'}"
    db, _ctx, good, bad = _practice_with_a_bad_series(url, "FREQ=MONTHLY;INTERVAL=0")
    db.dispose()
    reader = open_fast(url)
    assert reader is not None
    try:
        items = reader_window_items(reader, *WEEK, ZoneInfo(CHI), Filters())
    finally:
        reader.close()
    assert [i.event.id for i in items] == [good] * len(items)
    assert items
    assert [s.event_id for s in skipped_of(items)] == [bad]


def test_issue_13_stored_year_9999_series_does_not_break_the_export(admin_ctx: Context) -> None:
    assert admin_ctx.actor is not None
    pid = admin_ctx.actor.id
    good = scheduling.create_event(admin_ctx, _event("FREQ=WEEKLY;COUNT=4", 2026, False, pid))
    bad = scheduling.create_event(admin_ctx, _event("FREQ=DAILY;COUNT=5", 2026, False, pid))
    with writing(), admin_ctx.db.session() as s:  # a hand edit: outside the application
        row = s.get(EventRow, bad.id)
        assert row is not None
        row.start_utc = datetime(9999, 1, 1, tzinfo=UTC)
        row.end_utc = datetime(9999, 1, 1, 1, tzinfo=UTC)
        row.series_end_utc = datetime(9999, 12, 31, tzinfo=UTC)
    ics = export_calendar(admin_ctx, practitioner_id=pid).decode()
    assert ics.count("BEGIN:VEVENT") == 1
    assert good.uid is not None
    assert "9999" not in ics


def test_issue_13_expansion_problem_names_the_rule_and_is_none_for_good_rows() -> None:
    good = validate_event(_event("FREQ=WEEKLY;COUNT=4", 2026, False))
    assert expansion_problem(good) is None
    assert expansion_problem(good.with_changes(rrule="FREQ=DAILY;INTERVAL=0")) == (
        "INTERVAL=0 is out of range: INTERVAL must be 1 to 1000"
    )
    with pytest.raises(ValidationError, match="INTERVAL=0"):
        list(occurrences(good.with_changes(rrule="FREQ=MONTHLY;INTERVAL=0"), *WEEK))


def test_a_stored_count_past_ten_years_is_refused_on_write_but_still_shown() -> None:
    """The ten-year limit on COUNT is a rule for what may be written; a reader checks only what
    keeps a window's expansion bounded, so an older row with a long COUNT is shown, not
    skipped (and the reader's check does not walk its COUNT occurrences on every read)."""
    long_count = _event("FREQ=WEEKLY;COUNT=1000", 2026, False)
    with pytest.raises(ValidationError, match="COUNT=1000 runs more than 10 years"):
        validate_event(long_count)
    stored = validate_event(_event("FREQ=WEEKLY;COUNT=4", 2026, False)).with_changes(
        rrule="FREQ=WEEKLY;COUNT=1000"
    )
    assert expansion_problem(stored) is None
    later = (WEEK[0] + timedelta(weeks=52 * 12), WEEK[1] + timedelta(weeks=52 * 12))
    assert len(list(occurrences(stored, *later))) == 1


def test_issue_13_agenda_warns_on_stderr_and_prints_the_rest(
    demo_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str], now_env: str
) -> None:
    bad = _series_ids(demo_db)[0]
    _hand_edit(demo_db, bad, "FREQ=DAILY;INTERVAL=0")
    args = ["agenda", "--from", "2026-11-23", "--days", "7", "--db", str(tmp_path / "demo.db")]
    for fast in (True, False):
        env = {} if fast else {"SESSIONS_TUI_NO_FAST_READ": "1"}
        with pytest.MonkeyPatch.context() as mp:
            for k, v in env.items():
                mp.setenv(k, v)
            result = cli(capsys, *args, "--user", "alice", "--format", "json")
        assert result.code == 0, result.err
        assert result.err_lines == [
            f"sessions-tui: warning: event {bad} skipped: INTERVAL=0 is out of range: "
            f"INTERVAL must be 1 to 1000 (remove it with: sessions-tui events delete {bad})"
        ]
        shown = json.loads(result.out)
        assert shown
        assert bad not in {o["id"] for o in shown}


def _series_ids(db: Database) -> list[int]:
    with db.session() as s:
        found = s.execute(
            select(col(EventRow.id)).where(col(EventRow.is_series)).order_by(col(EventRow.id))
        ).scalars()
        return [int(i) for i in found if i is not None]


def test_issue_13_the_stored_one_is_skipped_but_all_day_and_dates_still_read(
    admin_ctx: Context,
) -> None:
    """An all-day series with a hand-broken rule: skipped like a timed one."""
    ev = scheduling.create_event(
        admin_ctx,
        Event(
            kind=EventKind.OTHER,
            title="Away",
            start=date(2026, 11, 23),
            end=date(2026, 11, 24),
            all_day=True,
            tzid="UTC",
            rrule="FREQ=DAILY;COUNT=3",
        ),
    )
    assert ev.id is not None
    _hand_edit(admin_ctx.db, ev.id, "FREQ=DAILY;INTERVAL=-1")
    items = scheduling.agenda(admin_ctx, *WEEK, ZoneInfo(CHI))
    assert list(items) == []
    assert [s.event_id for s in skipped_of(items)] == [ev.id]


@pytest.mark.parametrize(
    ("rule", "year", "names"),
    [(h[1], h[2], h[4]) for h in IMPORTABLE],
    ids=[h[0] for h in IMPORTABLE],
)
def test_issue_13_hostile_rule_refused_from_a_google_pull(rule: str, year: int, names: str) -> None:
    """Each pulled item becomes a local event through the domain rules (the engine logs and
    skips an item that is refused, and goes on with the others)."""
    from sessions_tui.sync.google import event_from_item

    item = {
        "id": "hostile",
        "summary": "x",
        "start": {"dateTime": f"{year}-11-25T16:00:00Z"},
        "end": {"dateTime": f"{year}-11-25T17:00:00Z"},
        "recurrence": [f"RRULE:{rule}"],
    }
    with pytest.raises(ValidationError, match=names.replace("+", r"\+")):
        event_from_item(item, calendar_id="c", practitioner_id=1, default_tz=CHI)


@pytest.mark.parametrize(
    "breakage", ["FREQ=DAILY;INTERVAL=0", "FREQ=DAILY;COUNT=1000000000", "year-9999"]
)
def test_issue_13_feed_answers_200_without_the_stored_bad_event(
    demo_db: Database, demo_ctx: Context, clock: FixedClock, breakage: str
) -> None:
    import threading
    import urllib.request

    from sessions_tui.services import feeds
    from sessions_tui.sync.feed import make_server

    ben = practice.find_practitioner(demo_ctx, "ben")
    with writing(), demo_db.session() as s:  # a hand edit: outside the application
        row = (
            s.execute(
                select(EventRow).where(
                    col(EventRow.is_series), col(EventRow.practitioner_id) == ben.id
                )
            )
            .scalars()
            .first()
        )
        assert row is not None
        bad_uid = row.uid
        if breakage == "year-9999":
            row.start_utc = datetime(9999, 1, 1, tzinfo=UTC)
            row.end_utc = datetime(9999, 1, 1, 1, tzinfo=UTC)
            row.series_end_utc = datetime(9999, 12, 31, tzinfo=UTC)
        else:
            row.rrule = breakage
    srv = make_server(demo_db, clock, "127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = srv.server_address[:2]
        url = feeds.ensure_feed(demo_ctx, ben.id).url(f"http://{host!s}:{port}")
        assert url is not None
        with urllib.request.urlopen(url, timeout=30) as resp:
            assert resp.status == 200
            body = resp.read().decode()
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(5)
    assert body.count("BEGIN:VEVENT") > 5, "the other events are in the feed"
    # The series itself is left out (its overrides are events of their own and stay).
    assert ":9999" not in body
    assert f"RRULE:{breakage}" not in body
    assert bad_uid


@st.composite
def _bounded_rules(draw: st.DrawFn) -> tuple[Event, str]:
    tzid = draw(st.sampled_from(["UTC", CHI, "Europe/London", "Asia/Kolkata"]))
    tz = ZoneInfo(tzid)
    wall = datetime.combine(
        draw(st.dates(date(2000, 1, 1), date(2030, 12, 31))),
        datetime.min.time().replace(
            hour=draw(st.integers(0, 23)), minute=draw(st.sampled_from([0, 30]))
        ),
    )
    assume(not is_nonexistent(wall, tz) and not is_ambiguous(wall, tz))
    freq = draw(st.sampled_from(["HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"]))
    parts = [f"FREQ={freq}"]
    if draw(st.booleans()):
        parts.append(f"INTERVAL={draw(st.integers(1, 30))}")
    if freq in ("WEEKLY", "DAILY") and draw(st.booleans()):
        days = draw(
            st.lists(
                st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]),
                min_size=1,
                max_size=3,
                unique=True,
            )
        )
        parts.append("BYDAY=" + ",".join(days))
    if freq == "MONTHLY" and draw(st.booleans()):
        parts.append(f"BYMONTHDAY={draw(st.sampled_from(['1', '15', '31', '-1']))}")
    if draw(st.booleans()):
        parts.append(f"COUNT={draw(st.integers(1, MAX_COUNT))}")
    elif draw(st.booleans()):
        until = wall.replace(tzinfo=tz).astimezone(UTC) + timedelta(days=draw(st.integers(0, 3000)))
        parts.append(f"UNTIL={until:%Y%m%dT%H%M%SZ}")
    start = wall.replace(tzinfo=tz)
    event = Event(
        kind=EventKind.OTHER,
        title="p",
        start=start,
        end=start + timedelta(minutes=50),
        tzid=tzid,
        rrule=";".join(parts),
    )
    return event, tzid


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_bounded_rules(), st.integers(0, 4000), st.sampled_from([1, 7, 35]))
def test_issue_13_bounded_expansion_agrees_with_brute_force(
    found: tuple[Event, str], offset_days: int, window_days: int
) -> None:
    """Every accepted rule: series_end bounds the series (exactly, for COUNT), and a window's
    occurrences (fast-forwarded, HOURLY included) are the brute-force dateutil ones."""
    raw, tzid = found
    try:
        event = validate_event(raw)
    except ValidationError:
        assume(False)
        return
    assert event.rrule is not None
    tz = ZoneInfo(tzid)
    wall0 = raw.start.astimezone(tz).replace(tzinfo=None)  # type: ignore[union-attr]
    body = _local_until(event.rrule, tz) if "UNTIL" in event.rrule else event.rrule
    walls = rrulestr(body, dtstart=wall0)
    horizon = wall0 + MAX_SPAN + timedelta(days=60)
    bounded = "COUNT" in event.rrule or "UNTIL" in event.rrule
    starts = [w.replace(tzinfo=tz).astimezone(UTC) for w in walls.between(wall0, horizon, inc=True)]
    end = series_end(event)
    if bounded:
        assert end is not None
        last_end = max(starts) + event.duration
        assert last_end <= end
        if "COUNT" in event.rrule:
            assert end == last_end
    assert isinstance(event.start, datetime)
    lo = event.start + timedelta(days=offset_days)
    hi = lo + timedelta(days=window_days)
    got = [o.start for o in occurrences(event, lo, hi)]
    expected = [
        s
        for w in walls.between(
            (lo - event.duration).astimezone(tz).replace(tzinfo=None) - timedelta(days=2),
            hi.astimezone(tz).replace(tzinfo=None) + timedelta(days=2),
            inc=True,
        )
        if (s := w.replace(tzinfo=tz).astimezone(UTC)) < hi and s + event.duration > lo
    ]
    assert got == expected


def _local_until(rule: str, tz: ZoneInfo) -> str:
    """The rule with its UTC UNTIL as wall-clock time in ``tz`` (as dateutil wants it)."""
    head, _, tail = rule.partition("UNTIL=")
    value, _, rest = tail.partition(";")
    local = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).astimezone(tz)
    return head + f"UNTIL={local:%Y%m%dT%H%M%S}" + (";" + rest if rest else "")
