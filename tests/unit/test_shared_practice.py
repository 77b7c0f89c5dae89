"""A shared practice: audit log, stale edits, double-booking races, locks and change watching,
on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pg_support import drop_database, new_database
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from sessions_tui.clock import FixedClock
from sessions_tui.domain.errors import ConflictError
from sessions_tui.domain.events import Event, EventKind
from sessions_tui.domain.model import Role
from sessions_tui.domain.officehours import WeeklyHours, WeeklyInterval
from sessions_tui.services import appointments as ap
from sessions_tui.services import audit, hours, practice, scheduling
from sessions_tui.services.context import Context, make_context
from sessions_tui.store.db import Database, open_database
from sessions_tui.store.locks import PracticeLock
from sessions_tui.store.watch import watcher_for

CHI = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _logged_in_as_alice(monkeypatch: pytest.MonkeyPatch) -> None:
    """The OS login is alice, the practice's admin, who may act as sam on SQLite (issue 15)."""
    monkeypatch.setattr("sessions_tui.identity._system_login", lambda: "alice")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh practice database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
        return
    admin = request.getfixturevalue("pg_admin")
    db_url = new_database(admin)
    yield db_url
    drop_database(admin, db_url)


def _practice(url: str) -> tuple[Database, Context, Context, int, int]:
    """An admin (alice, practitioner) and a scheduler (sam) on a new practice."""
    db = open_database(url)
    clock = FixedClock(NOW)
    alice = practice.add_staff(
        Context(db, clock, None), "alice", "Alice Moreno", {Role.ADMIN, Role.PRACTITIONER}
    )
    actx = Context(db, clock, alice)
    sam = practice.add_staff(actx, "sam", "Sam Whitaker", {Role.SCHEDULER})
    client = practice.add_client(actx, "Jane", "Doe", None)
    return db, actx, Context(db, clock, sam), alice.id, client.id


def _session(pid: int, cid: int, start: datetime, minutes: int = 50) -> Event:
    return Event(
        kind=EventKind.SESSION,
        start=start,
        end=start + timedelta(minutes=minutes),
        tzid="America/Chicago",
        practitioner_id=pid,
        client_id=cid,
    )


def test_audit_records_who_before_and_after(url: str) -> None:
    db, actx, sctx, pid, cid = _practice(url)
    try:
        start = datetime(2026, 12, 1, 10, tzinfo=CHI)
        made = ap.create(sctx, _session(pid, cid, start))
        assert made.result_id is not None
        ap.move(sctx, ap.OccurrenceRef(made.result_id), timedelta(hours=1))
        hours.set_hours(
            actx,
            WeeklyHours(
                "America/Chicago",
                (
                    WeeklyInterval(
                        0, datetime.min.time().replace(hour=9), datetime.min.time().replace(hour=17)
                    ),
                ),
            ),
        )
        practice.update_settings(actx, allow_double_booking=False)
        history = audit.event_history(actx, made.result_id)
        assert [(e.actor, e.action) for e in history] == [("sam", "insert"), ("sam", "update")]
        moved = history[1].changes["start (UTC)"]
        assert str(moved[0]).startswith("2026-12-01")
        assert "16:00" in str(moved[0])
        assert "17:00" in str(moved[1])
        entities = {(e.entity, e.actor) for e in audit.recent(actx)}
        assert ("hours", "alice") in entities
        assert ("hours_interval", "alice") in entities
        assert ("practice", "alice") in entities
    finally:
        db.dispose()


def test_audit_log_cannot_be_changed(url: str) -> None:
    db, actx, _sctx, pid, cid = _practice(url)
    try:
        ap.create(actx, _session(pid, cid, datetime(2026, 12, 1, 10, tzinfo=CHI)))
        for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
            with pytest.raises(DBAPIError, match="append-only"), db.session() as s:
                s.execute(text(statement))
        with db.read() as s:
            actors = set(s.execute(text("SELECT actor FROM audit_log")).scalars())
        assert "mallory" not in actors
        assert "alice" in actors
    finally:
        db.dispose()


