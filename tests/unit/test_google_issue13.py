"""Issue 13 (one write path), the Google parts: nothing of Google's left behind or deleted by
mistake, sides that converge, read-only calendars, events every practitioner sees, and one
mapping of external events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sessions_tui.clock import FixedClock
from sessions_tui.domain.model import Role
from sessions_tui.services import appointments, google_settings, practice
from sessions_tui.services.appointments import OccurrenceRef, Scope
from sessions_tui.services.context import Context
from sessions_tui.store.db import open_database
from sessions_tui.sync.google import pending_changes

from .google_harness import CAL, CHI, T0, Practice, emu_fixture, pr_fixture  # noqa: F401

TEAM = "team@group.calendar.google.com"
NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


@pytest.fixture(name="bpr", params=["sqlite", "postgresql"])
def both_backends_practice(
    request: pytest.FixtureRequest, tmp_path: Path, emu: object
) -> Iterator[Practice]:
    """The Google practice of the harness, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'practice.db'}"
        drop = None
    else:
        from pg_support import drop_database, new_database

        admin_url = request.getfixturevalue("pg_admin")
        url = new_database(admin_url)
        drop = (admin_url, url)
    db = open_database(url)
    try:
        clock = FixedClock(NOW)
        admin = practice.add_staff(
            Context(db, clock, None), "admin", "Ada Admin", {Role.ADMIN, Role.PRACTITIONER}
        )
        yield Practice(Context(db, clock, admin), emu)  # type: ignore[arg-type]
    finally:
        db.dispose()
        if drop is not None:
            drop_database(*drop)


def _google_series(pr: Practice, cal: str, summary: str) -> dict:
    return pr.emu.state.create(
        cal,
        summary=summary,
        recurrence=["RRULE:FREQ=DAILY;COUNT=10"],
        start={"dateTime": "2026-11-30T08:00:00-06:00", "timeZone": "America/Chicago"},
        end={"dateTime": "2026-11-30T08:30:00-06:00", "timeZone": "America/Chicago"},
    )


def _fork(pr: Practice, title: str, day: int = 5) -> None:
    """Edit "this and following" of the local copy of ``title`` from Dec ``day`` on."""
    master = next(e for e in pr.local_events() if e.title == title and e.rrule)
    at = datetime(2026, 12, day, 8, 0, tzinfo=CHI)
    appointments.edit(
        pr.ctx,
        OccurrenceRef(master.id, at.astimezone(UTC)),  # type: ignore[arg-type]
        Scope.FOLLOWING,
        start=at + timedelta(hours=1),
        end=at + timedelta(hours=1, minutes=30),
    )


def test_issue_13_one_way_switch_leaves_no_forked_secondary_series(bpr: Practice) -> None:
    pr = bpr
    pr.emu.state.add_calendar(TEAM, "Team")
    _google_series(pr, TEAM, "Huddle")
    _google_series(pr, CAL, "Yoga")
    mine = pr.session()
    google_settings.select_calendar(pr.ctx, pr.pat.id, TEAM, True, summary="Team")
    pr.sync()
    _fork(pr, "Huddle")
    _fork(pr, "Yoga")
    forked = pr.sync()
    assert forked.errors == 0
    assert len([e for e in pr.remote(TEAM) if e.get("recurrence")]) == 2
    _settings, removed = google_settings.set_mode(pr.ctx, pr.pat.id, "one-way")
    assert removed == 4
    # Nothing of Google's stays here: only the practitioner's own session.
    assert [e.id for e in pr.local_events()] == [mine.id]
    # ...and nothing of theirs is deleted from Google by the next (one-way) sync.
    after = pr.sync()
    assert (after.deleted, after.errors) == (0, 0)
    assert len([e for e in pr.remote(TEAM) if e.get("recurrence")]) == 2
    assert len([e for e in pr.remote(CAL) if e.get("recurrence")]) == 2
    assert pending_changes(pr.engine()).total == 0


