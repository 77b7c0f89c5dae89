"""A real CalDAV server for the tests: Radicale (from the test extra) as a subprocess on
127.0.0.1, with its own storage folder and htpasswd (plain) users, and a practice synced to it.

One server per test run (the session fixture ``radicale`` in tests/conftest.py); each test
gets its own user and calendars (MKCALENDAR), so tests never see each other's events.
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sessions_tui.clock import FixedClock
from sessions_tui.domain.events import Event, EventKind
from sessions_tui.domain.model import Client, Role, Staff
from sessions_tui.services import appointments, caldav_settings, practice, scheduling
from sessions_tui.services.context import Context
from sessions_tui.store.db import Database
from sessions_tui.sync.caldav import CalDavEngine
from sessions_tui.sync.caldav.dav import DavClient
from sessions_tui.sync.engine import SyncReport

CHI = ZoneInfo("America/Chicago")
T0 = datetime(2026, 11, 30, 10, 0, tzinfo=CHI)  # a Monday, 10:00 Chicago
S0_SERIES = datetime(2027, 3, 1, 10, 0, tzinfo=CHI)  # weekly from here crosses US DST (03-14)
PASSWORD = "s3cret-app-password"
USERS = [f"user{i}" for i in range(200)]
_next_user = itertools.count()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Radicale:
    """A Radicale server on 127.0.0.1 (stopped by :meth:`stop`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "users").write_text("".join(f"{u}:{PASSWORD}\n" for u in USERS))
        self.port = _free_port()
        config = folder / "config"
        config.write_text(
            "[server]\n"
            f"hosts = 127.0.0.1:{self.port}\n"
            "[auth]\ntype = htpasswd\n"
            f"htpasswd_filename = {folder / 'users'}\nhtpasswd_encryption = plain\n"
            # No wait after a failed login: the client's first request is unauthenticated.
            "delay = 0\n"
            "[rights]\ntype = owner_only\n"
            f"[storage]\nfilesystem_folder = {folder / 'storage'}\n"
            "[web]\ntype = none\n"
            "[logging]\nlevel = error\n"
        )
        self.log = open(folder / "radicale.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--config", str(config)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((folder / "radicale.log").read_text())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("Radicale did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def new_user(self) -> str:
        return USERS[next(_next_user) % len(USERS)]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class Remote:
    """The server side as another CalDAV client (a phone, Apple Calendar) sees it."""

    def __init__(self, server: Radicale, user: str) -> None:
        from caldav.davclient import DAVClient

        self.user = user
        self.client = DAVClient(server.url, username=user, password=PASSWORD, enable_rfc6764=False)
        self.principal = self.client.principal()

    def make_calendar(self, slug: str, name: str) -> str:
        cal = self.principal.make_calendar(name=name, cal_id=slug)
        return str(cal.url)

    def calendar(self, url: str) -> Any:
        return self.client.calendar(url=url)

    def resources(self, url: str) -> list[Any]:
        """Every resource of the calendar, loaded (``.icalendar_instance``, ``.url``)."""
        objs = list(self.calendar(url).search(event=True))
        for o in objs:
            if o.data is None:
                o.load()
        return objs

    def vevents(self, url: str) -> list[Any]:
        out = []
        for o in self.resources(url):
            out.extend(o.icalendar_instance.walk("VEVENT"))
        return out

    def summaries(self, url: str) -> list[str]:
        return sorted(
            str(v.get("summary")) for v in self.vevents(url) if not v.get("recurrence-id")
        )

    def add(self, url: str, ics: str) -> Any:
        return self.calendar(url).save_event(ics)


class Practice:
    """A practice with one practitioner (Pat), two clients, connected to a fresh CalDAV user
    with two calendars: ``work`` (the default) and ``personal`` (a secondary)."""

    def __init__(self, ctx: Context, server: Radicale) -> None:
        self.ctx = ctx
        self.server = server
        self.pat: Staff = practice.add_staff(ctx, "pat", "Pat Practitioner", {Role.PRACTITIONER})
        self.jane: Client = practice.add_client(ctx, "Jane", "Doe", "C-17")
        self.bob: Client = practice.add_client(ctx, "Bob", "Roe")
        self.user = server.new_user()
        self.remote = Remote(server, self.user)
        self.work = self.remote.make_calendar(f"work-{id(self)}", "Work")
        self.personal = self.remote.make_calendar(f"personal-{id(self)}", "Personal")
        self.dav = DavClient(server.url, self.user, PASSWORD)
        found = [(c.url, c.name) for c in self.dav.discover()]
        caldav_settings.connect(
            ctx,
            self.pat.id,
            url=server.url,
            username=self.user,
            calendars=found,
            default_url=self.work,
        )

    @property
    def db(self) -> Database:
        return self.ctx.db

    def engine(self, **kwargs: Any) -> CalDavEngine:
        return CalDavEngine(self.db, self.ctx.clock, self.pat.id, self.dav, **kwargs)

    def sync(self, **kwargs: Any) -> SyncReport:
        return self.engine(**kwargs).run()

    def at(self, minutes: int) -> None:
        clock = self.ctx.clock
        assert isinstance(clock, FixedClock)
        self.ctx = Context(
            self.db, FixedClock(clock.at + timedelta(minutes=minutes)), self.ctx.actor
        )

    def session(
        self, client: Client | None = None, start: datetime = T0, minutes: int = 50, **kw: Any
    ) -> Event:
        ev = scheduling.session_event(
            practitioner=self.pat,
            client=client or self.jane,
            start=start,
            minutes=minutes,
            tzid="America/Chicago",
            **kw,
        )
        change = appointments.create(self.ctx, ev)
        assert change.result_id is not None
        return scheduling.get_event(self.ctx, change.result_id)

    def other(self, title: str, start: datetime = T0, minutes: int = 60, **kw: Any) -> Event:
        ev = Event(
            kind=EventKind.OTHER,
            title=title,
            start=start.astimezone(UTC),
            end=(start + timedelta(minutes=minutes)).astimezone(UTC),
            tzid="America/Chicago",
            practitioner_id=self.pat.id,
            **kw,
        )
        change = appointments.create(self.ctx, ev)
        assert change.result_id is not None
        return scheduling.get_event(self.ctx, change.result_id)

    def local_events(self) -> list[Event]:
        from sqlalchemy import select

        from sessions_tui.store import queries
        from sessions_tui.store.tables import EventRow, ExdateRow

        with self.db.session() as s:
            rows = s.execute(select(EventRow).order_by(EventRow.id)).scalars().all()
            out = []
            for r in rows:
                keys = (
                    s.execute(select(ExdateRow.recurrence_key).where(ExdateRow.series_id == r.id))
                    .scalars()
                    .all()
                )
                out.append(queries.row_to_event(r, keys))
            return out


@pytest.fixture(name="pr")
def pr_fixture(admin_ctx: Context, radicale: Radicale) -> Practice:
    return Practice(admin_ctx, radicale)
