"""The shared generated practice of the benchmark suite, as a database and as an .ics file.

    python bench/gen.py [--sizes 1000,10000,100000] [--cache-dir DIR] [--force]

For each size N it writes, once (later calls reuse the files):

* ``practice-N.db``: ``bench/build_db.py``'s practice with N event rows (8 practitioners in
  five zones, 3 locations, 600 clients, weekly series with overrides and exdates, all-day
  events, a practice-wide weekly meeting), on the real schema;
* ``practice-N.ics``: the same practice written by our own exporter (one VEVENT per stored
  event: series with RRULE/EXDATE, overrides with RECURRENCE-ID, VTIMEZONEs), the file every
  tool imports. Clients are named by initials.

The files are keyed by size, seed and "now" (``practice-N.json`` records them), so a change of
either rebuilds. "Now" is 2026-11-25T16:00Z (10:00 in Chicago), a Wednesday.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOW = "2026-11-25T16:00:00+00:00"
SEED = 7
GEN_VERSION = 2  # bump when the generated content changes


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sessions-tui-bench"


@dataclass(frozen=True)
class Practice:
    """The generated files of one size."""

    size: int
    db: Path
    ics: Path
    vevents: int


def _load_build_db():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(HERE))
    try:
        import build_db
    finally:
        sys.path.remove(str(HERE))
    return build_db


def ensure(size: int, cache_dir: Path, *, force: bool = False, quiet: bool = False) -> Practice:
    """Build (or reuse) the database and .ics of ``size`` events in ``cache_dir``."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    db = cache_dir / f"practice-{size}.db"
    ics = cache_dir / f"practice-{size}.ics"
    meta_path = cache_dir / f"practice-{size}.json"
    key = {"size": size, "seed": SEED, "now": NOW, "version": GEN_VERSION}
    if not force and db.exists() and ics.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("key") == key:
            return Practice(size, db, ics, int(meta["vevents"]))
    say = (lambda *_: None) if quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    build_db = _load_build_db()
    now = datetime.fromisoformat(NOW).astimezone(UTC)
    t0 = time.perf_counter()
    counts = build_db.build(db, size, now, SEED)
    say(f"gen: {db.name} built in {time.perf_counter() - t0:.1f} s ({counts})")

    from sessions_tui.clock import FixedClock
    from sessions_tui.services.context import make_context
    from sessions_tui.services.feeds import IdentifierMode
    from sessions_tui.store.db import open_database
    from sessions_tui.sync.ics import export_calendar

    t0 = time.perf_counter()
    handle = open_database(str(db))
    ctx = make_context(handle, FixedClock(now), "admin")
    data = export_calendar(ctx, practitioner_id=None, identifier=IdentifierMode.INITIALS)
    handle.dispose()
    ics.write_bytes(data)
    vevents = data.count(b"BEGIN:VEVENT")
    say(f"gen: {ics.name} written in {time.perf_counter() - t0:.1f} s ({vevents} VEVENTs)")
    meta_path.write_text(json.dumps({"key": key, "vevents": vevents, "counts": counts}))
    return Practice(size, db, ics, vevents)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--cache-dir", type=Path, default=default_cache_dir())
    parser.add_argument("--force", action="store_true", help="rebuild even if cached")
    args = parser.parse_args(argv)
    for size in (int(s) for s in args.sizes.split(",") if s):
        p = ensure(size, args.cache_dir, force=args.force)
        print(
            f"{p.size:>7} events: {p.db} ({p.db.stat().st_size / 1e6:.1f} MB), "
            f"{p.ics} ({p.vevents} VEVENTs, {p.ics.stat().st_size / 1e6:.1f} MB)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
