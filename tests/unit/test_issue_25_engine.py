"""Issue 25: the fixes made once in the one sync engine, each run for both providers (the Google
emulator and a real Radicale): a full resync reconciles deletes whose tombstones are gone, and a
calendar deleted remotely is reported once while the rest of the sync goes on."""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from sessions_tui.domain.events import Event, EventKind
from sessions_tui.domain.model import Role
from sessions_tui.services import (
    appointments,
    caldav_settings,
    google_settings,
    practice,
    scheduling,
)
from sessions_tui.services.context import Context
from sessions_tui.store.tables import SyncCalendarRow
from sessions_tui.sync.caldav import CalDavEngine
from sessions_tui.sync.caldav.dav import DavClient
from sessions_tui.sync.engine import SyncReport
from sessions_tui.sync.google import SyncEngine, build_service

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from google_emulator import CalendarEmulator

from . import caldav_harness, google_harness

T0 = google_harness.T0
MINUTES = timedelta(minutes=50)
TEAM = "team@group.example.com"


class Side:
    """One provider as these tests drive it: the practice synced to it, and its remote side
    as another app sees it."""

    name: str
    pr: Any

    def sync(self) -> SyncReport:
        return self.pr.sync()

    def session(self, **kw: Any) -> Event:
        return self.pr.session(**kw)

    def local_titles(self) -> list[str]:
        return sorted(e.title or str(e.client_id) for e in self.pr.local_events())

    def local_ids(self) -> set[int | None]:
        return {e.id for e in self.pr.local_events()}

    # Provider-specific below.
    def add_remote(self, title: str, start: datetime) -> None:
        raise NotImplementedError

    def remote_count(self) -> int:
        raise NotImplementedError

    def purge_all(self) -> None:
        """Delete every item remotely and make the next listing a full one that no longer
        names them (Google purged the tombstones and answers 410; CalDAV lost the token)."""
        raise NotImplementedError

    def add_secondary(self) -> str:
        raise NotImplementedError

    def delete_calendar(self, calendar: str) -> None:
        raise NotImplementedError

    def selected(self, calendar: str) -> bool:
        raise NotImplementedError

    def second_practitioner(self) -> Any:
        """Another practitioner connected to the same calendar; returns their engine maker."""
        raise NotImplementedError

    def writes(self) -> int:
        """How many writes the server has taken so far."""
        raise NotImplementedError

    def split(self, series: Event, at: datetime, shift: timedelta) -> None:
        """ "This and following" made in the other app at ``at`` (the rest moved by
        ``shift``): the old series ends before it, a new one (new id, none of our private
        properties, no link to the old one) continues it, titled as the old one."""
        raise NotImplementedError

    def marker(self, title: str) -> tuple[bool, str]:
        """Whether the remote copy titled ``title`` is private, and its description."""
        raise NotImplementedError


