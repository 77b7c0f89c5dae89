"""Two-way Google sync against the local Calendar emulator, through the real client library."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sessions_tui.domain.events import EventKind, Status
from sessions_tui.services import appointments, google_settings, scheduling
from sessions_tui.services.appointments import OccurrenceRef, Scope
from sessions_tui.services.feeds import IdentifierMode
from sessions_tui.sync.google import pending_changes

from .google_harness import CAL, CHI, T0, Practice, emu_fixture, pr_fixture  # noqa: F401


def test_first_sync_pushes_a_practice_titled_by_initials(pr: Practice) -> None:
    s1 = pr.session()
    s2 = pr.session(pr.bob, start=T0 + timedelta(hours=2))
    o = pr.other("Supervision", start=T0 + timedelta(days=1), busy=False)
    report = pr.sync()
    assert (report.pushed, report.pulled, report.errors) == (3, 0, 0)
    remote = pr.remote()
    assert sorted(e["summary"] for e in remote) == ["B.R.", "J.D.", "Supervision"]
    assert pr.remote_by_uid(s1.uid)["start"]["timeZone"] == "America/Chicago"  # type: ignore[arg-type]
    assert pr.remote_by_uid(o.uid)["transparency"] == "transparent"  # type: ignore[arg-type]
    assert pr.remote_by_uid(s2.uid)["transparency"] == "opaque"  # type: ignore[arg-type]
    # Nothing changed: the next run sends nothing and pulls nothing back.
    again = pr.sync()
    assert (again.pushed, again.pulled, again.deleted, again.conflicts) == (0, 0, 0, 0)
    assert len(pr.remote()) == 3
    assert "Jane" not in str(remote)
    assert "Doe" not in str(remote)


def test_incremental_both_ways(pr: Practice) -> None:
    s1 = pr.session()
    pr.sync()
    # Google side: a new event, busy
    pr.emu.state.create(
        CAL,
        summary="Dentist",
        start={"dateTime": "2026-12-01T09:00:00-06:00"},
        end={"dateTime": "2026-12-01T10:00:00-06:00"},
    )
    # Local side: the session moves an hour
    appointments.edit(
        pr.ctx,
        OccurrenceRef(s1.id),
        start=T0 + timedelta(hours=1),  # type: ignore[arg-type]
        end=T0 + timedelta(hours=1, minutes=50),
    )
    calls = pr.emu.state.calls
    report = pr.sync()
    assert (report.pushed, report.pulled) == (1, 1)
    assert pr.emu.state.calls - calls <= 3  # one list, one batch
    dentist = [e for e in pr.local_events() if e.title == "Dentist"]
    assert len(dentist) == 1
    assert dentist[0].kind is EventKind.OTHER
    assert dentist[0].source_calendar == CAL
    assert dentist[0].busy
    assert dentist[0].practitioner_id == pr.pat.id
    remote = pr.remote_by_uid(s1.uid)  # type: ignore[arg-type]
    assert datetime.fromisoformat(remote["start"]["dateTime"]) == T0 + timedelta(hours=1)


def test_paging_pulls_every_page(pr: Practice) -> None:
    for i in range(11):
        pr.emu.state.create(
            CAL,
            summary=f"G{i}",
            start={"date": f"2026-12-{i + 1:02d}"},
            end={"date": f"2026-12-{i + 2:02d}"},
        )
    report = pr.sync(page_size=3)
    assert report.pulled == 11
    assert pr.emu.state.ops_by_method["events.list"] == 4
    titles = sorted(e.title for e in pr.local_events())
    assert titles == sorted(f"G{i}" for i in range(11))
    assert all(e.all_day for e in pr.local_events())


def test_410_gone_leads_to_a_full_resync_without_duplicates(pr: Practice) -> None:
    pr.session()
    pr.emu.state.create(
        CAL,
        summary="Lunch",
        start={"dateTime": "2026-12-02T12:00:00-06:00"},
        end={"dateTime": "2026-12-02T13:00:00-06:00"},
    )
    pr.sync()
    pr.emu.state.invalidate_sync_tokens()
    pr.emu.state.create(
        CAL,
        summary="Late",
        start={"dateTime": "2026-12-03T12:00:00-06:00"},
        end={"dateTime": "2026-12-03T13:00:00-06:00"},
    )
    report = pr.sync()
    assert report.full_resyncs == 1
    assert report.pulled == 1
    assert report.pushed == 0
    assert sorted(e.title for e in pr.local_events() if e.kind is EventKind.OTHER) == [
        "Late",
        "Lunch",
    ]
    assert len(pr.remote()) == 3


def test_412_stale_etag_keeps_the_local_session(pr: Practice) -> None:
    s1 = pr.session()
    pr.sync()
    google_settings.set_mode(pr.ctx, pr.pat.id, "one-way")  # no pull: the push meets the 412
    remote = pr.remote_by_uid(s1.uid)  # type: ignore[arg-type]
    pr.emu.state.edit(
        CAL,
        remote["id"],
        start={"dateTime": "2026-11-30T15:00:00-06:00", "timeZone": "America/Chicago"},
        end={"dateTime": "2026-11-30T15:50:00-06:00", "timeZone": "America/Chicago"},
    )
    appointments.edit(
        pr.ctx,
        OccurrenceRef(s1.id),
        location_id=None,  # type: ignore[arg-type]
        start=T0 + timedelta(hours=2),
        end=T0 + timedelta(hours=2, minutes=50),
    )
    before = pr.emu.state.ops_by_method["events.get"]
    report = pr.sync()
    assert report.conflicts == 1
    assert report.pushed == 1
    assert report.errors == 0
    assert pr.emu.state.ops_by_method["events.get"] == before + 1
    again = pr.remote_by_uid(s1.uid)  # type: ignore[arg-type]
    assert datetime.fromisoformat(again["start"]["dateTime"]) == T0 + timedelta(hours=2)


def test_rate_limit_and_outage_bursts_are_retried(pr: Practice) -> None:
    for i in range(5):
        pr.session(start=T0 + timedelta(days=i))
    st = pr.emu.state
    st.fail_next(2, 503, "backendError", scope="http")  # the list call, twice

    def then_the_writes() -> None:  # after the list succeeded: batch parts fail
        st.fail_next(3, 429, "rateLimitExceeded", scope="op")
        st.fail_next(2, 403, "rateLimitExceeded", scope="op")

    st.after_call[st.calls + 3] = then_the_writes
    slept: list[float] = []
    report = pr.sync(sleep=slept.append)
    assert report.pushed == 5
    assert report.errors == 0
    assert len(pr.remote()) == 5
    assert len(slept) >= 2  # the client's and our backoff both waited


def test_long_outage_raises_for_the_worker_then_converges(pr: Practice) -> None:
    import pytest

    from sessions_tui.sync.google import SyncTransientError

    pr.session()
    pr.sync()
    pr.session(pr.bob, start=T0 + timedelta(days=1))  # made while Google is down
    pr.emu.state.fail_next(1000, 503, "backendError", scope="http")
    with pytest.raises(SyncTransientError):
        pr.sync(num_retries=2)
    assert pending_changes(pr.engine()).to_push == 1
    pr.emu.state.faults.clear()
    report = pr.sync()
    assert report.pushed == 1
    assert pending_changes(pr.engine()).total == 0
    assert len(pr.remote()) == 2


def test_dropped_connections_lose_nothing(pr: Practice) -> None:
    for i in range(3):
        pr.session(start=T0 + timedelta(days=i))
    pr.emu.state.drop_next = 2
    report = pr.sync()
    assert report.pushed == 3
    assert len(pr.remote()) == 3


def test_session_title_is_locked(pr: Practice) -> None:
    s1 = pr.session()
    pr.sync()
    gid = pr.remote_by_uid(s1.uid)["id"]  # type: ignore[arg-type]
    pr.emu.state.edit(CAL, gid, summary="Jane Doe - therapy")
    report = pr.sync()
    assert report.pushed == 1
    assert pr.emu.state.get(CAL, gid)["summary"] == "J.D."
    local = scheduling.get_event(pr.ctx, s1.id)  # type: ignore[arg-type]
    assert local.kind is EventKind.SESSION
    assert local.client_id == pr.jane.id


def test_delete_in_google_is_pushed_back_for_completed_or_cancelled_sessions(pr: Practice) -> None:
    done = pr.session(notes_completed=True)
    off = pr.session(pr.bob, start=T0 + timedelta(days=1), status=Status.CANCELLED)
    plain = pr.session(start=T0 + timedelta(days=2))
    other = pr.other("Gym", start=T0 + timedelta(days=3))
    pr.sync()
    assert pr.remote_by_uid(off.uid)["summary"] == "Cancelled: B.R."  # type: ignore[arg-type]
    for ev in (done, off, plain, other):
        pr.emu.state.remove(CAL, pr.remote_by_uid(ev.uid)["id"])  # type: ignore[arg-type]
    report = pr.sync()
    assert report.deleted == 2
    ids = {e.id for e in pr.local_events()}
    assert done.id in ids
    assert off.id in ids
    assert plain.id not in ids
    assert other.id not in ids
    # pushed back: alive again in Google, with the same ids
    assert pr.remote_by_uid(done.uid)["status"] == "confirmed"  # type: ignore[arg-type]
    assert pr.remote_by_uid(off.uid)["status"] == "confirmed"  # type: ignore[arg-type]
    assert len(pr.remote()) == 2
    quiet = pr.sync()
    assert (quiet.pushed, quiet.pulled, quiet.deleted) == (0, 0, 0)


def test_local_delete_removes_the_google_event(pr: Practice) -> None:
    s1 = pr.session()
    pr.sync()
    appointments.remove(pr.ctx, OccurrenceRef(s1.id))  # type: ignore[arg-type]
    report = pr.sync()
    assert report.deleted == 1
    assert pr.remote() == []


def test_conflicts_sessions_keep_local_others_keep_latest(pr: Practice) -> None:
    s1 = pr.session()
    early = pr.other("Early", start=T0 + timedelta(days=1))
    late = pr.other("Late", start=T0 + timedelta(days=2))
    pr.sync()
    # Google edits at 16:00 UTC (emulator clock); local edits before and after it.
    g = {e.uid: pr.remote_by_uid(e.uid)["id"] for e in (s1, early, late)}  # type: ignore[misc]
    for ev in (s1, early, late):
        pr.emu.state.edit(CAL, g[ev.uid], summary="changed in Google", transparency="transparent")
    pr.at(-30)
    appointments.edit(pr.ctx, OccurrenceRef(early.id), title="changed here, earlier")  # type: ignore[arg-type]
    pr.at(60)
    appointments.edit(pr.ctx, OccurrenceRef(late.id), title="changed here, later")  # type: ignore[arg-type]
    appointments.edit(pr.ctx, OccurrenceRef(s1.id), location_id=None, busy=False)  # type: ignore[arg-type]
    report = pr.sync()
    assert report.conflicts == 3
    assert scheduling.get_event(pr.ctx, early.id).title == "changed in Google"  # type: ignore[arg-type]
    assert pr.emu.state.get(CAL, g[late.uid])["summary"] == "changed here, later"
    assert scheduling.get_event(pr.ctx, late.id).title == "changed here, later"  # type: ignore[arg-type]
    assert pr.emu.state.get(CAL, g[s1.uid])["summary"] == "J.D."
    assert pr.emu.state.get(CAL, g[s1.uid])["transparency"] == "transparent"


def test_identifier_choice_retitles_everything(pr: Practice) -> None:
    s1 = pr.session()
    pr.sync()
    google_settings.set_identifier(pr.ctx, pr.pat.id, IdentifierMode.FIRST_NAME)
    report = pr.sync()
    assert report.pushed == 1
    assert pr.remote_by_uid(s1.uid)["summary"] == "Jane"  # type: ignore[arg-type]


def test_recurring_series_with_exceptions_round_trip(pr: Practice) -> None:
    series = pr.session(start=T0, rrule="FREQ=WEEKLY;COUNT=6")
    assert series.id is not None
    # move the 2nd occurrence, delete the 3rd
    second, third = T0 + timedelta(weeks=1), T0 + timedelta(weeks=2)
    appointments.edit(
        pr.ctx,
        OccurrenceRef(series.id, second.astimezone(UTC)),
        Scope.THIS,
        start=second + timedelta(hours=3),
        end=second + timedelta(hours=3, minutes=50),
    )
    appointments.remove(pr.ctx, OccurrenceRef(series.id, third.astimezone(UTC)), Scope.THIS)
    report = pr.sync()
    assert report.errors == 0
    master = pr.remote_by_uid(series.uid)  # type: ignore[arg-type]
    assert master["recurrence"][0] == "RRULE:FREQ=WEEKLY;COUNT=6"
    assert "EXDATE:20261214T160000Z" in master["recurrence"]
    exceptions = [e for e in pr.remote() if e.get("recurringEventId") == master["id"]]
    assert len(exceptions) == 1
    assert datetime.fromisoformat(exceptions[0]["start"]["dateTime"]) == second + timedelta(hours=3)
    assert exceptions[0]["summary"] == "J.D."
    quiet = pr.sync()
    assert (quiet.pushed, quiet.pulled) == (0, 0)


def test_google_recurring_event_with_exceptions_comes_in(pr: Practice) -> None:
    st = pr.emu.state
    master = st.create(
        CAL,
        summary="Yoga",
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=5"],
        start={"dateTime": "2026-12-01T18:00:00-06:00", "timeZone": "America/Chicago"},
        end={"dateTime": "2026-12-01T19:00:00-06:00", "timeZone": "America/Chicago"},
    )
    st.edit(
        CAL,
        f"{master['id']}_20261209T000000Z",
        summary="Yoga (late)",
        start={"dateTime": "2026-12-08T19:00:00-06:00", "timeZone": "America/Chicago"},
        end={"dateTime": "2026-12-08T20:00:00-06:00", "timeZone": "America/Chicago"},
    )
    st.remove(CAL, f"{master['id']}_20261216T000000Z")
    report = pr.sync()
    assert report.errors == 0
    events = pr.local_events()
    masters = [e for e in events if e.rrule]
    assert len(masters) == 1
    assert masters[0].kind is EventKind.OTHER
    overrides = [e for e in events if e.series_id == masters[0].id]
    assert [o.title for o in overrides] == ["Yoga (late)"]
    from sessions_tui.store.queries import window

    with pr.db.session() as s:
        occ = window(
            s, datetime(2026, 11, 30, tzinfo=UTC), datetime(2027, 1, 10, tzinfo=UTC), display_tz=CHI
        )
    starts = [o.start.astimezone(CHI).strftime("%m-%d %H:%M") for o in occ]  # type: ignore[union-attr]
    assert starts == ["12-01 18:00", "12-08 19:00", "12-22 18:00", "12-29 18:00"]
    quiet = pr.sync()
    assert (quiet.pushed, quiet.pulled, quiet.errors) == (0, 0, 0)


def test_dst_crossing_series_comes_back_with_the_same_local_times(pr: Practice, tmp_path) -> None:
    from sessions_tui.domain.model import Role
    from sessions_tui.services import practice
    from sessions_tui.services.context import Context
    from sessions_tui.store.db import open_database
    from sessions_tui.store.queries import window

    from .google_harness import Practice as P

    start = datetime(2027, 2, 22, 10, 0, tzinfo=CHI)  # weekly across the March 14 change
    pr.other("Team meeting", start=start, rrule="FREQ=WEEKLY;COUNT=6")
    pr.sync()
    db2 = open_database(str(tmp_path / "other.db"))
    try:
        admin = practice.add_staff(Context(db2, pr.ctx.clock, None), "root", "Root", {Role.ADMIN})
        other = P(Context(db2, pr.ctx.clock, admin), pr.emu)
        report = other.sync()
        assert report.pulled == 1
        with db2.session() as s:
            occ = window(
                s,
                datetime(2027, 2, 20, tzinfo=UTC),
                datetime(2027, 4, 10, tzinfo=UTC),
                display_tz=CHI,
            )
        local = [o.start.astimezone(CHI) for o in occ]  # type: ignore[union-attr]
        assert len(local) == 6
        assert {t.strftime("%H:%M") for t in local} == {"10:00"}
        assert {t.utcoffset() for t in local} == {timedelta(hours=-6), timedelta(hours=-5)}
        assert occ[0].event.kind is EventKind.OTHER
        assert occ[0].event.source_calendar == CAL
    finally:
        db2.dispose()
