"""Issue 25: the sync promises, once per provider (the Google emulator driven by the real
google-api-python-client, and a real Radicale): a client's sessions exist here and remotely,
nothing duplicated, nothing lost, whatever the other side does.

Every provider-specific line is in ``tests/sync_harness.py``; the cases that fail on today's
main are marked there by :func:`providers` (``xfail(strict=True)``). The issue's failures are in
``test_issue_25_failures.py`` and ``test_issue_25_splits.py``.
"""

from __future__ import annotations

import sys
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from sessions_tui.services import appointments
from sessions_tui.services.appointments import OccurrenceRef, Scope

from ._helpers import cancel_event, edit_event

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
pytest.register_assert_rewrite("sync_harness")
from sync_harness import (  # type: ignore[import-not-found]  # noqa: E402
    NOW,
    S0_SERIES,
    T0,
    Harness,
    check_client_days,
    h_fixture,  # noqa: F401
    local_starts,
    no_duplicates,
    providers,
    remote_starts,
)

DAY = timedelta(days=1)


@providers()
def test_issue_25_first_sync_both_directions(h: Harness) -> None:
    h.session(start=T0)
    h.session(h.bob, start=T0 + DAY)
    h.other("Supervision", start=T0 + 2 * DAY)
    h.remote_create("Dentist", T0 + 3 * DAY)
    h.remote_create("Yoga", T0 + 4 * DAY, rrule="FREQ=WEEKLY;COUNT=3")

    report = h.sync()
    assert report.errors == 0, report

    check_client_days(h, h.jane, [T0])
    check_client_days(h, h.bob, [T0 + DAY], remote_title="B.R.")
    assert remote_starts(h, "Supervision") == [T0 + 2 * DAY]
    here = {(o.event.title, o.start.astimezone(T0.tzinfo)) for o in h.local()}  # type: ignore[union-attr]
    assert ("Dentist", T0 + 3 * DAY) in here
    assert {s for t, s in here if t == "Yoga"} == {T0 + (4 + 7 * i) * DAY for i in range(3)}
    no_duplicates(h)
    # The two sides agree: the next sync writes nothing.
    writes = h.writes
    again = h.sync()
    assert (again.pushed, again.pulled, again.deleted, again.errors) == (0, 0, 0, 0), again
    assert h.writes == writes


@providers()
def test_issue_25_local_edit_pushed(h: Harness) -> None:
    s = h.session(start=T0)
    h.sync()
    h.at(30)
    moved = T0 + DAY + timedelta(hours=2)
    assert s.id is not None
    appointments.edit(h.ctx, OccurrenceRef(s.id), start=moved, end=moved + timedelta(minutes=50))
    assert h.sync().pushed == 1
    check_client_days(h, h.jane, [moved])
    no_duplicates(h)


@providers()
def test_issue_25_remote_edit_pulled(h: Harness) -> None:
    ref = h.remote_create("Dentist", T0 + DAY)
    h.sync()
    moved = T0 + 2 * DAY + timedelta(hours=3)
    h.remote_edit(ref, at=NOW + timedelta(minutes=5), title="Dentist (moved)", start=moved)
    assert h.sync().pulled >= 1
    mine = [
        (o.event.title, o.start.astimezone(T0.tzinfo))  # type: ignore[union-attr]
        for o in h.local()
        if not o.event.is_session
    ]
    assert mine == [("Dentist (moved)", moved)]
    no_duplicates(h)