def test_issue_13_remove_events_keeps_the_fork_of_the_users_own_series(pr: Practice) -> None:
    _google_series(pr, CAL, "Yoga")  # the user's own series, made in Google
    ours = pr.session()
    pr.other("Our series", start=T0 + timedelta(hours=3), rrule="FREQ=DAILY;COUNT=10")
    pr.sync()
    _fork(pr, "Yoga")
    master = next(e for e in pr.local_events() if e.title == "Our series")
    at = (T0 + timedelta(hours=3, days=4)).astimezone(UTC)
    appointments.edit(
        pr.ctx,
        OccurrenceRef(master.id, at),  # type: ignore[arg-type]
        Scope.FOLLOWING,
        title="Our series, later",
    )
    assert pr.sync().errors == 0
    assert len(pr.remote()) == 5
    removed = pr.engine().remove_created_events()
    assert removed == 3  # the session and both parts of our own series
    left = pr.remote()
    assert sorted(e["summary"] for e in left) == ["Yoga", "Yoga"]
    assert all(e.get("recurrence") for e in left)
    assert ours.uid not in str(left)  # type: ignore[operator]


# --- a client session made all-day in Google --------------------------------------------------


def _all_day(day: str, end: str) -> dict:
    return {"start": {"date": day}, "end": {"date": end}}


def test_issue_13_session_made_all_day_in_google_is_pushed_back(pr: Practice) -> None:
    s1 = pr.session()
    series = pr.session(pr.bob, start=T0 + timedelta(hours=3), rrule="FREQ=WEEKLY;COUNT=4")
    pr.sync()
    gid = pr.remote_by_uid(s1.uid)["id"]  # type: ignore[arg-type]
    pr.emu.state.edit(CAL, gid, **_all_day("2026-11-30", "2026-12-01"))
    master = pr.remote_by_uid(series.uid)  # type: ignore[arg-type]
    second = f"{master['id']}_20261207T190000Z"
    pr.emu.state.edit(CAL, second, **_all_day("2026-12-07", "2026-12-08"))
    report = pr.sync()
    assert report.conflicts == 2
    assert report.errors == 0
    assert report.pushed == 2
    assert any("cannot be all-day" in m and "pushed back" in m for m in report.messages)
    # The sides agree again: Google has the sessions' own times back.
    back = pr.emu.state.get(CAL, gid)
    assert datetime.fromisoformat(back["start"]["dateTime"]) == T0
    inst = pr.emu.state.get(CAL, second)
    assert datetime.fromisoformat(inst["start"]["dateTime"]) == T0 + timedelta(hours=3, weeks=1)
    local = {e.id: e for e in pr.local_events()}
    assert not local[s1.id].all_day  # type: ignore[index]
    assert local[s1.id].start == T0  # type: ignore[index]
    assert all(e.is_session and not e.all_day for e in local.values())
    assert pending_changes(pr.engine()).total == 0
    quiet = pr.sync()
    assert (quiet.pushed, quiet.pulled, quiet.conflicts, quiet.errors) == (0, 0, 0, 0)


# --- one mapping of external events -----------------------------------------------------------

_SAME_FACTS = [
    pytest.param(
        [
            "DTSTART;TZID=America/New_York:20261201T090000",
            "DTEND;TZID=America/New_York:20261201T100000",
            "SUMMARY:   ",
            "TRANSP:TRANSPARENT",
        ],
        {
            "start": {"dateTime": "2026-12-01T09:00:00-05:00", "timeZone": "America/New_York"},
            "end": {"dateTime": "2026-12-01T10:00:00-05:00", "timeZone": "America/New_York"},
            "summary": "   ",
            "transparency": "transparent",
        },
        id="blank-title-free",
    ),
    pytest.param(
        ["DTSTART:20261201T150000Z", "DTEND:20261201T150000Z", "SUMMARY:Reminder"],
        {
            "start": {"dateTime": "2026-12-01T15:00:00Z"},
            "end": {"dateTime": "2026-12-01T15:00:00Z"},
            "summary": "Reminder",
        },
        id="zero-length-utc-one-off",
    ),
    pytest.param(
        ["DTSTART;VALUE=DATE:20261224", "DTEND;VALUE=DATE:20261226", "SUMMARY:Holidays"],
        {"start": {"date": "2026-12-24"}, "end": {"date": "2026-12-26"}, "summary": "Holidays"},
        id="all-day",
    ),
    pytest.param(
        [
            "DTSTART;TZID=Europe/Berlin:20261130T180000",
            "DTEND;TZID=Europe/Berlin:20261130T190000",
            "SUMMARY:Yoga\\nclass",
            "RRULE:FREQ=WEEKLY;COUNT=6",
            "EXDATE;TZID=Europe/Berlin:20261207T180000",
            "EXDATE;VALUE=DATE:20261214",
        ],
        {
            "start": {"dateTime": "2026-11-30T18:00:00+01:00", "timeZone": "Europe/Berlin"},
            "end": {"dateTime": "2026-11-30T19:00:00+01:00", "timeZone": "Europe/Berlin"},
            "summary": "Yoga\nclass",
            "recurrence": [
                "RRULE:FREQ=WEEKLY;COUNT=6",
                "EXDATE;TZID=Europe/Berlin:20261207T180000",
                "EXDATE;VALUE=DATE:20261214",
            ],
        },
        id="series-with-exdates",
    ),
]


