"""The window query: overrides, exdates, practitioner and location filters, agenda items."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest

from sessions_tui.domain.events import Event, EventKind, Status
from sessions_tui.domain.model import Client, Location, Role, Staff
from sessions_tui.services import practice, scheduling
from sessions_tui.services.context import Context

from ._helpers import all_day, delete_event, local, timed, utc, window

# A weekly series on Mondays 09:00 UTC: Nov 2, 9, 16, 23, 30 and Dec 7, 2026.
SERIES_START = utc(2026, 11, 2, 9)


@pytest.fixture
def series(admin_ctx: Context) -> Event:
    return scheduling.create_event(
        admin_ctx, timed(SERIES_START, 60, tzid="UTC", title="Group", rrule="FREQ=WEEKLY;COUNT=6")
    )


def override(
    ctx: Context, master: Event, rid: datetime, new_start: datetime, **changes: object
) -> Event:
    ev = replace(
        master,
        id=None,
        rrule=None,
        series_id=master.id,
        recurrence_id=rid,
        start=new_start,
        end=new_start + master.duration,
        uid=None,
        exdates=frozenset(),
    )
    return scheduling.create_event(ctx, ev.with_changes(**changes) if changes else ev)


def starts(occ: list) -> list:  # type: ignore[type-arg]
    return [o.start for o in occ]


def test_series_alone(admin_ctx: Context, series: Event) -> None:
    occ = window(admin_ctx, utc(2026, 11, 1), utc(2027, 1, 1))
    assert starts(occ) == [SERIES_START + timedelta(weeks=n) for n in range(6)]
    assert {o.event.id for o in occ} == {series.id}
    assert [o.recurrence_id for o in occ] == starts(occ)


def test_override_replaces_its_occurrence_in_place(admin_ctx: Context, series: Event) -> None:
    rid = utc(2026, 11, 16, 9)
    ov = override(admin_ctx, series, rid, utc(2026, 11, 17, 10), title="Group (moved)")
    occ = window(admin_ctx, utc(2026, 11, 15), utc(2026, 11, 22))
    assert [(o.event.id, o.start, o.event.title, o.recurrence_id) for o in occ] == [
        (ov.id, utc(2026, 11, 17, 10), "Group (moved)", rid)
    ]


def test_override_moved_out_of_the_window(admin_ctx: Context, series: Event) -> None:
    ov = override(admin_ctx, series, utc(2026, 11, 16, 9), utc(2026, 12, 1, 9))
    assert window(admin_ctx, utc(2026, 11, 15), utc(2026, 11, 22)) == []
    occ = window(admin_ctx, utc(2026, 11, 29), utc(2026, 12, 6))
    assert [(o.event.id, o.start) for o in occ] == [
        (series.id, utc(2026, 11, 30, 9)),
        (ov.id, utc(2026, 12, 1, 9)),
    ]


def test_override_moved_into_the_window(admin_ctx: Context, series: Event) -> None:
    ov = override(admin_ctx, series, utc(2026, 11, 2, 9), utc(2026, 11, 18, 14))
    assert window(admin_ctx, utc(2026, 11, 1), utc(2026, 11, 8)) == []
    occ = window(admin_ctx, utc(2026, 11, 16), utc(2026, 11, 23))
    assert [(o.event.id, o.start) for o in occ] == [
        (series.id, utc(2026, 11, 16, 9)),
        (ov.id, utc(2026, 11, 18, 14)),
    ]


def test_override_of_last_occurrence_moved_past_the_series_end(
    admin_ctx: Context, series: Event
) -> None:
    ov = override(admin_ctx, series, utc(2026, 12, 7, 9), utc(2026, 12, 21, 9))
    assert window(admin_ctx, utc(2026, 12, 6), utc(2026, 12, 8)) == []
    occ = window(admin_ctx, utc(2026, 12, 20), utc(2026, 12, 22))
    assert [(o.event.id, o.start) for o in occ] == [(ov.id, utc(2026, 12, 21, 9))]


def test_cancelled_override_shows_once_as_cancelled(admin_ctx: Context, series: Event) -> None:
    rid = utc(2026, 11, 9, 9)
    override(admin_ctx, series, rid, rid, status=Status.CANCELLED)
    occ = window(admin_ctx, utc(2026, 11, 8), utc(2026, 11, 10))
    assert [(o.start, o.event.status) for o in occ] == [(rid, Status.CANCELLED)]


def test_exdates_remove_occurrences(admin_ctx: Context) -> None:
    gone = {utc(2026, 11, 9, 9), utc(2026, 11, 23, 9)}
    scheduling.create_event(
        admin_ctx, timed(SERIES_START, 60, rrule="FREQ=WEEKLY;COUNT=6", exdates=frozenset(gone))
    )
    occ = window(admin_ctx, utc(2026, 11, 1), utc(2027, 1, 1))
    assert starts(occ) == [SERIES_START + timedelta(weeks=n) for n in (0, 2, 4, 5)]


def test_deleting_a_series_removes_its_overrides(admin_ctx: Context, series: Event) -> None:
    override(admin_ctx, series, utc(2026, 11, 16, 9), utc(2026, 12, 20, 9))
    assert series.id is not None
    delete_event(admin_ctx, series.id)
    assert window(admin_ctx, utc(2026, 11, 1), utc(2027, 1, 1)) == []


def test_events_overlapping_the_window_edges(admin_ctx: Context) -> None:
    """Half-open: an event ending at the window start, or starting at its end, is out."""
    long = scheduling.create_event(admin_ctx, timed(utc(2026, 11, 1, 20), 60 * 30, title="Retreat"))
    scheduling.create_event(admin_ctx, timed(utc(2026, 11, 2, 8), 60, title="Before"))
    scheduling.create_event(admin_ctx, timed(utc(2026, 11, 3, 0), 60, title="After"))
    occ = window(admin_ctx, utc(2026, 11, 2, 9), utc(2026, 11, 3))
    assert [o.event.id for o in occ] == [long.id]


# --- filters ----------------------------------------------------------------------------------


class Practice:
    def __init__(self, ctx: Context) -> None:
        self.p1: Staff = practice.add_staff(ctx, "pat", "Pat One", {Role.PRACTITIONER})
        self.p2: Staff = practice.add_staff(ctx, "quinn", "Quinn Two", {Role.PRACTITIONER})
        self.l1: Location = practice.add_location(ctx, "Room 1")
        self.l2: Location = practice.add_location(ctx, "Telehealth")
        self.c: Client = practice.add_client(ctx, "Cora", "Client", "C-1")
        day = date(2026, 11, 24)

        def session(p: Staff, loc: Location, hour: int, rrule: str | None = None) -> Event:
            return scheduling.create_event(
                ctx,
                scheduling.session_event(
                    practitioner=p,
                    client=self.c,
                    start=local(day, time(hour), "America/Chicago"),
                    minutes=50,
                    tzid="America/Chicago",
                    location=loc,
                    rrule=rrule,
                ),
            )

        self.s1 = session(self.p1, self.l1, 9)
        self.s2 = session(self.p2, self.l2, 10)
        self.s3 = session(self.p1, self.l2, 11, rrule="FREQ=DAILY;COUNT=3")
        self.meeting = scheduling.create_event(
            ctx,
            timed(
                local(day, time(12), "America/Chicago"),
                45,
                title="Staff meeting",
                location_id=self.l1.id,
            ),
        )
        self.away = scheduling.create_event(
            ctx, all_day(day, 1, title="Away", practitioner_id=self.p2.id)
        )


def _ids(ctx: Context, **filters: object) -> set[int | None]:
    occ = window(ctx, utc(2026, 11, 24), utc(2026, 11, 25, 6), "America/Chicago", **filters)
    return {o.event.id for o in occ}


def test_filters(admin_ctx: Context) -> None:
    p = Practice(admin_ctx)
    everything = {p.s1.id, p.s2.id, p.s3.id, p.meeting.id, p.away.id}
    assert _ids(admin_ctx) == everything
    # Events with no practitioner (practice-wide) stay under a practitioner filter.
    assert _ids(admin_ctx, practitioner_ids=[p.p1.id]) == {p.s1.id, p.s3.id, p.meeting.id}
    assert _ids(admin_ctx, practitioner_ids=[p.p2.id]) == {p.s2.id, p.meeting.id, p.away.id}
    assert _ids(admin_ctx, practitioner_ids=[p.p1.id, p.p2.id]) == everything
    assert _ids(admin_ctx, location_ids=[p.l1.id]) == {p.s1.id, p.meeting.id}
    assert _ids(admin_ctx, location_ids=[p.l2.id]) == {p.s2.id, p.s3.id}
    assert _ids(admin_ctx, practitioner_ids=[p.p1.id], location_ids=[p.l2.id]) == {p.s3.id}
    assert _ids(admin_ctx, practitioner_ids=[], location_ids=None) == {p.meeting.id}


def test_agenda_items_resolve_people_and_places(admin_ctx: Context) -> None:
    p = Practice(admin_ctx)
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("America/Chicago")
    items = scheduling.agenda(admin_ctx, utc(2026, 11, 24, 6), utc(2026, 11, 25, 6), tz)
    by_id: dict[int | None, scheduling.AgendaItem] = {i.id: i for i in items}
    first = by_id[p.s1.id]
    assert first.practitioner == p.p1
    assert first.client == p.c
    assert first.location == p.l1
    assert first.title == "Cora Client"
    assert first.event.kind is EventKind.SESSION
    assert first.to_json(tz)["start"] == "2026-11-24T09:00:00-06:00"
    assert by_id[p.meeting.id].practitioner is None
    # The daily series appears once that day (11:00), the first of its three.
    assert sum(1 for i in items if i.id == p.s3.id) == 1
