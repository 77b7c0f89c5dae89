"""Issue 17: the sync rules, against a real CalDAV server (Radicale on 127.0.0.1): recurring
series with overrides and EXDATE both ways across DST, protected deletes, a 412 conflict,
two-way → one-way, locked titles and the identifier modes in the pushed SUMMARY."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from caldav_harness import CHI, T0, Practice, pr_fixture  # noqa: F401

from sessions_tui.domain.events import Status
from sessions_tui.services import appointments, caldav_settings, practice
from sessions_tui.services.appointments import OccurrenceRef, Scope
from sessions_tui.services.feeds import IdentifierMode
from sessions_tui.store.queries import recurrence_key

# A weekly series that crosses the start of US daylight time (2027-03-14).
S0 = datetime(2027, 3, 1, 10, 0, tzinfo=CHI)


def _one(pr: Practice, url: str | None = None) -> object:
    (res,) = pr.remote.resources(url or pr.work)
    return res


def test_issue_17_recurring_series_with_override_and_exdate_round_trips(pr: Practice) -> None:
    series = pr.session(start=S0, rrule="FREQ=WEEKLY;COUNT=6")
    assert series.id is not None
    second, third = S0 + timedelta(weeks=1), S0 + timedelta(weeks=2)
    appointments.edit(
        pr.ctx,
        OccurrenceRef(series.id, second.astimezone(UTC)),
        Scope.THIS,
        start=second + timedelta(hours=3),
        end=second + timedelta(hours=3, minutes=50),
    )
    appointments.remove(pr.ctx, OccurrenceRef(series.id, third.astimezone(UTC)), Scope.THIS)
    report = pr.sync()
    assert report.pushed == 1, report  # one resource: the master and its override

    res = _one(pr)
    vevents = res.icalendar_instance.walk("VEVENT")  # type: ignore[attr-defined]
    master = next(v for v in vevents if not v.get("recurrence-id"))
    override = next(v for v in vevents if v.get("recurrence-id"))
    assert master["dtstart"].dt == S0  # wall-clock 10:00 in Chicago, with its zone
    assert str(master["dtstart"].dt.tzinfo) == "America/Chicago"
    assert "FREQ=WEEKLY" in master["rrule"].to_ical().decode()
    (exdate,) = [d.dt for d in master["exdate"].dts]
    assert exdate == third
    assert override["recurrence-id"].dt == second
    assert override["dtstart"].dt == second + timedelta(hours=3)

    # There: the 5th occurrence (after the DST change) moved to 14:00, the 6th deleted.
    fifth, sixth = S0 + timedelta(weeks=4), S0 + timedelta(weeks=5)
    assert fifth.utcoffset() != S0.utcoffset()  # the series really crosses DST
    cal = res.icalendar_instance  # type: ignore[attr-defined]
    master = next(v for v in cal.walk("VEVENT") if not v.get("recurrence-id"))
    master.add("exdate", sixth)
    moved = icalendar.Event()
    moved.add("uid", str(master["uid"]))
    moved.add("dtstamp", datetime(2026, 11, 25, 17, 0, tzinfo=UTC))
    moved.add("recurrence-id", fifth)
    moved.add("dtstart", fifth.replace(hour=14))
    moved.add("dtend", fifth.replace(hour=14, minute=50))
    moved.add("summary", "J.D.")
    cal.add_component(moved)
    res.save()  # type: ignore[attr-defined]
    report = pr.sync()
    assert report.pulled == 1, report
    events = pr.local_events()
    (mine,) = [e for e in events if e.id == series.id]
    assert recurrence_key(sixth.astimezone(UTC)) in {recurrence_key(x) for x in mine.exdates}
    assert recurrence_key(third.astimezone(UTC)) in {recurrence_key(x) for x in mine.exdates}
    overrides = {recurrence_key(e.recurrence_id): e for e in events if e.series_id == series.id}
    assert overrides[recurrence_key(fifth.astimezone(UTC))].start == fifth.replace(hour=14)
    assert overrides[recurrence_key(fifth.astimezone(UTC))].is_session  # still Jane's session
    assert overrides[recurrence_key(second.astimezone(UTC))].start == second + timedelta(hours=3)
    # And both sides agree now: nothing more to do either way.
    again = pr.sync()
    assert (again.pushed, again.pulled, again.conflicts) == (0, 0, 0), again


def test_issue_17_protected_sessions_are_never_deleted_by_a_sync(pr: Practice) -> None:
    done = pr.session(notes_completed=True)
    cancelled = pr.session(pr.bob, start=T0 + timedelta(hours=2), status=Status.CANCELLED)
    plain = pr.session(start=T0 + timedelta(days=1))
    pr.sync()
    for res in pr.remote.resources(pr.work):
        res.delete()
    report = pr.sync()
    left = {e.id for e in pr.local_events()}
    assert done.id in left
    assert cancelled.id in left
    assert plain.id not in left  # an ordinary session deleted there is deleted here
    assert report.deleted == 1, report
    # The protected ones were written back to the server.
    assert pr.remote.summaries(pr.work) == ["Cancelled: B.R.", "J.D."]
    again = pr.sync()
    assert (again.pushed, again.pulled, again.deleted) == (0, 0, 0), again


def test_issue_17_protected_occurrence_of_a_deleted_series_is_kept(pr: Practice) -> None:
    series = pr.session(start=S0, rrule="FREQ=WEEKLY;COUNT=4")
    assert series.id is not None
    second = S0 + timedelta(weeks=1)
    appointments.edit(
        pr.ctx, OccurrenceRef(series.id, second.astimezone(UTC)), Scope.THIS, notes_completed=True
    )
    pr.sync()
    _one(pr).delete()  # type: ignore[attr-defined]
    pr.sync()
    events = pr.local_events()
    assert series.id not in {e.id for e in events}
    (kept,) = events
    assert kept.notes_completed
    assert kept.start == second
    assert pr.remote.summaries(pr.work) == ["J.D."]  # pushed back, as a one-off


def test_issue_17_a_412_is_a_conflict_resolved_by_the_rule(pr: Practice) -> None:
    session = pr.session()
    meeting = pr.other("Team meeting", start=T0 + timedelta(hours=3))
    pr.sync()
    # One-way: no pull, so the push meets the server's newer copies with a stale If-Match.
    caldav_settings.set_mode(pr.ctx, pr.pat.id, "one-way")
    for res in pr.remote.resources(pr.work):
        vev = res.icalendar_instance.walk("VEVENT")[0]
        vev["summary"] = vicalendar_text(str(vev["summary"]) + " (edited there)")
        vev.add("last-modified", datetime(2026, 11, 25, 15, 0, tzinfo=UTC))
        res.save()
    pr.at(30)  # the local edits are later than the server's
    appointments.edit(pr.ctx, OccurrenceRef(session.id), start=T0 + timedelta(minutes=30))  # type: ignore[arg-type]
    appointments.edit(pr.ctx, OccurrenceRef(meeting.id), title="Team meeting (moved)")  # type: ignore[arg-type]
    report = pr.sync()
    assert report.conflicts == 2, report
    # The session keeps the local version (its title locked); the meeting's later change wins.
    assert pr.remote.summaries(pr.work) == ["J.D.", "Team meeting (moved)"]
    assert report.pushed == 2, report


def vicalendar_text(value: str) -> icalendar.vText:
    return icalendar.vText(value)


def test_issue_17_server_side_title_of_a_session_is_locked(pr: Practice) -> None:
    pr.session()
    pr.sync()
    res = _one(pr)
    vev = res.icalendar_instance.walk("VEVENT")[0]  # type: ignore[attr-defined]
    vev["summary"] = icalendar.vText("Jane Doe, anxiety")
    res.save()  # type: ignore[attr-defined]
    pr.sync()
    assert pr.remote.summaries(pr.work) == ["J.D."]
    assert pr.sync().pushed == 0


def test_issue_17_two_way_to_one_way_clears_caldav_events(pr: Practice) -> None:
    pr.session()
    pr.remote.add(
        pr.work,
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//phone//EN\r\nBEGIN:VEVENT\r\nUID:gym\r\n"
        "DTSTAMP:20261125T120000Z\r\nDTSTART:20261201T130000Z\r\nDTEND:20261201T140000Z\r\n"
        "SUMMARY:Gym\r\nTRANSP:OPAQUE\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    pr.sync()
    assert {e.title for e in pr.local_events()} >= {"Gym"}
    _settings, removed = caldav_settings.set_mode(pr.ctx, pr.pat.id, "one-way")
    assert removed == 1
    events = pr.local_events()
    assert [e.is_session for e in events] == [True]  # our session stays, the gym went
    report = pr.sync()
    assert report.deleted == 0  # one-way never deletes the server's own events
    assert "Gym" in pr.remote.summaries(pr.work)
    # Back to two-way: everything syncs again, nothing duplicated.
    caldav_settings.set_mode(pr.ctx, pr.pat.id, "two-way")
    pr.sync()
    assert sorted(e.title or "session" for e in pr.local_events()) == ["Gym", "session"]
    assert pr.remote.summaries(pr.work) == ["Gym", "J.D."]


def test_issue_17_busy_blocks_booking_and_free_does_not(pr: Practice) -> None:
    for uid, transp in (("busy-1", "OPAQUE"), ("free-1", "TRANSPARENT")):
        pr.remote.add(
            pr.work,
            f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//phone//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20261125T120000Z\r\nDTSTART:20261201T150000Z\r\n"
            f"DTEND:20261201T160000Z\r\nSUMMARY:{uid}\r\nTRANSP:{transp}\r\nEND:VEVENT\r\n"
            "END:VCALENDAR\r\n",
        )
    pr.sync()
    by_title = {e.title: e for e in pr.local_events()}
    assert by_title["busy-1"].busy
    assert not by_title["free-1"].busy


@pytest.mark.parametrize(
    ("mode", "want"),
    [
        (IdentifierMode.INITIALS, "J.D."),
        (IdentifierMode.FIRST_NAME, "Jane"),
        (IdentifierMode.INTERNAL_ID, "C-17"),
        (IdentifierMode.FULL, "Jane Doe"),
    ],
)
def test_issue_17_identifier_modes_in_the_pushed_summary(
    pr: Practice, mode: IdentifierMode, want: str
) -> None:
    pr.session()
    pr.sync()
    if mode is IdentifierMode.INTERNAL_ID:
        practice.update_settings(pr.ctx, internal_ids=True)
    caldav_settings.set_identifier(pr.ctx, pr.pat.id, mode, confirm_pii=True)
    report = pr.sync()
    assert report.pushed == (0 if mode is IdentifierMode.INITIALS else 1)
    assert pr.remote.summaries(pr.work) == [want]


def test_issue_17_secondary_calendar_events_stay_tied_to_it(pr: Practice) -> None:
    caldav_settings.select_calendar(pr.ctx, pr.pat.id, pr.personal, True)
    pr.remote.add(
        pr.personal,
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//phone//EN\r\nBEGIN:VEVENT\r\nUID:kids\r\n"
        "DTSTAMP:20261125T120000Z\r\nDTSTART:20261201T220000Z\r\nDTEND:20261201T230000Z\r\n"
        "SUMMARY:School play\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    pr.sync()
    (play,) = [e for e in pr.local_events() if e.title == "School play"]
    assert play.source_calendar == pr.personal
    appointments.edit(pr.ctx, OccurrenceRef(play.id), title="School play (Ada)")  # type: ignore[arg-type]
    pr.sync()
    assert pr.remote.summaries(pr.personal) == ["School play (Ada)"]
    assert pr.remote.summaries(pr.work) == []  # never pushed to another calendar
    # Removing the calendar keeps its events, still tied to it, and pushes them nowhere.
    caldav_settings.select_calendar(pr.ctx, pr.pat.id, pr.personal, False)
    appointments.edit(pr.ctx, OccurrenceRef(play.id), title="School play (moved)")  # type: ignore[arg-type]
    report = pr.sync()
    assert report.pushed == 0
    (play,) = [e for e in pr.local_events() if e.title == "School play (moved)"]
    assert play.source_calendar == pr.personal
    assert pr.remote.summaries(pr.work) == []
