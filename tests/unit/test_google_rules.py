"""Google sync rules: secondary calendars, one-way/two-way switching, and killed runs."""

from __future__ import annotations

import os
import random
import signal
import subprocess
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from sessions_tui.domain.events import EventKind
from sessions_tui.domain.officehours import WeeklyHours, WeeklyInterval
from sessions_tui.services import appointments, google_settings, hours
from sessions_tui.services.appointments import OccurrenceRef, Scope
from sessions_tui.sync.google import SyncError, endpoint_from_env, pending_changes

from ._cli import as_login
from .google_harness import CAL, CHI, T0, Practice, emu_fixture, pr_fixture  # noqa: F401

TEAM = "team@group.calendar.google.com"


def _team_event(pr: Practice, summary: str, start: str, end: str, **kw: object) -> dict:
    return pr.emu.state.create(
        TEAM,
        summary=summary,
        start={"dateTime": start, "timeZone": "America/Chicago"},
        end={"dateTime": end, "timeZone": "America/Chicago"},
        **kw,
    )


def test_secondary_calendars_pull_block_write_back_and_stay_tied(pr: Practice) -> None:
    pr.emu.state.add_calendar(TEAM, "Team")
    busy = _team_event(
        pr, "Case conference", "2026-11-30T13:00:00-06:00", "2026-11-30T14:00:00-06:00"
    )
    _team_event(
        pr,
        "Optional lunch",
        "2026-11-30T12:00:00-06:00",
        "2026-11-30T13:00:00-06:00",
        transparency="transparent",
    )
    _team_event(
        pr,
        "Huddle",
        "2026-11-30T08:00:00-06:00",
        "2026-11-30T08:30:00-06:00",
        recurrence=["RRULE:FREQ=DAILY;COUNT=10"],
    )
    google_settings.select_calendar(pr.ctx, pr.pat.id, TEAM, True, summary="Team")
    report = pr.sync()
    assert report.pulled == 3
    team = {e.title: e for e in pr.local_events() if e.source_calendar == TEAM}
    assert set(team) == {"Case conference", "Optional lunch", "Huddle"}
    settings = google_settings.get_settings(pr.ctx, pr.pat.id)
    assert settings is not None
    assert settings.is_secondary(TEAM)
    assert not settings.is_secondary(CAL)
    # busy ones block availability, free ones do not
    from sessions_tui.services.availability import open_time

    hours.set_hours(
        pr.ctx,
        WeeklyHours("America/Chicago", (WeeklyInterval(0, time(9), time(17)),), pr.pat.id),
        kind=hours.AVAILABILITY,
    )
    free = open_time(
        pr.ctx,
        pr.pat.id,
        datetime(2026, 11, 30, 9, tzinfo=CHI),
        datetime(2026, 11, 30, 17, tzinfo=CHI),
    )
    spans = [
        (a.astimezone(CHI).strftime("%H:%M"), b.astimezone(CHI).strftime("%H:%M")) for a, b in free
    ]
    assert spans == [("09:00", "13:00"), ("14:00", "17:00")]
    # an edit writes back to its own calendar, never to the default one
    appointments.edit(
        pr.ctx,
        OccurrenceRef(team["Case conference"].id),  # type: ignore[arg-type]
        title="Case conference (room 2)",
    )
    assert pr.sync().pushed == 1
    assert pr.emu.state.get(TEAM, busy["id"])["summary"] == "Case conference (room 2)"
    assert pr.remote(CAL) == []
    # "this and following" fork of the recurring one stays on the team calendar
    huddle = team["Huddle"]
    fork_at = datetime(2026, 12, 5, 8, 0, tzinfo=CHI)
    appointments.edit(
        pr.ctx,
        OccurrenceRef(huddle.id, fork_at.astimezone(UTC)),  # type: ignore[arg-type]
        Scope.FOLLOWING,
        start=fork_at + timedelta(hours=1),
        end=fork_at + timedelta(hours=1, minutes=30),
    )
    forked = pr.sync()
    assert forked.errors == 0
    assert forked.pushed == 2
    live = pr.emu.state.live_events(TEAM)
    assert len([e for e in live if e.get("recurrence")]) == 2
    assert pr.remote(CAL) == []
    # removing the calendar keeps its events, tied to it, and never pushes them elsewhere
    google_settings.select_calendar(pr.ctx, pr.pat.id, TEAM, False)
    appointments.edit(pr.ctx, OccurrenceRef(team["Optional lunch"].id), title="Lunch!")  # type: ignore[arg-type]
    after = pr.sync()
    assert after.pushed == 0
    kept = [e for e in pr.local_events() if e.source_calendar == TEAM]
    assert len(kept) == 4
    assert pr.remote(CAL) == []
    assert pending_changes(pr.engine()).total == 0


