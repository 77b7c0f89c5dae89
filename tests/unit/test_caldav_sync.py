"""Issue 17: two-way CalDAV sync against a real server (Radicale on 127.0.0.1)."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from caldav_harness import CHI, T0, Practice, pr_fixture  # noqa: F401

from sessions_tui.services import appointments
from sessions_tui.services.appointments import OccurrenceRef


def test_issue_17_connect_discovers_calendars(pr: Practice) -> None:
    from sessions_tui.services import caldav_settings

    settings = caldav_settings.get_settings(pr.ctx, pr.pat.id)
    assert settings is not None
    names = {c.summary: c for c in settings.calendars}
    assert names["Work"].role == "default"
    assert names["Work"].selected
    assert names["Personal"].role == "secondary"
    assert not names["Personal"].selected


def test_issue_17_first_sync_pushes_the_practice(pr: Practice) -> None:
    pr.session()
    pr.session(pr.bob, start=T0 + timedelta(hours=2))
    pr.other("Supervision", start=T0 + timedelta(days=1))
    report = pr.sync()
    assert report.pushed == 3, report
    assert pr.remote.summaries(pr.work) == ["B.R.", "J.D.", "Supervision"]
    again = pr.sync()
    assert (again.pushed, again.pulled, again.conflicts) == (0, 0, 0), again


def test_issue_17_changes_both_ways(pr: Practice) -> None:
    ev = pr.other("Lunch")
    pr.sync()
    # There: a new event, and the lunch moved an hour later.
    pr.remote.add(
        pr.work,
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//phone//EN\r\nBEGIN:VEVENT\r\nUID:phone-1\r\n"
        "DTSTAMP:20261125T120000Z\r\nDTSTART;TZID=America/Chicago:20261201T090000\r\n"
        "DTEND;TZID=America/Chicago:20261201T093000\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n",
    )
    (lunch,) = [o for o in pr.remote.resources(pr.work) if "Lunch" in o.data]
    vev = lunch.icalendar_instance.walk("VEVENT")[0]
    vev["dtstart"].dt += timedelta(hours=1)
    vev["dtend"].dt += timedelta(hours=1)
    lunch.save()
    report = pr.sync()
    assert report.pulled == 2, report
    by_title = {e.title: e for e in pr.local_events()}
    assert by_title["Dentist"].start == T0.replace(day=1, month=12, hour=9)
    assert by_title["Lunch"].start == ev.start + timedelta(hours=1)
    # Here: the dentist renamed; it goes back to the server.
    dentist = by_title["Dentist"]
    appointments.edit(pr.ctx, OccurrenceRef(dentist.id), title="Dentist (moved)")
    report = pr.sync()
    assert report.pushed == 1, report
    assert "Dentist (moved)" in pr.remote.summaries(pr.work)


def test_issue_17_the_sync_worker_runs_caldav_too(pr: Practice) -> None:
    from sessions_tui.sync.worker import SyncOutcome, combine, run_caldav_sync

    pr.other("Supervision")
    outcome = run_caldav_sync(
        pr.db,
        pr.ctx.clock,
        [pr.pat.id],
        engine_factory=lambda _p: pr.engine(),
        lock_holder="test:1",
    )
    assert outcome.ok
    assert outcome.label == "CalDAV"
    assert outcome.summary().startswith("pushed 1,")
    both = combine(SyncOutcome({}, {}), outcome)
    assert both.label == "Google, CalDAV"
    assert both.summary() == outcome.summary()
    # A refused password is reported, never raised (the App tells the user to connect again).
    from sessions_tui.sync.caldav import CalDavEngine
    from sessions_tui.sync.caldav.dav import DavClient

    wrong = DavClient(pr.server.url, pr.user, "not the password")
    failed = run_caldav_sync(
        pr.db,
        pr.ctx.clock,
        [pr.pat.id],
        engine_factory=lambda _p: CalDavEngine(pr.db, pr.ctx.clock, pr.pat.id, wrong),
    )
    assert not failed.ok
    assert failed.auth
    assert "refused the username or password" in failed.summary()


def test_issue_17_an_unreachable_server_is_a_transient_error() -> None:
    import pytest

    from sessions_tui.sync.caldav.dav import DavClient
    from sessions_tui.sync.errors import SyncTransientError

    dead = DavClient("http://127.0.0.1:9/", "pat", "x")
    with pytest.raises(SyncTransientError, match="cannot reach the CalDAV server"):
        dead.sync_collection("http://127.0.0.1:9/pat/work/", None)


def test_issue_17_one_href_spelled_two_ways_is_one_resource() -> None:
    from sessions_tui.sync.caldav import href_key

    assert href_key("/dav/calendars/pat%40example.org/work/a%20b.ics") == href_key(
        "https://dav.example.org/dav/calendars/pat@example.org/work/a b.ics"
    )
    assert href_key("/dav/work/a.ics") != href_key("/dav/work/b.ics")


def test_issue_17_a_local_delete_is_pushed(pr: Practice) -> None:
    ev = pr.other("Dentist")
    keep = pr.other("Lunch", start=T0 + timedelta(hours=3))
    pr.sync()
    appointments.remove(pr.ctx, OccurrenceRef(ev.id))  # type: ignore[arg-type]
    report = pr.sync()
    assert report.deleted == 1, report
    assert pr.remote.summaries(pr.work) == ["Lunch"]
    assert keep.id in {e.id for e in pr.local_events()}