def test_stale_edit_is_refused_with_what_changed(url: str) -> None:
    db, actx, sctx, pid, cid = _practice(url)
    try:
        made = ap.create(actx, _session(pid, cid, datetime(2026, 12, 1, 10, tzinfo=CHI)))
        assert made.result_id is not None
        ref = ap.OccurrenceRef(made.result_id)
        loaded_by_alice = scheduling.get_event(actx, made.result_id)
        loaded_by_sam = scheduling.get_event(sctx, made.result_id)
        ap.edit(
            sctx,
            ref,
            expected=loaded_by_sam,
            start=datetime(2026, 12, 1, 11, tzinfo=CHI),
            end=datetime(2026, 12, 1, 11, 50, tzinfo=CHI),
        )
        with pytest.raises(ap.StaleEdit) as caught:
            ap.edit(actx, ref, expected=loaded_by_alice, notes_completed=True)
        message = str(caught.value)
        assert "sam changed this event" in message
        assert "start Tue 10:00 → Tue 11:00" in message
        assert caught.value.current.version == loaded_by_alice.version + 1
        # Nothing was written by the refused save.
        assert scheduling.get_event(actx, made.result_id).notes_completed is False
        # Reload and save, or overwrite on purpose.
        ap.edit(actx, ref, expected=caught.value.current, notes_completed=True)
        assert scheduling.get_event(actx, made.result_id).notes_completed is True
        ap.edit(actx, ref, expected=None, status="cancelled")
        assert scheduling.get_event(actx, made.result_id).status.value == "cancelled"
    finally:
        db.dispose()


def test_concurrent_booking_race_exactly_one_wins(url: str) -> None:
    db, actx, _sctx, pid, cid = _practice(url)
    practice.update_settings(actx, allow_double_booking=False)
    db.dispose()
    rounds, contenders = 6, 5
    for r in range(rounds):
        start = datetime(2026, 12, 1 + r, 10, tzinfo=CHI)
        barrier = threading.Barrier(contenders)
        results: list[str] = []

        def book(
            offset: int,
            start: datetime = start,
            barrier: threading.Barrier = barrier,
            results: list[str] = results,
        ) -> None:
            mine = open_database(url)  # each "scheduler" is its own client
            try:
                ctx = make_context(mine, FixedClock(NOW), "sam")
                barrier.wait()
                ap.create(ctx, _session(pid, cid, start + timedelta(minutes=5 * offset)))
                results.append("ok")
            except ConflictError:
                results.append("refused")
            finally:
                mine.dispose()

        threads = [threading.Thread(target=book, args=(i,)) for i in range(contenders)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == ["ok"] + ["refused"] * (contenders - 1)
    check = open_database(url)
    try:
        ctx = make_context(check, FixedClock(NOW), "alice")
        items = scheduling.agenda(
            ctx, datetime(2026, 12, 1, tzinfo=CHI), datetime(2026, 12, 10, tzinfo=CHI), CHI
        )
        assert len(items) == rounds
    finally:
        check.dispose()


def test_practice_lock_has_one_holder(url: str) -> None:
    db, *_ = _practice(url)
    other = open_database(url)
    try:
        first = PracticeLock(db, "google-sync", "host-a:1")
        second = PracticeLock(other, "google-sync", "host-b:2")
        assert first.acquire(NOW)
        assert not second.acquire(NOW)
        assert first.acquire(NOW + timedelta(seconds=30))  # renewing is fine
        first.release()
        assert second.acquire(NOW + timedelta(seconds=31))
        assert not first.acquire(NOW + timedelta(seconds=32))
        second.release()
    finally:
        other.dispose()
        db.dispose()


def test_sqlite_lease_of_a_dead_holder_expires(tmp_path: Path) -> None:
    db, *_ = _practice(f"sqlite:///{tmp_path / 'lease.db'}")
    try:
        dead = PracticeLock(db, "google-sync", "host-a:1", ttl=timedelta(minutes=2))
        assert dead.acquire(NOW)
        alive = PracticeLock(db, "google-sync", "host-b:2")
        assert not alive.acquire(NOW + timedelta(minutes=1))
        assert alive.acquire(NOW + timedelta(minutes=3))
        assert alive.held_by(NOW + timedelta(minutes=3)) == "host-b:2"
    finally:
        db.dispose()


def test_watcher_sees_another_clients_change(url: str) -> None:
    db, _actx, _sctx, pid, cid = _practice(url)
    other = open_database(url)
    watcher = watcher_for(db)
    try:
        assert watcher.changed() is False
        octx = make_context(other, FixedClock(NOW), "sam")
        ap.create(octx, _session(pid, cid, datetime(2026, 12, 2, 9, tzinfo=CHI)))
        # A notification travels asynchronously: poll until it is seen (the app polls too). The
        # deadline only stops a hung test; how soon the app looks is its interval, not this.
        deadline = time.monotonic() + 30.0
        seen = watcher.changed()
        while not seen and time.monotonic() < deadline:
            time.sleep(0.05)
            seen = watcher.changed()
        assert seen is True
        time.sleep(0.2)
        assert watcher.changed() is False  # once per change
    finally:
        watcher.close()
        other.dispose()
        db.dispose()
