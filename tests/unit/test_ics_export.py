"""ICS export: valid RFC 5545 that real consumers read back as our own window query."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessions_tui.domain.errors import PermissionDenied, ValidationError
from sessions_tui.domain.events import Event, EventKind, Status
from sessions_tui.domain.model import Role
from sessions_tui.services import practice, scheduling
from sessions_tui.services.context import Context, make_context
from sessions_tui.services.feeds import IdentifierMode
from sessions_tui.store.db import Database
from sessions_tui.store.queries import recurrence_key
from sessions_tui.store.tables import ExdateRow
from sessions_tui.store.write_guard import writing
from sessions_tui.sync.ics import export_calendar

from ._helpers import edit_event

UTCZ = ZoneInfo("UTC")


def _norm(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    assert isinstance(value, date)
    return value.isoformat()


def consumer_occurrences(data: bytes, start: datetime, end: datetime) -> Counter[tuple[str, str]]:
    """What recurring-ical-events (a real consumer) expands from the file in the window."""
    cal = icalendar.Calendar.from_ical(data)
    got = recurring_ical_events.of(cal).between(start, end)
    return Counter((_norm(e.start), _norm(e.end)) for e in got)


def our_occurrences(
    ctx: Context, start: datetime, end: datetime, practitioner_id: int | None
) -> Counter[tuple[str, str]]:
    occ = scheduling.occurrences_in(
        ctx,
        start,
        end,
        UTCZ,
        practitioner_ids=[practitioner_id] if practitioner_id is not None else None,
    )
    return Counter((_norm(o.start), _norm(o.end)) for o in occ)


def _events(data: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(data).walk("VEVENT"))


# --- structure --------------------------------------------------------------------------------


def test_export_parses_and_every_zone_has_a_vtimezone(demo_ctx: Context) -> None:
    data = export_calendar(demo_ctx, practitioner_id=None)
    cal = icalendar.Calendar.from_ical(data)
    assert cal.get_missing_tzids() == set()
    assert {tz.tz_name for tz in cal.timezones} == {"America/Chicago"}
    assert str(cal["X-WR-CALNAME"]) == "Riverside Therapy Collective"
    assert str(cal["NAME"]) == "Riverside Therapy Collective"
    assert str(cal["PRODID"]).startswith("-//sessions-tui")
    events = _events(data)
    # (overrides equal to their occurrence are not written: issue 26)
    assert len(events) == data.count(b"BEGIN:VEVENT") > 40
    for ev in events:
        assert ev["DTSTAMP"].dt == datetime(2026, 11, 25, 16, tzinfo=UTC)
        assert "UID" in ev
        assert "SEQUENCE" in ev


def test_uids_are_stable_and_unique_per_occurrence(demo_ctx: Context) -> None:
    first = export_calendar(demo_ctx, practitioner_id=None)
    second = export_calendar(demo_ctx, practitioner_id=None)
    assert first == second
    keys = [
        (str(e["UID"]), e.get("RECURRENCE-ID").to_ical() if "RECURRENCE-ID" in e else b"")
        for e in _events(first)
    ]
    assert len(keys) == len(set(keys))


def test_overrides_carry_the_series_uid_and_a_recurrence_id(demo_ctx: Context) -> None:
    events = _events(export_calendar(demo_ctx, practitioner_id=None))
    masters = {str(e["UID"]) for e in events if "RRULE" in e}
    overrides = [e for e in events if "RECURRENCE-ID" in e]
    assert overrides
    for ev in overrides:
        assert "#" not in str(ev["UID"])
        assert str(ev["UID"]) in masters
        assert ev["RECURRENCE-ID"].params.get("TZID") == "America/Chicago"


def test_sequence_grows_when_an_event_changes(demo_ctx: Context) -> None:
    alice = practice.find_practitioner(demo_ctx, "alice")
    items = scheduling.agenda(
        demo_ctx,
        datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
        UTCZ,
        practitioner_ids=[alice.id],
    )
    one_off = next(
        i.event
        for i in items
        if i.event.rrule is None and i.event.series_id is None and i.event.is_session
    )
    before = {
        str(e["UID"]): int(e["SEQUENCE"])
        for e in _events(export_calendar(demo_ctx, practitioner_id=alice.id))
    }
    edit_event(
        demo_ctx,
        one_off.id or 0,
        start=one_off.start + timedelta(hours=1),  # type: ignore[operator]
        end=one_off.end + timedelta(hours=1),
    )  # type: ignore[operator]
    after = {
        str(e["UID"]): int(e["SEQUENCE"])
        for e in _events(export_calendar(demo_ctx, practitioner_id=alice.id))
    }
    assert one_off.uid is not None
    assert after[one_off.uid] == before[one_off.uid] + 1
    assert {k: v for k, v in after.items() if k != one_off.uid} == {
        k: v for k, v in before.items() if k != one_off.uid
    }


def test_cancelled_free_and_all_day_properties(admin_ctx: Context) -> None:
    client = practice.add_client(admin_ctx, "Wren", "Halvorsen")
    me = admin_ctx.require_actor()
    tz = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 12, 1, 9, tzinfo=tz)
    scheduling.create_event(
        admin_ctx,
        scheduling.session_event(
            practitioner=me,
            client=client,
            start=start,
            minutes=50,
            tzid="Europe/Berlin",
            status=Status.CANCELLED,
        ),
        uid="cancelled@test",
    )
    scheduling.create_event(
        admin_ctx,
        scheduling.all_day_event(
            "Holiday",
            date(2026, 12, 24),
            3,
            practitioner_id=me.id,
            busy=False,
            tzid="Europe/Berlin",
        ),
        uid="free@test",
    )
    data = export_calendar(admin_ctx, practitioner_id=me.id)
    by_uid = {str(e["UID"]): e for e in _events(data)}
    assert by_uid["cancelled@test"]["STATUS"] == "CANCELLED"
    assert by_uid["cancelled@test"]["TRANSP"] == "OPAQUE"
    assert by_uid["cancelled@test"]["SUMMARY"] == "W.H."
    assert by_uid["free@test"]["TRANSP"] == "TRANSPARENT"
    assert b"DTSTART;VALUE=DATE:20261224" in data
    assert b"DTEND;VALUE=DATE:20261227" in data
    assert b"DTSTART;TZID=Europe/Berlin:20261201T090000" in data


def test_deleted_occurrence_becomes_exdate(admin_ctx: Context) -> None:
    me = admin_ctx.require_actor()
    tz = ZoneInfo("America/New_York")
    start = datetime(2026, 10, 26, 10, tzinfo=tz)  # series crosses the November DST change
    series = scheduling.create_event(
        admin_ctx,
        Event(
            kind=EventKind.OTHER,
            title="Group",
            start=start,
            end=start + timedelta(hours=1),
            tzid="America/New_York",
            practitioner_id=me.id,
            rrule="FREQ=WEEKLY;COUNT=6",
        ),
        uid="group@test",
    )
    gone = (start + timedelta(weeks=2)).astimezone(UTC)
    with writing(), admin_ctx.db.session() as s:  # a deleted occurrence, planted
        s.add(ExdateRow(series_id=series.id or 0, recurrence_key=recurrence_key(gone)))
    data = export_calendar(admin_ctx, practitioner_id=me.id)
    assert b"EXDATE;TZID=America/New_York:20261109T100000" in data
    window = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    got = consumer_occurrences(data, *window)
    assert got == our_occurrences(admin_ctx, *window, me.id)
    assert sum(got.values()) == 5
    # Wall-clock time kept across DST: every occurrence starts at 10:00 New York time.
    cal = icalendar.Calendar.from_ical(data)
    for ev in recurring_ical_events.of(cal).between(*window):
        assert ev.start.astimezone(tz).time() == time(10)


# --- consumers agree with our window query ------------------------------------------------------


@pytest.mark.parametrize("login", [None, "alice", "ben", "carmen", "dev"])
def test_recurring_ical_events_matches_window_query(demo_ctx: Context, login: str | None) -> None:
    pid = practice.find_practitioner(demo_ctx, login).id if login else None
    data = export_calendar(demo_ctx, practitioner_id=pid)
    for start, end in [
        (datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC)),
        (datetime(2026, 11, 25, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC)),
    ]:
        mine = our_occurrences(demo_ctx, start, end, pid)
        assert sum(mine.values()) > 0
        assert consumer_occurrences(data, start, end) == mine


def test_practitioner_export_holds_no_other_practitioners_events(demo_ctx: Context) -> None:
    ben = practice.find_practitioner(demo_ctx, "ben")
    everyone = {str(e["UID"]) for e in _events(export_calendar(demo_ctx, practitioner_id=None))}
    mine = {str(e["UID"]) for e in _events(export_calendar(demo_ctx, practitioner_id=ben.id))}
    with demo_ctx.db.session() as s:
        from sqlalchemy import select

        from sessions_tui.store.tables import EventRow

        own_or_shared = {
            uid.split("#")[0]
            for uid, pid in s.execute(select(EventRow.uid, EventRow.practitioner_id))
            if pid in (None, ben.id)
        }
    assert mine <= everyone
    assert mine == own_or_shared


# --- privacy ------------------------------------------------------------------------------------


def _name_parts(ctx: Context) -> list[tuple[str, str, str | None]]:
    return [(c.first_name, c.last_name, c.internal_id) for c in practice.list_clients(ctx)]


def _appears(word: str, text: str) -> bool:
    return (
        re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", text, re.IGNORECASE) is not None
    )


@pytest.mark.parametrize("mode", list(IdentifierMode))
def test_privacy_only_the_chosen_identifier_appears(
    demo_ctx: Context, mode: IdentifierMode
) -> None:
    text = export_calendar(
        demo_ctx, practitioner_id=None, identifier=mode, confirm_pii=True
    ).decode()
    unfolded = text.replace("\r\n ", "")
    summaries = [ln[8:] for ln in unfolded.splitlines() if ln.startswith("SUMMARY:")]
    parts = _name_parts(demo_ctx)
    assert parts
    for first, last, iid in parts:
        allowed = {
            IdentifierMode.FULL: {first, last},
            IdentifierMode.FIRST_NAME: {first},
            IdentifierMode.INTERNAL_ID: {iid},
            IdentifierMode.INITIALS: set(),
        }[mode]
        for word in (first, last, iid):
            if word and word not in allowed:  # type: ignore[operator]
                assert not _appears(word, unfolded), f"{word!r} leaked with {mode.value}"
        # Only SUMMARY may name a client.
        for line in unfolded.splitlines():
            if line.startswith("SUMMARY:"):
                continue
            for word in allowed:  # type: ignore[attr-defined]
                assert not word or not _appears(word, line), f"{word!r} outside SUMMARY"
    expected = {
        IdentifierMode.FULL: re.compile(r"^[A-Z][a-z]+ [A-Z][a-z]+$"),
        IdentifierMode.FIRST_NAME: re.compile(r"^[A-Z][a-z]+$"),
        IdentifierMode.INTERNAL_ID: re.compile(r"^C-\d{4}$"),
        IdentifierMode.INITIALS: re.compile(r"^[A-Z]\.[A-Z]\.$"),
    }[mode]
    session_summaries = [
        s
        for s in summaries
        if s
        not in {
            "Staff meeting",
            "Trauma-informed care conference",
            "Practice potluck (optional)",
            "Supervision",
        }
    ]
    assert session_summaries
    assert all(expected.match(s) for s in session_summaries), session_summaries[:5]
    assert "DESCRIPTION" not in unfolded
    assert "notes" not in unfolded.lower()


def test_full_names_need_confirmation_and_internal_ids_need_the_setting(admin_ctx: Context) -> None:
    me = admin_ctx.require_actor()
    with pytest.raises(ValidationError, match="confirmation"):
        export_calendar(admin_ctx, practitioner_id=me.id, identifier=IdentifierMode.FULL)
    with pytest.raises(ValidationError, match="Internal IDs"):
        export_calendar(admin_ctx, practitioner_id=me.id, identifier=IdentifierMode.INTERNAL_ID)
    practice.update_settings(admin_ctx, internal_ids=True)
    assert export_calendar(admin_ctx, practitioner_id=me.id, identifier=IdentifierMode.INTERNAL_ID)


def test_practitioner_exports_only_their_own(demo_db: Database, clock: object) -> None:
    ben_ctx = make_context(demo_db, clock, "ben")  # type: ignore[arg-type]
    carmen = practice.find_practitioner(ben_ctx, "carmen")
    with pytest.raises(PermissionDenied):
        export_calendar(ben_ctx, practitioner_id=carmen.id)
    with pytest.raises(PermissionDenied):
        export_calendar(ben_ctx, practitioner_id=None)
    assert b"BEGIN:VEVENT" in export_calendar(ben_ctx, practitioner_id=ben_ctx.require_actor().id)


# --- property: export then parse gives the same occurrences --------------------------------------

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata"]
RULES = [
    None,
    "FREQ=DAILY;COUNT=5",
    "FREQ=WEEKLY;COUNT=10",
    "FREQ=WEEKLY;INTERVAL=2;COUNT=6",
    "FREQ=MONTHLY;COUNT=4",
    "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=8",
    "FREQ=DAILY;INTERVAL=3",
]

event_spec = st.tuples(
    st.sampled_from(ZONES),
    st.integers(0, 120),  # day offset from 2026-09-01 (spans both DST changes)
    st.integers(4, 23),  # hour (DST changes happen at night; see the note in the test)
    st.sampled_from([30, 50, 60, 90, 24 * 60 + 30]),  # minutes
    st.sampled_from(RULES),
    st.booleans(),  # all-day
    st.booleans(),  # busy
    st.booleans(),  # cancelled
    st.lists(st.integers(0, 9), max_size=3),  # occurrences to delete
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=st.lists(event_spec, min_size=1, max_size=6))
def test_property_export_then_parse_gives_the_same_occurrences(
    admin_ctx: Context,
    specs: list[tuple],  # type: ignore[type-arg]
) -> None:
    me = admin_ctx.require_actor()
    with writing(), admin_ctx.db.session() as s:  # a clean slate between examples
        from sqlalchemy import delete

        from sessions_tui.store.tables import EventRow

        s.execute(delete(ExdateRow))
        s.execute(delete(EventRow))
    for tzid, day, hour, minutes, rule, all_day, busy, cancelled, gone in specs:
        first = date(2026, 9, 1) + timedelta(days=day)
        if rule and minutes > 24 * 60:
            # Consumers disagree on the length of later occurrences of a series whose events
            # span a DST change (RFC "exact duration" vs wall-clock); we keep exact durations.
            minutes = 90
        if rule and "BYDAY=MO,TH" in rule:
            # RFC 5545 leaves a DTSTART that the rule does not produce undefined: keep it in step.
            first += timedelta(days=(7 - first.weekday()) % 7)
        if all_day:
            ev = Event(
                kind=EventKind.OTHER,
                title="Off",
                start=first,
                end=first + timedelta(days=max(1, minutes // 60 // 24 + 1)),
                tzid=tzid,
                all_day=True,
                practitioner_id=me.id,
                busy=busy,
                rrule=rule,
            )
        else:
            start = datetime.combine(first, time(hour), tzinfo=ZoneInfo(tzid))
            ev = Event(
                kind=EventKind.OTHER,
                title="Work",
                start=start,
                end=start + timedelta(minutes=minutes),
                tzid=tzid,
                practitioner_id=me.id,
                busy=busy,
                rrule=rule,
            )
        if cancelled:
            ev = replace(ev, status=Status.CANCELLED)
        stored = scheduling.create_event(admin_ctx, ev)
        if rule:
            from sessions_tui.domain.recurrence import occurrences

            occ = list(
                occurrences(
                    stored, datetime(2026, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)
                )
            )
            with writing(), admin_ctx.db.session() as s:  # deleted occurrences, planted
                for index in sorted(set(gone)):
                    if index < len(occ):
                        s.add(
                            ExdateRow(
                                series_id=stored.id or 0,
                                recurrence_key=recurrence_key(occ[index].start),
                            )
                        )
    data = export_calendar(admin_ctx, practitioner_id=me.id)
    window = (datetime(2026, 8, 25, tzinfo=UTC), datetime(2027, 3, 1, tzinfo=UTC))
    assert consumer_occurrences(data, *window) == our_occurrences(admin_ctx, *window, me.id)


def test_roles_fixture_sanity(admin_ctx: Context) -> None:
    """The admin fixture is also a practitioner, which the export tests rely on."""
    assert Role.PRACTITIONER in admin_ctx.require_actor().roles