@pytest.mark.parametrize(("ics_lines", "item"), _SAME_FACTS)
def test_issue_13_ics_and_google_map_the_same_facts_to_the_same_event(
    ics_lines: list[str], item: dict
) -> None:
    from sessions_tui.store.queries import recurrence_key
    from sessions_tui.sync.google import event_from_item
    from sessions_tui.sync.ics import parse_calendar

    text = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//t//t//EN",
            "BEGIN:VEVENT",
            "UID:u1",
            "DTSTAMP:20261101T000000Z",
            *ics_lines,
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )
    items, _label = parse_calendar(
        text, name="t.ics", practitioner_id=7, floating_tz="America/Chicago", label="cal"
    )
    from_ics = items[0]
    from_google = event_from_item(
        dict(item, id="g1"), calendar_id="cal", practitioner_id=7, default_tz="America/Chicago"
    )
    assert {recurrence_key(x) for x in from_google.exdates} == from_ics.exdate_keys
    assert from_ics.event == from_google.with_changes(exdates=frozenset())
    assert from_google.title.strip()
    assert "\n" not in from_google.title


# --- imported and practice-wide events reach the practitioner's Google calendar ----------------

KIM_CAL = "kim@example.com"
_ICS = "\r\n".join(
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//t//t//EN",
        "X-WR-CALNAME:Conferences",
        "BEGIN:VEVENT",
        "UID:conf-1",
        "DTSTAMP:20261101T000000Z",
        "DTSTART;TZID=America/Chicago:20261202T090000",
        "DTEND;TZID=America/Chicago:20261202T170000",
        "SUMMARY:Trauma conference",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
)


def _practice_wide(pr: Practice, title: str, start: datetime, **kw: object) -> int:
    from sessions_tui.domain.events import Event, EventKind

    ev = Event(
        kind=EventKind.OTHER,
        title=title,
        start=start.astimezone(UTC),
        end=(start + timedelta(hours=1)).astimezone(UTC),
        tzid="America/Chicago",
        practitioner_id=None,
        **kw,  # type: ignore[arg-type]
    )
    made = appointments.create(pr.ctx, ev)
    assert made.result_id is not None
    return made.result_id