@providers()
def test_issue_25_series_with_override_and_exdate_across_dst(h: Harness) -> None:
    """A weekly client series from 1 March 2027 crosses the US change to summer time (14
    March): 10:00 in Chicago every week on both sides; the second occurrence moved an hour,
    the fourth deleted. And a series made in the other app, with the same changes made there,
    arrives the same way."""
    series = h.session(h.bob, start=S0_SERIES, rrule="FREQ=WEEKLY;COUNT=5")
    assert series.id is not None
    weeks = [S0_SERIES + timedelta(weeks=i) for i in range(5)]
    appointments.edit(
        h.ctx,
        OccurrenceRef(series.id, weeks[1]),
        Scope.THIS,
        start=weeks[1] + timedelta(hours=1),
        end=weeks[1] + timedelta(hours=1, minutes=50),
    )
    appointments.remove(h.ctx, OccurrenceRef(series.id, weeks[3]), Scope.THIS)
    want = [weeks[0], weeks[1] + timedelta(hours=1), weeks[2], weeks[4]]
    assert all(w.hour in (10, 11) for w in want)  # wall-clock time kept across the change

    assert h.sync().errors == 0
    check_client_days(h, h.bob, want, remote_title="B.R.")
    # Round trip: what is there now comes back unchanged (nothing pulled, nothing pushed).
    again = h.sync()
    assert (again.pushed, again.pulled) == (0, 0), again
    check_client_days(h, h.bob, want, remote_title="B.R.")

    # The other app's series, its own override and exdate, pulled.
    ref = h.remote_create("Yoga", S0_SERIES + timedelta(hours=7), rrule="FREQ=WEEKLY;COUNT=4")
    h.sync()
    yoga = [S0_SERIES + timedelta(hours=7, weeks=i) for i in range(4)]
    assert sorted(o.start for o in h.local() if o.event.title == "Yoga") == yoga
    remote_before = remote_starts(h, "Yoga")
    assert remote_before == yoga
    # Changed here (this occurrence; delete another), pushed, and listed by the server.
    yrow = next(o.event for o in h.local() if o.event.title == "Yoga")
    assert yrow.id is not None
    assert ref
    h.at(30)
    appointments.edit(
        h.ctx,
        OccurrenceRef(yrow.id, yoga[1]),
        Scope.THIS,
        start=yoga[1] + timedelta(hours=1),
        end=yoga[1] + timedelta(hours=2),
    )
    appointments.remove(h.ctx, OccurrenceRef(yrow.id, yoga[2]), Scope.THIS)
    h.sync()
    want_yoga = [yoga[0], yoga[1] + timedelta(hours=1), yoga[3]]
    assert remote_starts(h, "Yoga") == want_yoga
    assert sorted(o.start for o in h.local() if o.event.title == "Yoga") == want_yoga
    no_duplicates(h)


@providers()
def test_issue_25_conflicts_session_keeps_local_other_keeps_later(h: Harness) -> None:
    s = h.session(start=T0)
    o = h.other("Supervision", start=T0 + DAY)
    h.sync()
    s_ref, o_ref = h.ref_of(s), h.ref_of(o)
    assert s.id is not None
    assert o.id is not None
    # Here at +10 minutes, there at +20: both sides changed both events.
    h.at(10)
    here = T0 + timedelta(hours=2)
    appointments.edit(h.ctx, OccurrenceRef(s.id), start=here, end=here + timedelta(minutes=50))
    appointments.edit(h.ctx, OccurrenceRef(o.id), title="Supervision (here)")
    there = NOW + timedelta(minutes=20)
    h.remote_edit(s_ref, at=there, start=T0 + timedelta(hours=4))
    h.remote_edit(o_ref, at=there, title="Supervision (there)")

    report = h.sync()
    assert report.conflicts >= 1, report
    check_client_days(h, h.jane, [here])  # the client session: the local version, both sides
    assert h.get(o).title == "Supervision (there)"  # another event: the later change
    assert [x.title for x in h.remote() if x.ref == o_ref] == ["Supervision (there)"]
    no_duplicates(h)


@providers()
def test_issue_25_protected_deletes_pushed_back(h: Harness) -> None:
    done = h.session(start=T0)
    cancelled = h.session(h.bob, start=T0 + DAY)
    plain = h.session(start=T0 + 2 * DAY)
    h.sync()
    assert done.id is not None
    assert cancelled.id is not None
    edit_event(h.ctx, done.id, notes_completed=True)
    cancel_event(h.ctx, cancelled.id)
    h.sync()
    refs = [h.ref_of(e) for e in (done, cancelled, plain)]
    for ref in refs:
        h.remote_delete(ref)

    assert h.sync().errors == 0
    # Completed notes and cancelled: kept here and pushed back; the plain one deleted here.
    assert local_starts(h, h.jane) == [T0]
    assert local_starts(h, h.bob) == [T0 + DAY]
    starts = sorted(o.start.astimezone(UTC) for o in h.remote())
    assert starts == sorted(x.astimezone(UTC) for x in (T0, T0 + DAY))
    no_duplicates(h)


@providers()
def test_issue_25_one_way_clears_provider_events_never_a_session(h: Harness) -> None:
    h.session(start=T0)
    series = h.session(h.bob, start=S0_SERIES, rrule="FREQ=WEEKLY;COUNT=3")
    assert series.id is not None
    h.remote_create("Dentist", T0 + DAY)
    h.sync()
    assert any(o.event.title == "Dentist" for o in h.local())

    removed = h.set_mode("one-way")
    assert removed == 1
    assert [o.event.title for o in h.local() if not o.event.is_session] == []
    bob = [S0_SERIES + timedelta(weeks=i) for i in range(3)]
    assert local_starts(h, h.jane) == [T0]
    assert local_starts(h, h.bob) == bob
    h.sync()
    check_client_days(h, h.jane, [T0])
    check_client_days(h, h.bob, bob, remote_title="B.R.")
