"""Benchmark: CalDAV sync against a real Radicale server on 127.0.0.1 (a subprocess).

- first sync of a practice with 2,000 events (client sessions, some in weekly series, and
  other events) into an empty calendar: one PUT per resource;
- an incremental sync of 50 changes (25 made locally, 25 made on the server by another
  client): one sync-collection REPORT, one multiget for the server's changes, one PUT each;
- a sync with nothing to do.

Prints wall time and the HTTP requests our client made (authentication retries included).

    python bench/bench_caldav.py [--events 2000] [--changes 50]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit"))

from caldav_harness import PASSWORD, Radicale, Remote

from sessions_tui.clock import FixedClock
from sessions_tui.domain.events import Event, EventKind, validate_event
from sessions_tui.domain.model import Role
from sessions_tui.services import caldav_settings, practice
from sessions_tui.services.context import Context
from sessions_tui.store import queries
from sessions_tui.store.db import open_database
from sessions_tui.store.tables import EventRow
from sessions_tui.store.write_guard import writing
from sessions_tui.sync.caldav import CalDavEngine
from sessions_tui.sync.caldav.dav import DavClient

NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


def seed(ctx: Context, pid: int, n: int) -> None:
    clients = [practice.add_client(ctx, f"First{i}", f"Last{i}") for i in range(200)]
    start0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
    with writing(), ctx.db.session() as s:  # generated rows, a bulk load
        for i in range(n):
            start = start0 + timedelta(days=i // 8, hours=i % 8)
            if i % 10 == 9:
                ev = Event(
                    kind=EventKind.OTHER,
                    title=f"Admin block {i}",
                    start=start,
                    end=start + timedelta(minutes=30),
                    tzid="America/Chicago",
                    practitioner_id=pid,
                    busy=i % 20 == 9,
                )
            else:
                ev = Event(
                    kind=EventKind.SESSION,
                    start=start,
                    end=start + timedelta(minutes=50),
                    tzid="America/Chicago",
                    practitioner_id=pid,
                    client_id=clients[i % 200].id,
                    rrule="FREQ=WEEKLY;COUNT=12" if i % 25 == 0 else None,
                )
            ev = validate_event(ev)
            row = queries.fill_row(
                EventRow(
                    uid=f"bench-{i}@sessions-tui",
                    created_at=NOW,
                    updated_at=NOW,
                    kind=ev.kind.value,
                    tzid=ev.tzid,
                    start_utc=NOW,
                    end_utc=NOW,
                ),
                ev,
            )
            s.add(row)


def measure(label: str, engine: CalDavEngine) -> None:
    t, cpu = time.perf_counter(), time.process_time()
    report = engine.run()
    dt, cpu = time.perf_counter() - t, time.process_time() - cpu
    print(
        f"{label}: {dt:.2f} s (this process's CPU {cpu:.2f} s; the rest is the server); "
        f"{report.summary()}; HTTP requests {report.requests}",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=2000)
    ap.add_argument("--changes", type=int, default=50)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = Radicale(Path(tmp) / "radicale")
        try:
            db = open_database(str(Path(tmp) / "bench.db"))
            clock = FixedClock(NOW)
            admin = practice.add_staff(
                Context(db, clock, None), "admin", "Admin", {Role.ADMIN, Role.PRACTITIONER}
            )
            ctx = Context(db, clock, admin)
            seed(ctx, admin.id, args.events)
            user = server.new_user()
            remote = Remote(server, user)
            work = remote.make_calendar("work", "Work")
            dav = DavClient(server.url, user, PASSWORD)
            found = [(c.url, c.name) for c in dav.discover()]
            caldav_settings.connect(
                ctx, admin.id, url=server.url, username=user, calendars=found, default_url=work
            )

            def engine() -> CalDavEngine:
                return CalDavEngine(db, clock, admin.id, DavClient(server.url, user, PASSWORD))

            measure(f"first sync of {args.events} events", engine())
            local = args.changes // 2
            with db.session() as s:
                rows = s.query(EventRow).filter(EventRow.kind == "other").limit(local).all()
                for r in rows:
                    r.title += " (moved)"
                    r.version += 1
                    r.updated_at = NOW
            edited = 0
            for res in remote.resources(work):
                if edited == args.changes - local:
                    break
                vev = res.icalendar_instance.walk("VEVENT")[0]
                if str(vev["summary"]).startswith("Admin") and "(moved)" not in str(vev["summary"]):
                    if any(str(vev["summary"]) == r.title.replace(" (moved)", "") for r in rows):
                        continue
                    vev["summary"] = str(vev["summary"]) + " (edited there)"
                    res.save()
                    edited += 1
            measure(f"incremental sync of {local + edited} changes", engine())
            measure("sync with nothing to do", engine())
            db.dispose()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