def test_issue_13_imported_and_practice_wide_events_are_pushed(pr: Practice) -> None:
    from sessions_tui.services import scheduling
    from sessions_tui.sync.ics import import_calendar

    kim = practice.add_staff(pr.ctx, "kim", "Kim Practitioner", {Role.PRACTITIONER})
    pr.emu.state.add_calendar(KIM_CAL, "Kim's calendar")
    google_settings.connect(pr.ctx, kim.id, KIM_CAL)
    import_calendar(pr.ctx, _ICS, practitioner_id=pr.pat.id, name="conf.ics")
    staff = _practice_wide(pr, "Staff meeting", T0 + timedelta(days=1))
    _practice_wide(pr, "Huddle", T0 + timedelta(hours=-2), rrule="FREQ=DAILY;COUNT=5")
    pr.session()
    # google status counts them as pending...
    assert pending_changes(pr.engine()).to_push == 4
    first = pr.sync()
    assert (first.pushed, first.errors) == (4, 0)
    assert pending_changes(pr.engine()).total == 0
    # ...and they reach Pat's calendar, and (practice-wide only) Kim's.
    assert sorted(e["summary"] for e in pr.remote()) == [
        "Huddle",
        "J.D.",
        "Staff meeting",
        "Trauma conference",
    ]
    from sessions_tui.sync.google import SyncEngine, build_service

    kim_engine = SyncEngine(
        pr.db,
        pr.ctx.clock,
        kim.id,
        build_service(pr.emu.endpoint),
        api_root=pr.emu.endpoint,
        sleep=lambda _s: None,
    )
    assert pending_changes(kim_engine).to_push == 2
    assert kim_engine.run().pushed == 2
    assert sorted(e["summary"] for e in pr.remote(KIM_CAL)) == ["Huddle", "Staff meeting"]
    # A practice-wide event is the practice's: moved or deleted in one practitioner's Google,
    # it is pushed back there and stays as it is for everyone.
    st = pr.emu.state
    pat_copy = next(e for e in pr.remote() if e["summary"] == "Staff meeting")
    st.edit(CAL, pat_copy["id"], summary="Moved by Pat")
    huddle = next(e for e in pr.remote() if e["summary"] == "Huddle")
    st.remove(CAL, f"{huddle['id']}_20261201T140000Z")
    report = pr.sync()
    assert report.errors == 0
    assert report.conflicts == 2
    assert any("practice-wide" in m for m in report.messages)
    assert scheduling.get_event(pr.ctx, staff).title == "Staff meeting"
    assert st.get(CAL, pat_copy["id"])["summary"] == "Staff meeting"
    assert st.get(CAL, f"{huddle['id']}_20261201T140000Z")["status"] == "confirmed"
    assert not any(e.exdates for e in pr.local_events())
    assert not any(e.series_id for e in pr.local_events())  # no override made here either
    st.remove(CAL, pat_copy["id"])
    st.remove(CAL, f"{huddle['id']}_20261201T140000Z")  # again
    assert pr.sync().conflicts == 2
    assert st.get(CAL, pat_copy["id"])["status"] == "confirmed"
    assert st.get(CAL, f"{huddle['id']}_20261201T140000Z")["status"] == "confirmed"
    assert not any(e.exdates for e in pr.local_events())
    quiet = pr.sync()
    assert (quiet.pushed, quiet.pulled, quiet.deleted, quiet.conflicts) == (0, 0, 0, 0)
    assert kim_engine.run().pushed == 0  # nothing changed for Kim
    kim_live = pr.remote(KIM_CAL)
    assert {e["summary"] for e in kim_live} == {"Huddle", "Staff meeting"}
    assert all(e["summary"] == "Huddle" for e in kim_live if e.get("recurringEventId"))


# --- read-only calendars -------------------------------------------------------------------------

SHARED = "holidays@group.calendar.google.com"


def _shared_calendar(pr: Practice) -> dict:
    pr.emu.state.add_calendar(SHARED, "Clinic holidays", access_role="reader")
    _google_series(pr, SHARED, "Closed early")
    one = pr.emu.state.create(
        SHARED,
        summary="Inspection",
        start={"dateTime": "2026-12-03T09:00:00-06:00", "timeZone": "America/Chicago"},
        end={"dateTime": "2026-12-03T10:00:00-06:00", "timeZone": "America/Chicago"},
    )
    google_settings.select_calendar(pr.ctx, pr.pat.id, SHARED, True, summary="Clinic holidays")
    return one


def _set_role(pr: Practice, role: str | None) -> None:
    from sqlalchemy import update

    from sessions_tui.store.tables import SyncCalendarRow

    with pr.db.session() as s:
        s.execute(
            update(SyncCalendarRow)
            .where(SyncCalendarRow.calendar == SHARED)
            .values(access_role=role)
        )


def _writes(pr: Practice) -> int:
    ops = pr.emu.state.ops_by_method
    return sum(ops[f"events.{m}"] for m in ("insert", "patch", "update", "delete"))