def test_one_way_removes_google_events_and_two_way_resyncs_without_duplicates(pr: Practice) -> None:
    s1 = pr.session()
    pr.emu.state.create(
        CAL, summary="From Google", start={"date": "2026-12-02"}, end={"date": "2026-12-03"}
    )
    pr.sync()
    assert len(pr.local_events()) == 2
    _settings, removed = google_settings.set_mode(pr.ctx, pr.pat.id, "one-way")
    assert removed == 1
    assert [e.id for e in pr.local_events()] == [s1.id]
    report = pr.sync()
    assert report.pulled == 0
    google_settings.set_identifier(pr.ctx, pr.pat.id, "first-name")
    google_settings.set_mode(pr.ctx, pr.pat.id, "two-way")
    back = pr.sync()
    assert back.pulled == 1
    assert back.pushed == 1
    assert sorted(e["summary"] for e in pr.remote()) == ["From Google", "Jane"]
    assert len(pr.local_events()) == 2
    assert pr.sync().pushed == 0


def test_endpoint_must_be_loopback() -> None:
    assert (
        endpoint_from_env({"SESSIONS_TUI_GOOGLE_ENDPOINT": "http://127.0.0.1:9/calendar/v3"})
        == "http://127.0.0.1:9/calendar/v3/"
    )
    assert endpoint_from_env({}) is None
    for bad in ("http://example.com/calendar/v3/", "http://10.0.0.1/", "ftp://127.0.0.1/"):
        with pytest.raises(SyncError, match="loopback"):
            endpoint_from_env({"SESSIONS_TUI_GOOGLE_ENDPOINT": bad})


def test_sync_of_an_unconnected_practitioner_is_a_clear_error(pr: Practice) -> None:
    google_settings.disconnect(pr.ctx, pr.pat.id)
    with pytest.raises(SyncError, match="not connected"):
        pr.sync()


# --- killed mid-sync ------------------------------------------------------------------------


