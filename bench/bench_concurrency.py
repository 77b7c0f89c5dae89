"""Load test: many writer processes booking and moving sessions at once.

    python bench/bench_concurrency.py [--writers 20] [--ops 200] [--backend sqlite|postgresql|both]

Each writer is its own process with its own database connection, acting as a scheduler. It books
sessions at random 30-minute slots of 8 practitioners (double booking forbidden, so overlapping
attempts are refused) and moves some of its own bookings by a day. Afterwards the script checks
that every committed change is present with its last committed time, that no practitioner is
double-booked, that every row is valid, and (SQLite) that the file passes integrity_check; then it
prints the counts of successes and refusals and any other error ("database is locked" must never
appear).

PostgreSQL: ``SESSIONS_TUI_TEST_PG`` (admin URL), else a private cluster is started with the
machine's PostgreSQL binaries (as the tests do).
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing as mp
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
BASE = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # a Monday, 08:00 Chicago


def setup(url: str, practitioners: int = 8) -> None:
    from sessions_tui.clock import FixedClock
    from sessions_tui.domain.model import Role
    from sessions_tui.services import practice
    from sessions_tui.services.context import Context
    from sessions_tui.store.db import open_database

    db = open_database(url)
    clock = FixedClock(NOW)
    admin = practice.add_staff(Context(db, clock, None), "admin", "Admin", {Role.ADMIN})
    ctx = Context(db, clock, admin)
    practice.add_staff(ctx, "sam", "Sam Scheduler", {Role.SCHEDULER})
    for i in range(practitioners):
        practice.add_staff(ctx, f"p{i}", f"Practitioner {i}", {Role.PRACTITIONER})
    for i in range(40):
        practice.add_client(ctx, f"Client{i}", "Test", f"C{i}")
    practice.update_settings(ctx, allow_double_booking=False)
    db.dispose()


def _as_sam(db: Any, clock: Any) -> Any:
    """A scheduler's context, as each of the schedulers the benchmark plays would have after
    signing in (the OS-login rule of issue 15 is tested elsewhere; these processes all run as
    one OS user)."""
    from sqlalchemy import select

    from sessions_tui.services.context import Context
    from sessions_tui.store.queries import staff_from_row
    from sessions_tui.store.tables import StaffRow

    with db.session() as s:
        row = s.execute(select(StaffRow).where(StaffRow.login == "sam")).scalar_one()
        return Context(db, clock, staff_from_row(row))


def writer(url: str, seed: int, ops: int, out: Any) -> None:
    from sessions_tui.clock import FixedClock
    from sessions_tui.domain.errors import ConflictError
    from sessions_tui.domain.events import Event, EventKind
    from sessions_tui.services import appointments as ap
    from sessions_tui.services import practice
    from sessions_tui.store.db import open_database

    rng = random.Random(seed)
    db = open_database(url)
    try:
        ctx = _as_sam(db, FixedClock(NOW))
    except Exception as exc:  # never leave the parent waiting on the queue
        out.put(
            {
                "booked": 0,
                "refused": 0,
                "moved": 0,
                "move_refused": 0,
                "mine": {},
                "errors": [f"{type(exc).__name__}: {str(exc).splitlines()[0]}"],
            }
        )
        return
    pracs = [p.id for p in practice.practitioners(ctx)]
    clients = [c.id for c in practice.list_clients(ctx)]
    mine: dict[int, datetime] = {}
    booked = refused = moved = move_refused = 0
    errors: list[str] = []
    for n in range(ops):
        try:
            if mine and n % 3 == 2:
                eid = rng.choice(list(mine))
                ap.move(ctx, ap.OccurrenceRef(eid), timedelta(days=1))
                mine[eid] += timedelta(days=1)
                moved += 1
            else:
                start = BASE + timedelta(days=rng.randrange(28), minutes=30 * rng.randrange(20))
                change = ap.create(
                    ctx,
                    Event(
                        kind=EventKind.SESSION,
                        start=start,
                        end=start + timedelta(minutes=50),
                        tzid="America/Chicago",
                        practitioner_id=rng.choice(pracs),
                        client_id=rng.choice(clients),
                    ),
                )
                assert change.result_id is not None
                mine[change.result_id] = start
                booked += 1
        except ConflictError:
            if n % 3 == 2:
                move_refused += 1
            else:
                refused += 1
        except Exception as exc:  # anything else is a failure of the product
            errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
    db.dispose()
    out.put(
        {
            "booked": booked,
            "refused": refused,
            "moved": moved,
            "move_refused": move_refused,
            "errors": errors,
            "mine": {k: v.isoformat() for k, v in mine.items()},
        }
    )


def verify(url: str, results: list[dict[str, Any]]) -> list[str]:
    from sqlalchemy import select, text

    from sessions_tui.domain.events import validate_event
    from sessions_tui.store.db import open_database
    from sessions_tui.store.queries import row_to_event
    from sessions_tui.store.tables import EventRow

    problems: list[str] = []
    db = open_database(url)
    with db.read() as s:
        rows = s.execute(select(EventRow)).scalars().all()
        if db.dialect == "sqlite":
            check = s.execute(text("PRAGMA integrity_check")).scalar()
            if check != "ok":
                problems.append(f"integrity_check: {check}")
    by_id = {}
    for row in rows:
        try:
            by_id[row.id] = validate_event(row_to_event(row))
        except Exception as exc:
            problems.append(f"row {row.id} invalid: {exc}")
    expected = {int(k): datetime.fromisoformat(v) for r in results for k, v in r["mine"].items()}
    for eid, start in expected.items():
        ev = by_id.get(eid)
        if ev is None:
            problems.append(f"event {eid} lost")
        elif ev.start != start:
            problems.append(f"event {eid} at {ev.start}, expected {start}")
    if len(by_id) != len(expected):
        problems.append(f"{len(by_id)} events stored, {len(expected)} committed")
    per_prac: dict[int | None, list[Any]] = {}
    for ev in by_id.values():
        per_prac.setdefault(ev.practitioner_id, []).append(ev)
    for evs in per_prac.values():
        evs.sort(key=lambda e: e.start)
        for a, b in itertools.pairwise(evs):
            if b.start < a.end:
                problems.append(f"double booking: events {a.id} and {b.id}")
    db.dispose()
    return problems


def run(url: str, writers: int, ops: int) -> dict[str, Any]:
    setup(url)
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=writer, args=(url, 1000 + i, ops, out)) for i in range(writers)]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    results = [out.get(timeout=1800) for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - t0
    problems = verify(url, results)
    totals = {k: sum(r[k] for r in results) for k in ("booked", "refused", "moved", "move_refused")}
    errors = [e for r in results for e in r["errors"]]
    return {
        **totals,
        "errors": errors,
        "problems": problems,
        "seconds": elapsed,
        "ops": writers * ops,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--ops", type=int, default=200)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    rows = []
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(("sqlite", run(f"sqlite:///{tmp}/load.db", args.writers, args.ops)))
    if args.backend in ("postgresql", "both"):
        from pg_support import drop_database, make_template, new_database, pg_server

        with pg_server() as admin:
            if admin is None:
                print("postgresql: no server or binaries; skipped")
            else:
                make_template(admin)
                url = new_database(admin)
                try:
                    rows.append(("postgresql", run(url, args.writers, args.ops)))
                finally:
                    drop_database(admin, url)
    print(f"{args.writers} writers x {args.ops} operations (book, and move every third)")
    print(
        f"{'backend':<11} {'ops':>6} {'booked':>7} {'refused':>8} {'moved':>6} {'move ref.':>9} "
        f"{'errors':>6} {'problems':>8} {'seconds':>8} {'ops/s':>7}"
    )
    failed = False
    for name, r in rows:
        print(
            f"{name:<11} {r['ops']:>6} {r['booked']:>7} {r['refused']:>8} {r['moved']:>6} "
            f"{r['move_refused']:>9} {len(r['errors']):>6} {len(r['problems']):>8} "
            f"{r['seconds']:>8.1f} {r['ops'] / r['seconds']:>7.0f}"
        )
        for line in (r["errors"] + r["problems"])[:10]:
            print("   ", line)
        failed = failed or bool(r["errors"] or r["problems"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