class GoogleSide(Side):
    name = "google"

    def __init__(self, ctx: Context, emu: CalendarEmulator) -> None:
        self.pr = google_harness.Practice(ctx, emu)
        self.st = emu.state

    def add_remote(self, title: str, start: datetime) -> None:
        self.st.create(
            google_harness.CAL,
            summary=title,
            start={"dateTime": start.isoformat(), "timeZone": "America/Chicago"},
            end={"dateTime": (start + timedelta(hours=1)).isoformat()},
        )

    def remote_count(self) -> int:
        return len(self.st.live_events(google_harness.CAL))

    def purge_all(self) -> None:
        with self.st.lock:
            self.st.calendar(google_harness.CAL).events.clear()
        self.st.invalidate_sync_tokens()

    def add_secondary(self) -> str:
        self.st.add_calendar(TEAM, "Team")
        google_settings.select_calendar(self.pr.ctx, self.pr.pat.id, TEAM, True, summary="Team")
        return TEAM

    def delete_calendar(self, calendar: str) -> None:
        with self.st.lock:
            del self.st.calendars[calendar]

    def selected(self, calendar: str) -> bool:
        settings = google_settings.get_settings(self.pr.ctx, self.pr.pat.id)
        assert settings is not None
        return any(c.calendar_id == calendar and c.selected for c in settings.calendars)

    def second_practitioner(self) -> Any:
        sam = practice.add_staff(self.pr.ctx, "sam", "Sam S", {Role.PRACTITIONER})
        google_settings.connect(self.pr.ctx, sam.id, google_harness.CAL)
        pr = self.pr
        return lambda: SyncEngine(
            pr.db,
            pr.ctx.clock,
            sam.id,
            build_service(pr.emu.endpoint),
            api_root=pr.emu.endpoint,
            sleep=lambda _s: None,
        )

    def writes(self) -> int:
        ops = self.st.ops_by_method
        return sum(ops[f"events.{m}"] for m in ("insert", "patch", "update", "delete"))

    def split(self, series: Event, at: datetime, shift: timedelta) -> None:
        st = self.st
        with st.lock:
            cal = st.calendar(google_harness.CAL)
            (old,) = [
                e
                for e in cal.events.values()
                if (e.get("extendedProperties") or {}).get("private", {}).get("sessionsTuiUid")
                == series.uid
            ]
            chi = google_harness.CHI
            body = {
                k: copy.deepcopy(v)
                for k, v in old.items()
                if not k.startswith("_")
                and k not in ("id", "etag", "iCalUID", "extendedProperties", "recurrence")
            }
            start = (at + shift).astimezone(chi)
            body["id"] = f"{old['id']}_R{at.astimezone(chi):%Y%m%dT%H%M%S}"
            body["start"] = {"dateTime": start.isoformat(), "timeZone": chi.key}
            body["end"] = {"dateTime": (start + MINUTES).isoformat(), "timeZone": chi.key}
            body["recurrence"] = ["RRULE:FREQ=WEEKLY;COUNT=4"]
            body["iCalUID"] = "continued@google.com"
            body["_created_seq"] = st.seq + 1
            st._bump(body)
            until = (at - timedelta(seconds=1)).astimezone(UTC)
            old["recurrence"] = [f"RRULE:FREQ=WEEKLY;UNTIL={until:%Y%m%dT%H%M%SZ}"]
            st._bump(old)
            cal.events[body["id"]] = body

    def marker(self, title: str) -> tuple[bool, str]:
        (item,) = [e for e in self.st.live_events(google_harness.CAL) if e["summary"] == title]
        return item.get("visibility") == "private", str(item.get("description") or "")