def _cli(db: Path, endpoint: str, *args: str) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        SESSIONS_TUI_GOOGLE_ENDPOINT=endpoint,
        SESSIONS_TUI_NOW="2026-11-25T16:00:00+00:00",
    )
    return subprocess.Popen(
        [*as_login("admin"), *args, "--db", str(db), "--user", "admin"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _build_practice(pr: Practice) -> None:
    for i in range(120):
        pr.session(pr.jane if i % 2 else pr.bob, start=T0 + timedelta(days=i))
    pr.session(start=T0 + timedelta(hours=5), rrule="FREQ=WEEKLY;COUNT=8")
    for i in range(20):
        pr.emu.state.create(
            CAL,
            summary=f"G{i}",
            start={"date": f"2026-12-{i + 1:02d}"},
            end={"date": f"2026-12-{i + 2:02d}"},
        )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_killed_mid_sync_converges_without_duplicates(pr: Practice, seed: int) -> None:
    _build_practice(pr)
    # a series with an override, edited locally, so overrides are in flight too
    series = next(e for e in pr.local_events() if e.rrule)
    rid = (T0 + timedelta(hours=5, weeks=2)).astimezone(UTC)
    appointments.edit(
        pr.ctx,
        OccurrenceRef(series.id, rid),
        Scope.THIS,  # type: ignore[arg-type]
        start=rid + timedelta(hours=1),
        end=rid + timedelta(hours=1, minutes=50),
    )
    db_path = Path(pr.db.url.removeprefix("sqlite:///"))
    st = pr.emu.state
    rng = random.Random(seed)
    kills = 0
    for run in range(3):
        proc = _cli(db_path, pr.emu.endpoint, "google", "sync", "--practitioner", "pat")
        target = st.calls + rng.randint(1, 4)

        def kill(p: subprocess.Popen[bytes] = proc) -> None:
            p.send_signal(signal.SIGKILL)  # after Google applied the call, before the reply

        st.after_call[target] = kill
        proc.wait(timeout=60)
        st.after_call.pop(target, None)
        kills += proc.returncode == -signal.SIGKILL
        pr.emu.state.create(
            CAL,
            summary=f"meanwhile {run}",
            start={"date": "2027-01-05"},
            end={"date": "2027-01-06"},
        )
    assert kills >= 1
    final = _cli(db_path, pr.emu.endpoint, "google", "sync", "--practitioner", "pat")
    out, err = final.communicate(timeout=120)
    assert final.returncode == 0, err.decode()
    assert "errors 0" in out.decode()
    local = pr.local_events()
    remote = pr.remote()
    # nothing duplicated either side
    uids = [
        (e.get("extendedProperties") or {}).get("private", {}).get("sessionsTuiUid")
        for e in remote
        if not e.get("recurringEventId")
    ]
    mine = [u for u in uids if u]
    assert len(mine) == len(set(mine)) == 121
    titles = [e.title for e in local if e.kind is EventKind.OTHER]
    assert len(titles) == len(set(titles)) == 20 + 3
    # nothing lost: every local event is in Google and every Google event is here
    assert {e.uid for e in local if e.kind is EventKind.SESSION and e.series_id is None} == set(
        mine
    )
    assert len([e for e in remote if e.get("recurringEventId")]) == 1
    assert pending_changes(pr.engine()).total == 0
    quiet = pr.sync()
    assert (quiet.pushed, quiet.pulled, quiet.deleted, quiet.errors) == (0, 0, 0, 0)


def test_issue_13_series_deleted_in_google_keeps_completed_and_cancelled_sessions(
    pr: Practice,
) -> None:
    from sessions_tui.domain.events import Status

    series = pr.session(rrule="FREQ=WEEKLY;COUNT=6")
    assert series.id is not None
    week = timedelta(weeks=1)
    appointments.edit(pr.ctx, OccurrenceRef(series.id, T0 + week), Scope.THIS, notes_completed=True)
    appointments.cancel(pr.ctx, OccurrenceRef(series.id, T0 + 2 * week), Scope.THIS)
    pr.sync()
    master = pr.remote_by_uid(series.uid)  # type: ignore[arg-type]
    pr.emu.state.remove(CAL, master["id"])  # the whole series, deleted in Google
    report = pr.sync()
    kept = pr.local_events()
    assert sorted((e.start, e.notes_completed, e.status) for e in kept) == [
        ((T0 + week).astimezone(UTC), True, Status.SCHEDULED),
        ((T0 + 2 * week).astimezone(UTC), False, Status.CANCELLED),
    ]
    assert all(e.rrule is None and e.series_id is None for e in kept)
    assert "kept" in " ".join(report.messages) or report.deleted == 1
    # ... and they are back in Google, as events of their own.
    live = sorted(pr.remote(), key=lambda e: e["start"]["dateTime"])
    assert [e.get("status", "confirmed") for e in live] == ["confirmed", "confirmed"]
    assert [e["summary"] for e in live] == ["J.D.", "Cancelled: J.D."]
    quiet = pr.sync()
    assert (quiet.pushed, quiet.pulled, quiet.deleted) == (0, 0, 0)
    assert len(pr.remote()) == 2
