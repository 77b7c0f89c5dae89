"""Benchmark: Google sync against the local Calendar emulator (real client library).

- first sync of a practice with 10,000 events (client sessions, a few hundred of them in
  weekly series, plus other events), pushed in batch requests;
- an incremental sync of 100 changes (50 made locally, 50 made in Google).

Prints wall time and the number of HTTP requests / API operations for each.

    python bench/bench_google.py [--events 10000] [--changes 100]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from google_emulator import CalendarEmulator

from sessions_tui.clock import FixedClock
from sessions_tui.domain.events import Event, EventKind, validate_event
from sessions_tui.domain.model import Role
from sessions_tui.services import google_settings, practice
from sessions_tui.services.context import Context
from sessions_tui.store import queries
from sessions_tui.store.db import open_database
from sessions_tui.store.tables import EventRow
from sessions_tui.store.write_guard import writing
from sessions_tui.sync.google import SyncEngine, build_service

NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
CAL = "primary@example.com"


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


def measure(label: str, emu: CalendarEmulator, engine: SyncEngine) -> None:
    calls, ops = emu.state.calls, emu.state.ops
    t = time.perf_counter()
    report = engine.run()
    dt = time.perf_counter() - t
    print(
        f"{label}: {dt:.2f} s; {report.summary()}; HTTP requests {emu.state.calls - calls}, "
        f"API operations {emu.state.ops - ops}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=10_000)
    ap.add_argument("--changes", type=int, default=100)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, CalendarEmulator() as emu:
        db = open_database(str(Path(tmp) / "bench.db"))
        clock = FixedClock(NOW)
        admin = practice.add_staff(
            Context(db, clock, None), "admin", "Admin", {Role.ADMIN, Role.PRACTITIONER}
        )
        ctx = Context(db, clock, admin)
        seed(ctx, admin.id, args.events)
        google_settings.connect(ctx, admin.id, CAL)

        def engine() -> SyncEngine:
            return SyncEngine(
                db, clock, admin.id, build_service(emu.endpoint), api_root=emu.endpoint
            )

        measure(f"first sync of {args.events} events", emu, engine())
        assert len(emu.state.live_events(CAL)) == args.events
        local = args.changes // 2
        with db.session() as s:
            rows = s.query(EventRow).filter(EventRow.kind == "other").limit(local).all()
            for r in rows:
                r.title += " (moved)"
                r.version += 1
                r.updated_at = NOW
        remote = [e for e in emu.state.live_events(CAL) if e["summary"].startswith("Admin")]
        for e in remote[-(args.changes - local) :]:
            emu.state.edit(CAL, e["id"], summary=e["summary"] + " (edited in Google)")
        measure(f"incremental sync of {args.changes} changes", emu, engine())
        measure("sync with nothing to do", emu, engine())
        db.dispose()


if __name__ == "__main__":
    main()
