"""Issue 25: one set of sync tables. A database made and synced by the code before migration 0014
(Google against the emulator, CalDAV against Radicale) upgrades, then syncs with nothing pushed
and no duplicate on either side; its links still hold (an edit afterwards is an update, not a
second copy).

The old database is made honestly: the package as it was at ``OLD_COMMIT`` (the last commit
before the new tables) is exported with ``git archive`` and run in a subprocess against the same
emulator and Radicale this test runs. Skipped, saying why, where git or that commit is missing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from sessions_tui.clock import FixedClock
from sessions_tui.services import appointments
from sessions_tui.services.appointments import OccurrenceRef
from sessions_tui.services.context import make_context
from sessions_tui.store.db import Database, open_database
from sessions_tui.store.tables import EventRow, SyncAccountRow, SyncLinkRow
from sessions_tui.sync.caldav import CalDavEngine
from sessions_tui.sync.caldav.dav import DavClient
from sessions_tui.sync.google import SyncEngine, build_service

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from google_emulator import CalendarEmulator

from .caldav_harness import PASSWORD, Remote

ROOT = Path(__file__).resolve().parents[2]
OLD_COMMIT = "6b8f0b2"
"""main before issue 25: google_* and caldav_* tables, schema 0013."""
CAL = "primary@example.com"
NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
WRITES = ("events.insert", "events.patch", "events.update", "events.delete")

# Run by the old code: a practice, Pat synced with Google and Sam with CalDAV, each with a weekly
# client-session series (one occurrence moved, one removed), a one-off and a remote event pulled.
OLD_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo
    from sessions_tui.clock import FixedClock
    from sessions_tui.domain.events import Event, EventKind
    from sessions_tui.domain.model import Role
    from sessions_tui.services import appointments, caldav_settings, google_settings
    from sessions_tui.services import practice, scheduling
    from sessions_tui.services.appointments import OccurrenceRef, Scope
    from sessions_tui.services.context import Context
    from sessions_tui.store.db import open_database
    from sessions_tui.sync.caldav import CalDavEngine
    from sessions_tui.sync.caldav.dav import DavClient
    from sessions_tui.sync.google import SyncEngine, build_service

    a = json.loads(sys.argv[1])
    chi = ZoneInfo("America/Chicago")
    clock = FixedClock(datetime(2026, 11, 25, 16, 0, tzinfo=UTC))
    db = open_database(a["db"])
    roles = {Role.ADMIN, Role.PRACTITIONER}
    admin = practice.add_staff(Context(db, clock, None), "admin", "Ada Admin", roles)
    ctx = Context(db, clock, admin)
    jane = practice.add_client(ctx, "Jane", "Doe", "C-17")
    pat = practice.add_staff(ctx, "pat", "Pat P", {Role.PRACTITIONER})
    sam = practice.add_staff(ctx, "sam", "Sam S", {Role.PRACTITIONER})
    google_settings.connect(ctx, pat.id, a["cal"])
    dav = DavClient(a["dav"], a["user"], a["password"])
    found = [(c.url, c.name) for c in dav.discover()]
    caldav_settings.connect(ctx, sam.id, url=a["dav"], username=a["user"], calendars=found,
                            default_url=a["work"])
    t0 = datetime(2026, 11, 30, 10, 0, tzinfo=chi)
    for who in (pat, sam):
        ev = scheduling.session_event(practitioner=who, client=jane, start=t0, minutes=50,
                                      tzid="America/Chicago", rrule="FREQ=WEEKLY;COUNT=6")
        series = appointments.create(ctx, ev).result_id
        second, third = t0 + timedelta(weeks=1), t0 + timedelta(weeks=2)
        appointments.edit(ctx, OccurrenceRef(series, second.astimezone(UTC)), Scope.THIS,
                          start=second + timedelta(hours=3),
                          end=second + timedelta(hours=3, minutes=50))
        appointments.remove(ctx, OccurrenceRef(series, third.astimezone(UTC)), Scope.THIS)
        start = datetime(2026, 12, 2, 12, 0, tzinfo=chi)
        appointments.create(ctx, Event(kind=EventKind.OTHER, title="Staff meeting",
                                       start=start.astimezone(UTC),
                                       end=(start + timedelta(hours=1)).astimezone(UTC),
                                       tzid="America/Chicago", practitioner_id=who.id))
    reports = []
    for _ in range(2):  # the second run settles (nothing left to do)
        g = SyncEngine(db, clock, pat.id, build_service(a["emu"]), api_root=a["emu"],
                       sleep=lambda _s: None).run()
        c = CalDavEngine(db, clock, sam.id, dav).run()
        reports.append([g.pushed, g.pulled, g.errors, c.pushed, c.pulled, c.errors])
    print(json.dumps({"reports": reports, "pat": pat.id, "sam": sam.id}))
    """
)


