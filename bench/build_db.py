"""Build a large practice database for benchmarks (default: 100,000 event rows).

The schema is the real one (``open_database`` migrates a fresh file); staff, locations and
clients go through the services; events are validated by the domain and turned into rows by
``store.queries.fill_row`` (so all-day padding, ``span_s``, ``is_series`` and
``series_end_utc`` are exactly what the services store), then bulk-inserted with SQLAlchemy
core in a few transactions.

Contents: 8 practitioners in several zones, 3 locations, 600 clients, about six years of
sessions around "now" (5 years back, 1 ahead), weekly series (some with overrides, exdates and
cancellations), all-day busy/free events, and weekly practice-wide meetings.

    python bench/build_db.py --db /tmp/bench-100k.db [--events 100000] [--now ISO]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any, cast

from sqlalchemy import insert, select

from sessions_tui.clock import FixedClock
from sessions_tui.domain.events import Event, EventKind, Status, validate_event
from sessions_tui.domain.model import Role
from sessions_tui.domain.timeutil import zone
from sessions_tui.services import practice
from sessions_tui.services.context import Context
from sessions_tui.store import queries
from sessions_tui.store.db import Database, open_database
from sessions_tui.store.tables import EventRow, ExdateRow
from sessions_tui.store.write_guard import writing

DEFAULT_NOW = "2026-11-25T16:00:00+00:00"
PRACTITIONERS = [
    ("p1", "Avery Chen", "America/Chicago"),
    ("p2", "Blake Diaz", "America/Chicago"),
    ("p3", "Casey Evans", "America/Chicago"),
    ("p4", "Devon Fox", "America/New_York"),
    ("p5", "Emery Grant", "America/New_York"),
    ("p6", "Finley Hart", "Europe/London"),
    ("p7", "Gray Ito", "Australia/Sydney"),
    ("p8", "Harper Joshi", "Asia/Kolkata"),
]
LOCATIONS = ["Main St Clinic", "Northside Office", "Telehealth"]
SERIES_PER_PRACTITIONER = 60
ALL_DAY_PER_PRACTITIONER = 70
HOURS = list(range(8, 18))  # session slots start 08:00 ... 17:00 local
COLUMNS = [c.name for c in EventRow.__table__.columns if c.name != "id"]  # type: ignore[attr-defined]


def _uid(rng: random.Random) -> str:
    return f"{uuid.UUID(int=rng.getrandbits(128))}@bench"


class _Row:
    """A plain attribute bag standing in for ``EventRow`` in ``fill_row``.

    ``fill_row`` only assigns attributes; a SQLModel instance costs ~0.4 ms to build and
    instrument, which would dominate building 100,000 rows.
    """


def _row(event: Event, uid: str, now: datetime) -> dict[str, Any]:
    """The row the services would store for ``event`` (via ``queries.fill_row``)."""
    event = validate_event(event)
    bag = _Row()
    defaults = {"uid": uid, "created_at": now, "updated_at": now, "sequence": 0, "version": 1}
    queries.fill_row(cast(EventRow, bag), event)
    values = {**_COLUMN_DEFAULTS, **defaults, **vars(bag)}
    missing = set(COLUMNS) - set(values)
    if missing:  # a new NOT NULL column without a default: fail loudly, not silently
        raise SystemExit(f"fill_row did not set columns {sorted(missing)}")
    return {name: values[name] for name in COLUMNS}


def _column_defaults() -> dict[str, Any]:
    """Model defaults of columns ``fill_row`` does not set (added later by other features)."""
    out: dict[str, Any] = {}
    table = EventRow.__table__  # type: ignore[attr-defined]
    for name, info in EventRow.model_fields.items():
        if name not in COLUMNS:
            continue
        if not info.is_required():
            out[name] = info.get_default(call_default_factory=True)
        elif table.c[name].nullable:
            out[name] = None
    return out


_COLUMN_DEFAULTS = _column_defaults()


def _insert(db: Database, rows: list[dict[str, Any]], chunk: int = 20_000) -> None:
    table = EventRow.__table__  # type: ignore[attr-defined]
    for i in range(0, len(rows), chunk):
        # Generated rows, written as a bulk load (the writer's rules are not what is measured).
        with writing(), db.engine.begin() as conn:
            conn.execute(insert(table), rows[i : i + chunk])


def build(path: Path, total: int, now: datetime, seed: int = 7) -> dict[str, int]:
    """Create ``path`` afresh and fill it; returns counts by kind of row.

    The mix scales with ``total``: 60 series and 70 all-day events per practitioner at
    100,000 events, proportionally fewer (at least one of each) below that.
    """
    scale = min(1.0, total / 100_000)
    series_per = max(1, round(SERIES_PER_PRACTITIONER * scale))
    all_day_per = max(1, round(ALL_DAY_PER_PRACTITIONER * scale))
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    db = open_database(str(path))
    rng = random.Random(seed)
    clock = FixedClock(now)
    admin = practice.add_staff(
        Context(db, clock, None), "admin", "Office Admin", {Role.ADMIN, Role.SCHEDULER}
    )
    ctx = Context(db, clock, admin)
    pracs = [
        (practice.add_staff(ctx, login, name, {Role.PRACTITIONER}), tzid)
        for login, name, tzid in PRACTITIONERS
    ]
    locs = [practice.add_location(ctx, name) for name in LOCATIONS]
    clients = [
        practice.add_client(ctx, f"Client{i:04d}", f"Family{i % 97:02d}", f"B-{i:05d}")
        for i in range(600)
    ]

    first_day = (now - timedelta(days=5 * 365)).date()
    last_day = (now + timedelta(days=365)).date()
    workdays = [
        first_day + timedelta(days=n)
        for n in range((last_day - first_day).days)
        if (first_day + timedelta(days=n)).weekday() < 5
    ]
    meetings = 1  # one weekly practice-wide meeting series
    n_series = series_per * len(pracs)
    n_all_day = all_day_per * len(pracs)
    n_overrides = 2 * n_series
    singles = total - n_series - n_all_day - n_overrides - meetings
    if singles < 0:
        raise SystemExit(f"--events {total} is too small for the fixed series/all-day rows")
    per_prac = [
        singles // len(pracs) + (1 if i < singles % len(pracs) else 0) for i in range(len(pracs))
    ]

    rows: list[dict[str, Any]] = []
    series_rows: list[dict[str, Any]] = []
    series_events: list[tuple[str, Event]] = []
    for (p, tzid), quota in zip(pracs, per_prac, strict=True):
        tz = zone(tzid)
        slots = [(d, h) for d in workdays for h in HOURS]
        if quota > len(slots):
            raise SystemExit("too many events for the slots available; lower --events")
        for d, h in sorted(rng.sample(slots, quota)):
            start = datetime.combine(d, clock_time(h), tzinfo=tz)
            past = start < now
            ev = Event(
                kind=EventKind.SESSION,
                start=start,
                end=start + timedelta(minutes=50),
                tzid=tzid,
                practitioner_id=p.id,
                client_id=rng.choice(clients).id,
                location_id=rng.choice(locs).id,
                status=Status.CANCELLED if rng.random() < 0.08 else Status.SCHEDULED,
                notes_completed=past and rng.random() < 0.9,
            )
            rows.append(_row(ev, _uid(rng), now))
        # Weekly series: half end by COUNT, some by UNTIL, some are open-ended.
        for n in range(series_per):
            d = rng.choice(workdays)
            start = datetime.combine(d, clock_time(rng.choice(HOURS), 30), tzinfo=tz)
            kind = n % 4
            if kind < 2:
                rule = f"FREQ=WEEKLY;COUNT={rng.randint(6, 40)}"
            elif kind == 2:
                until = (start + timedelta(days=rng.randint(60, 400))).astimezone(UTC)
                rule = f"FREQ=WEEKLY;INTERVAL=2;UNTIL={until:%Y%m%dT%H%M%SZ}"
            else:
                rule = "FREQ=WEEKLY"
            ev = Event(
                kind=EventKind.SESSION,
                start=start,
                end=start + timedelta(minutes=50),
                tzid=tzid,
                practitioner_id=p.id,
                client_id=rng.choice(clients).id,
                location_id=rng.choice(locs).id,
                rrule=rule,
            )
            uid = _uid(rng)
            series_rows.append(_row(ev, uid, now))
            series_events.append((uid, validate_event(ev)))
        # All-day events: days off (busy) and optional trainings (free), 1-3 days long.
        for _ in range(all_day_per):
            d = rng.choice(workdays)
            ev = Event(
                kind=EventKind.OTHER,
                title=rng.choice(["Day off", "Training"]),
                start=d,
                end=d + timedelta(days=rng.randint(1, 3)),
                all_day=True,
                busy=rng.random() < 0.7,
                tzid=tzid,
                practitioner_id=p.id,
            )
            rows.append(_row(ev, _uid(rng), now))
    meeting_start = datetime.combine(
        workdays[0] + timedelta(days=(3 - workdays[0].weekday()) % 7),
        clock_time(12),
        tzinfo=zone("America/Chicago"),
    )
    meeting = Event(
        kind=EventKind.OTHER,
        title="Staff meeting",
        start=meeting_start,
        end=meeting_start + timedelta(minutes=45),
        tzid="America/Chicago",
        location_id=locs[0].id,
        rrule="FREQ=WEEKLY",
    )
    meeting_uid = _uid(rng)
    series_rows.append(_row(meeting, meeting_uid, now))
    series_events.append((meeting_uid, validate_event(meeting)))

    _insert(db, series_rows)
    table = EventRow.__table__  # type: ignore[attr-defined]
    with db.engine.connect() as conn:
        found = conn.execute(select(table.c.uid, table.c.id).where(table.c.is_series.is_(True)))
        ids: dict[str, int] = {str(uid): int(pk) for uid, pk in found}
    # Overrides (moved or cancelled occurrences) and exdates on the session series; each
    # occurrence is touched at most once, as the services would keep it.
    exdates: list[dict[str, Any]] = []
    touched: set[str] = set()
    overrides = 0
    session_series = [(u, e) for u, e in series_events if e.kind is EventKind.SESSION]
    while overrides < n_overrides:
        uid, master = rng.choice(session_series)
        assert isinstance(master.start, datetime)
        rid = master.start + timedelta(weeks=rng.randint(0, 5))
        key = f"{uid}#{queries.recurrence_key(rid)}"
        if key in touched:
            continue
        touched.add(key)
        series_id = ids[uid]
        if rng.random() < 0.15:
            exdates.append({"series_id": series_id, "recurrence_key": queries.recurrence_key(rid)})
            continue
        moved = rid + timedelta(hours=rng.choice([0, 1, 24, -24]))
        ov = replace(
            master,
            id=None,
            rrule=None,
            series_id=series_id,
            recurrence_id=rid,
            start=moved,
            end=moved + master.duration,
            status=Status.CANCELLED if rng.random() < 0.3 else Status.SCHEDULED,
            exdates=frozenset(),
        )
        rows.append(_row(ov, key, now))
        overrides += 1
    _insert(db, rows)
    if exdates:
        with db.engine.begin() as conn:
            conn.execute(insert(ExdateRow.__table__), exdates)  # type: ignore[attr-defined]
    unique_rows, ex_rows = rows, exdates
    db.dispose()
    return {
        "events": len(unique_rows) + len(series_rows),
        "series": len(series_rows),
        "overrides": sum(1 for r in unique_rows if r["series_id"] is not None),
        "all_day": sum(1 for r in unique_rows if r["all_day"]),
        "exdates": len(ex_rows),
        "practitioners": len(pracs),
        "locations": len(locs),
        "clients": len(clients),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/sessions-tui-bench-100k.db"))
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--now", default=DEFAULT_NOW, help="ISO 8601 'now' the data is around")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    now = datetime.fromisoformat(args.now).astimezone(UTC)
    t0 = time.perf_counter()
    counts = build(args.db, args.events, now, args.seed)
    took = time.perf_counter() - t0
    print(f"built {args.db} in {took:.1f} s: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