class CalDavSide(Side):
    name = "caldav"

    def __init__(self, ctx: Context, server: caldav_harness.Radicale) -> None:
        self.pr = caldav_harness.Practice(ctx, server)

    def add_remote(self, title: str, start: datetime) -> None:
        stamp = start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        end = (start + timedelta(hours=1)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.pr.remote.add(
            self.pr.work,
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//phone//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:phone-{stamp}\r\nDTSTAMP:20261125T120000Z\r\nDTSTART:{stamp}\r\n"
            f"DTEND:{end}\r\nSUMMARY:{title}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        )

    def remote_count(self) -> int:
        return len(self.pr.remote.resources(self.pr.work))

    def purge_all(self) -> None:
        for obj in self.pr.remote.resources(self.pr.work):
            obj.delete()
        with self.pr.db.session() as s:  # the token is lost: the server no longer knows it
            s.execute(
                update(SyncCalendarRow)
                .where(SyncCalendarRow.calendar == self.pr.work)
                .values(sync_token="http://radicale.org/ns/sync/lost")
            )

    def add_secondary(self) -> str:
        caldav_settings.select_calendar(self.pr.ctx, self.pr.pat.id, self.pr.personal, True)
        return str(self.pr.personal)

    def delete_calendar(self, calendar: str) -> None:
        self.pr.remote.calendar(calendar).delete()

    def selected(self, calendar: str) -> bool:
        settings = caldav_settings.get_settings(self.pr.ctx, self.pr.pat.id)
        assert settings is not None
        return any(c.url == calendar and c.selected for c in settings.calendars)

    def second_practitioner(self) -> Any:
        sam = practice.add_staff(self.pr.ctx, "sam", "Sam S", {Role.PRACTITIONER})
        found = [(c.url, c.name) for c in self.pr.dav.discover()]
        caldav_settings.connect(
            self.pr.ctx,
            sam.id,
            url=self.pr.server.url,
            username=self.pr.user,
            calendars=found,
            default_url=self.pr.work,
        )
        self.dav = CountingDav(self.pr.server.url, self.pr.user, caldav_harness.PASSWORD)
        pr = self.pr
        self.pr = _Counted(pr, self.dav)
        return lambda: CalDavEngine(pr.db, pr.ctx.clock, sam.id, self.dav)

    def writes(self) -> int:
        return self.dav.writes

    def split(self, series: Event, at: datetime, shift: timedelta) -> None:
        import icalendar

        (res,) = [
            o for o in self.pr.remote.resources(self.pr.work) if f"UID:{series.uid}" in o.data
        ]
        cal = res.icalendar_instance
        master = next(v for v in cal.walk("VEVENT") if not v.get("recurrence-id"))
        until = (at - timedelta(seconds=1)).astimezone(UTC)
        master["rrule"] = icalendar.vRecur.from_ical(f"FREQ=WEEKLY;UNTIL={until:%Y%m%dT%H%M%SZ}")
        res.icalendar_instance = cal
        res.save()
        start = (at + shift).astimezone(UTC)
        self.pr.remote.add(
            self.pr.work,
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//other app//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:continued-{series.uid}\r\nDTSTAMP:20261125T120000Z\r\n"
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\nDTEND:{start + MINUTES:%Y%m%dT%H%M%SZ}\r\n"
            "RRULE:FREQ=WEEKLY;COUNT=4\r\nSUMMARY:J.D.\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        )

    def marker(self, title: str) -> tuple[bool, str]:
        (vev,) = [v for v in self.pr.remote.vevents(self.pr.work) if str(v["summary"]) == title]
        return str(vev.get("class", "")) == "PRIVATE", str(vev.get("description") or "")


class CountingDav(DavClient):
    """A DavClient that counts what it writes to the server."""

    writes = 0

    def put(self, href: str, text: str, *, etag: str | None, create: bool) -> Any:
        self.writes += 1
        return super().put(href, text, etag=etag, create=create)

    def delete_resource(self, href: str, *, etag: str | None) -> Any:
        self.writes += 1
        return super().delete_resource(href, etag=etag)


class _Counted:
    """The CalDAV practice, its syncs made through one counting client."""

    def __init__(self, pr: Any, dav: CountingDav) -> None:
        self._pr, self._dav = pr, dav

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pr, name)

    def sync(self) -> SyncReport:
        return CalDavEngine(self._pr.db, self._pr.ctx.clock, self._pr.pat.id, self._dav).run()


@pytest.fixture(name="side", params=["google", "caldav"])
def side_fixture(request: pytest.FixtureRequest, admin_ctx: Context) -> Iterator[Side]:
    if request.param == "google":
        with CalendarEmulator() as emu:
            emu.state.clock = lambda: datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
            yield GoogleSide(admin_ctx, emu)
    else:
        yield CalDavSide(admin_ctx, request.getfixturevalue("radicale"))


def test_issue_25_full_resync_reconciles_deletes_whose_tombstones_are_gone(side: Side) -> None:
    plain = side.session(start=T0)
    done = side.session(start=T0 + timedelta(days=1), notes_completed=True)
    side.add_remote("Dentist", T0 + timedelta(days=2))
    first = side.sync()
    assert first.pulled == 1
    assert first.errors == 0
    assert side.remote_count() == 3
    side.purge_all()
    report = side.sync()
    ids = side.local_ids()
    # The unprotected session and the remote event were deleted there: gone here too.
    assert plain.id not in ids
    assert "Dentist" not in side.local_titles()
    # The session with completed notes is never deleted by a sync: kept and pushed back.
    assert done.id in ids
    assert side.remote_count() == 1
    assert report.deleted == 2
    quiet = side.sync()
    assert (quiet.pushed, quiet.pulled, quiet.deleted, quiet.errors) == (0, 0, 0, 0)
    assert side.remote_count() == 1


def test_issue_25_a_gone_calendar_is_reported_once_and_the_sync_goes_on(side: Side) -> None:
    team = side.add_secondary()
    side.sync()
    side.delete_calendar(team)
    side.session(start=T0)
    report = side.sync()  # no exception: the default calendar's changes are pushed
    assert report.pushed == 1
    assert side.remote_count() == 1
    gone = [m for m in report.messages if "is gone" in m]
    assert len(gone) == 1
    assert not side.selected(team)
    again = side.sync()
    assert not [m for m in again.messages if "is gone" in m]
    assert again.errors == 0


def test_issue_25_client_sessions_are_pushed_private_with_the_lock_line(side: Side) -> None:
    side.session(start=T0)
    side.pr.other("Gym", start=T0 + timedelta(days=1))
    side.sync()
    private, description = side.marker("J.D.")
    assert private
    assert description.count("\n") == 0
    assert "title" in description
    assert "practice's calendar" in description
    # Other events are the practitioner's own: shown as they are.
    assert side.marker("Gym") == (False, "")
    quiet = side.sync()
    assert (quiet.pushed, quiet.pulled) == (0, 0)


def test_issue_25_a_shared_calendars_practice_wide_events_are_pushed_once(side: Side) -> None:
    """Two practitioners connected to one shared calendar: a practice-wide event (a staff
    meeting, no practitioner) is pushed by one account and linked by the other; a quiet sync
    of either writes nothing."""
    sam_engine = side.second_practitioner()
    start = T0 + timedelta(days=2)
    appointments.create(
        side.pr.ctx,
        Event(
            kind=EventKind.OTHER,
            title="Staff meeting",
            start=start.astimezone(UTC),
            end=(start + timedelta(hours=1)).astimezone(UTC),
            tzid="America/Chicago",
        ),
    )
    side.sync()
    assert side.remote_count() == 1
    before = side.writes()
    sam = sam_engine().run()
    assert sam.errors == 0
    assert side.remote_count() == 1
    assert side.writes() == before  # linked, not pushed again
    for _ in range(2):
        side.sync()
        sam_engine().run()
    assert side.writes() == before
    assert side.remote_count() == 1


def test_issue_25_a_split_made_elsewhere_continues_the_clients_series(side: Side) -> None:
    """ "This and following" made in the other app on a client's weekly series, with nothing
    linking the halves but the client marker (the title): the continuation becomes a fork of
    the series, the client keeps a session every week, nothing anonymous comes in, and a
    switch to one-way removes none of them."""
    series = side.session(start=T0, rrule="FREQ=WEEKLY;COUNT=6")
    side.sync()
    weeks = [T0 + timedelta(weeks=i) for i in range(6)]
    shift = timedelta(hours=1)
    side.split(series, weeks[2], shift)
    report = side.sync()
    assert report.errors == 0
    want = sorted(w.astimezone(UTC) for w in weeks[:2] + [w + shift for w in weeks[2:]])

    def jane_starts() -> list[datetime]:
        lo, hi = T0 - timedelta(days=1), T0 + timedelta(weeks=8)
        occ = scheduling.occurrences_in(
            side.pr.ctx, lo, hi, google_harness.CHI, practitioner_ids=[side.pr.pat.id]
        )
        assert all(o.event.is_session for o in occ), [o.event.title for o in occ]
        return sorted(o.start.astimezone(UTC) for o in occ if o.event.client_id == side.pr.jane.id)

    assert jane_starts() == want
    side.sync()
    assert jane_starts() == want
    settings = google_settings if side.name == "google" else caldav_settings
    settings.set_mode(side.pr.ctx, side.pr.pat.id, "one-way")
    assert jane_starts() == want


def test_issue_25_one_sync_of_an_account_at_a_time(side: Side) -> None:
    """Every sync takes the account's lock (the CLI's as the App's): while another client
    syncs it, a second sync is refused with a line naming that client and writes nothing."""
    from sessions_tui.store.locks import PracticeLock
    from sessions_tui.sync.errors import SyncError

    side.session(start=T0)
    other = PracticeLock(side.pr.db, f"{side.name}-sync:{side.pr.pat.id}", "clinic-pc:4242")
    assert other.acquire(side.pr.ctx.clock.now())
    with pytest.raises(SyncError, match=r"already running \(clinic-pc:4242\)"):
        side.sync()
    assert side.remote_count() == 0
    other.release()
    assert side.sync().pushed == 1
    assert side.remote_count() == 1