class CountingDav(DavClient):
    """A DavClient that counts what it writes to the server."""

    writes = 0

    def put(self, href: str, text: str, *, etag: str | None, create: bool) -> Any:
        self.writes += 1
        return super().put(href, text, etag=etag, create=create)

    def delete_resource(self, href: str, *, etag: str | None) -> Any:
        self.writes += 1
        return super().delete_resource(href, etag=etag)


@pytest.fixture(name="old_code")
def old_code_fixture(tmp_path: Path) -> Path:
    """The package as it was at :data:`OLD_COMMIT`, exported into ``tmp_path / "old"``."""
    target = tmp_path / "old"
    target.mkdir()
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", OLD_COMMIT, "sessions_tui"],
            check=True,
            capture_output=True,
        )
    except FileNotFoundError:
        pytest.skip("git is not installed: cannot make a database with the code before 0014")
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"commit {OLD_COMMIT} is not in this repository ({exc.stderr.decode()[:80]})")
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


@pytest.fixture(name="emu")
def emu_fixture() -> Iterator[CalendarEmulator]:
    with CalendarEmulator() as e:
        e.state.clock = lambda: NOW
        yield e


def _run_old(old: Path, args: dict[str, str]) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(old), "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [sys.executable, "-c", OLD_SCRIPT, json.dumps(args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=old,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _upgrade(url: str) -> None:
    """``sessions-tui db upgrade`` with this checkout's code."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "sessions_tui", "db", "upgrade", "--db", url, "--user", "admin"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "revision 0014" in proc.stdout or "is at revision" in proc.stdout


def _old_link_counts(url: str) -> tuple[int, int]:
    db = open_database(url, migrate=False)
    try:
        with db.engine.connect() as conn:
            google = conn.execute(text("SELECT count(*) FROM google_link")).scalar_one()
            caldav = conn.execute(text("SELECT count(*) FROM caldav_link")).scalar_one()
            return int(google), int(caldav)
    finally:
        db.dispose()


def _radicale_state(remote: Remote, url: str) -> dict[str, str]:
    return {str(o.url): o.data for o in remote.resources(url)}


def _event_count(db: Database) -> int:
    with db.session() as s:
        return int(s.execute(select(func.count()).select_from(EventRow)).scalar_one())


def _check(old: Path, url: str, emu: CalendarEmulator, radicale: Any) -> None:
    st = emu.state
    st.create(
        CAL,
        summary="Dentist",
        start={"dateTime": "2026-12-01T09:00:00-06:00", "timeZone": "America/Chicago"},
        end={"dateTime": "2026-12-01T09:30:00-06:00", "timeZone": "America/Chicago"},
    )
    user = radicale.new_user()
    remote = Remote(radicale, user)
    work = remote.make_calendar(f"work-{id(remote)}", "Work")
    remote.add(
        work,
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//phone//EN\r\nBEGIN:VEVENT\r\nUID:phone-1\r\n"
        "DTSTAMP:20261125T120000Z\r\nDTSTART;TZID=America/Chicago:20261201T090000\r\n"
        "DTEND;TZID=America/Chicago:20261201T093000\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n",
    )
    args = {
        "db": url,
        "emu": emu.endpoint,
        "cal": CAL,
        "dav": radicale.url,
        "user": user,
        "password": PASSWORD,
        "work": work,
    }
    made = _run_old(old, args)
    first, settled = made["reports"]
    # The old code did sync: series + override + one-off pushed to each, Dentist pulled.
    assert (first[1], first[4]) == (1, 1), first
    assert first[0] >= 3, first
    assert first[3] >= 2, first
    assert settled == [0, 0, 0, 0, 0, 0], settled
    google_links, caldav_links = _old_link_counts(url)
    google_before = sorted((e["id"], e["etag"]) for e in st.live_events(CAL))
    dav_before = _radicale_state(remote, work)
    writes_before = {m: st.ops_by_method[m] for m in WRITES}

    _upgrade(url)

    db = open_database(url)
    try:
        with db.session() as s:
            accounts = {a.provider: a for a in s.execute(select(SyncAccountRow)).scalars()}
            links = s.execute(select(SyncLinkRow)).scalars().all()
        assert set(accounts) == {"google", "caldav"}
        assert accounts["google"].id != accounts["caldav"].id
        assert accounts["google"].practitioner_id == made["pat"]
        assert accounts["caldav"].practitioner_id == made["sam"]
        assert len(links) == google_links + caldav_links
        events_before = _event_count(db)
        ctx = make_context(db, FixedClock(NOW), "admin")
        dav = CountingDav(radicale.url, user, PASSWORD)

        def sync() -> tuple[Any, Any]:
            google = SyncEngine(
                db,
                ctx.clock,
                made["pat"],
                build_service(emu.endpoint),
                api_root=emu.endpoint,
                sleep=lambda _s: None,
            ).run()
            return google, CalDavEngine(db, ctx.clock, made["sam"], dav).run()

        google, caldav = sync()
        assert (google.pushed, google.pulled, google.errors) == (0, 0, 0), google
        assert (caldav.pushed, caldav.pulled, caldav.errors) == (0, 0, 0), caldav
        # Neither server saw a write; nothing doubled on either side.
        assert {m: st.ops_by_method[m] for m in WRITES} == writes_before
        assert dav.writes == 0
        assert sorted((e["id"], e["etag"]) for e in st.live_events(CAL)) == google_before
        assert _radicale_state(remote, work) == dav_before
        assert _event_count(db) == events_before
        with db.session() as s:
            titles = [
                r.title for r in s.execute(select(EventRow)).scalars() if r.title == "Dentist"
            ]
        assert titles == ["Dentist", "Dentist"]  # one per provider, once each

        # The links still tie each family to its remote copy: an edit is an update there.
        with db.session() as s:
            meetings = [
                r.id for r in s.execute(select(EventRow)).scalars() if r.title == "Staff meeting"
            ]
        for event_id in meetings:
            assert event_id is not None
            appointments.edit(ctx, OccurrenceRef(event_id, None), title="Team meeting")
        google, caldav = sync()
        assert (google.pushed, caldav.pushed, google.errors, caldav.errors) == (1, 1, 0, 0)
        assert st.ops_by_method["events.insert"] == writes_before["events.insert"]
        assert len(st.live_events(CAL)) == len(google_before)
        assert set(_radicale_state(remote, work)) == set(dav_before)
    finally:
        db.dispose()


def test_issue_25_migration_keeps_every_link_sqlite(
    old_code: Path, tmp_path: Path, emu: CalendarEmulator, radicale: Any
) -> None:
    _check(old_code, str(tmp_path / "old.db"), emu, radicale)


def test_issue_25_migration_keeps_every_link_postgresql(
    old_code: Path, pg_admin: str, emu: CalendarEmulator, radicale: Any
) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from pg_support import new_database

    url = new_database(pg_admin, migrated=False)
    _check(old_code, url, emu, radicale)
    db = open_database(url)
    try:
        with db.engine.connect() as conn:
            secured = conn.execute(
                text(
                    "SELECT c.relname FROM pg_class c WHERE c.relrowsecurity AND c.relname IN "
                    "('sync_account', 'sync_calendar', 'sync_link')"
                )
            ).scalars()
            assert sorted(secured) == ["sync_account", "sync_calendar", "sync_link"]
            policy = conn.execute(
                text(
                    "SELECT qual FROM pg_policies WHERE tablename = 'sync_account' "
                    "AND policyname = 'sessions_update'"
                )
            ).scalar_one()
            assert "sessions_my_id()" in policy
            granted = conn.execute(
                text(
                    "SELECT has_table_privilege('sessions_practitioner', 'sync_link', 'INSERT') "
                    "AND has_table_privilege('sessions_practitioner', 'sync_account', 'UPDATE')"
                )
            ).scalar_one()
            assert granted
    finally:
        db.dispose()