def test_issue_13_events_of_a_read_only_calendar_are_not_edited_here(pr: Practice) -> None:
    from sessions_tui.domain.errors import PermissionDenied

    _shared_calendar(pr)
    assert pr.sync().pulled == 2
    shared = {e.title: e for e in pr.local_events() if e.source_calendar == SHARED}
    with pytest.raises(PermissionDenied, match="'Clinic holidays', which is shared read-only"):
        appointments.edit(pr.ctx, OccurrenceRef(shared["Inspection"].id), title="Mine now")  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied, match="read-only"):
        appointments.remove(pr.ctx, OccurrenceRef(shared["Inspection"].id))  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied, match="read-only"):
        _fork(pr, "Closed early")
    assert pending_changes(pr.engine()).total == 0


def test_issue_13_read_only_changes_made_anyway_are_undone_without_403s(bpr: Practice) -> None:
    pr = bpr
    _shared_calendar(pr)
    pr.sync()
    # An older database (the role not known yet): local changes got in.
    _set_role(pr, None)
    shared = {e.title: e for e in pr.local_events() if e.source_calendar == SHARED}
    appointments.edit(pr.ctx, OccurrenceRef(shared["Inspection"].id), title="Mine now")  # type: ignore[arg-type]
    _fork(pr, "Closed early")
    series = next(e for e in pr.local_events() if e.title == "Closed early" and e.rrule)
    at = datetime(2026, 12, 2, 8, 0, tzinfo=CHI).astimezone(UTC)
    appointments.remove(pr.ctx, OccurrenceRef(series.id, at), Scope.THIS)  # type: ignore[arg-type]
    writes = _writes(pr)
    report = pr.sync()
    assert report.errors == 0
    assert _writes(pr) == writes  # nothing sent to the read-only calendar
    assert any("read-only" in m for m in report.messages)
    assert pending_changes(pr.engine()).total == 0
    # Google's version is back: one whole series and the inspection with its title.
    again = [e for e in pr.local_events() if e.source_calendar == SHARED]
    assert sorted(e.title for e in again) == ["Closed early", "Inspection"]
    closed = next(e for e in again if e.rrule)
    assert closed.rrule == "FREQ=DAILY;COUNT=10"
    assert not closed.exdates
    quiet = pr.sync()
    assert (quiet.pushed, quiet.pulled, quiet.deleted, quiet.errors) == (0, 0, 0, 0)
    assert _writes(pr) == writes


def test_issue_13_a_403_on_write_is_learned_once_then_restored(pr: Practice) -> None:
    _shared_calendar(pr)
    pr.sync()
    _set_role(pr, "owner")  # wrong (shared read-only later): the write meets a 403
    inspection = next(e for e in pr.local_events() if e.title == "Inspection")
    appointments.edit(pr.ctx, OccurrenceRef(inspection.id), title="Mine now")  # type: ignore[arg-type]
    first = pr.sync()
    assert first.errors == 0
    assert any("read-only" in m for m in first.messages)
    assert pending_changes(pr.engine()).total == 0
    writes = _writes(pr)
    second = pr.sync()
    assert second.errors == 0
    assert _writes(pr) == writes
    assert [e.title for e in pr.local_events() if e.source_calendar == SHARED and not e.rrule] == [
        "Inspection"
    ]


def test_issue_13_google_status_names_read_only_and_pending(
    pr: Practice, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ._cli import cli

    monkeypatch.setenv("SESSIONS_TUI_GOOGLE_ENDPOINT", pr.emu.endpoint)
    monkeypatch.setenv("SESSIONS_TUI_NOW", "2026-11-25T16:00:00+00:00")
    _shared_calendar(pr)
    _practice_wide(pr, "Staff meeting", T0 + timedelta(days=1))
    db = pr.db.url.removeprefix("sqlite:///")
    base = ("--db", db, "--user", "admin")
    before = cli(capsys, "google", "status", "--practitioner", "pat", *base)
    assert before.code == 0, before.err
    assert "pending changes: 1 (1 to push, 0 to delete)" in before.out
    synced = cli(capsys, "google", "sync", "--practitioner", "pat", *base)
    assert synced.code == 0, synced.err
    assert "pushed 1, pulled 2" in synced.out
    after = cli(capsys, "google", "status", "--practitioner", "pat", *base)
    assert f"secondary: {SHARED} (read-only)" in after.out
    assert "pending changes: 0 " in after.out
