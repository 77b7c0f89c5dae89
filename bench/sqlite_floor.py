"""SQLite's own floor for an import: the rows an import stored, inserted again by a raw
``executemany`` into a practice holding only its staff, with every trigger (audit, series
bounds) and every index in place and the import's bulk settings (statement journals in memory,
the 16 MiB page cache, WAL, synchronous=NORMAL, foreign keys on). No Python runs per row but
the loop over bound tuples inside ``sqlite3``: what any import must at least spend.

    python bench/sqlite_floor.py IMPORTED.db EMPTY.db        # prints CPU, wall, peak RSS

``EMPTY.db`` is the practice before the import (``staff add`` only); it is copied, never
changed. The CPU time is the process's user + system time around the inserts and the commit
only (reading the rows back from ``IMPORTED.db`` is not counted).
"""

from __future__ import annotations

import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

BULK_CACHE_KIB = 16 * 1024  # store.db.BULK_CACHE_KIB


def cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def floor(imported: Path, empty: Path) -> dict[str, float]:
    """Insert ``imported``'s event and exdate rows into a copy of ``empty``; the cost."""
    src = sqlite3.connect(imported)
    tables = {}
    for table in ("event", "exdate"):
        cols = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
        tables[table] = (cols, src.execute(f"SELECT * FROM {table} ORDER BY id").fetchall())
    src.close()
    with tempfile.TemporaryDirectory(prefix="sqlite-floor-") as tmp:
        target = Path(tmp) / "floor.db"
        shutil.copyfile(empty, target)
        db = sqlite3.connect(target, isolation_level=None)
        # The audit triggers name the actor through this function (store.db registers it).
        db.create_function("sessions_actor", 0, lambda: "root", deterministic=False)
        for pragma in (
            "foreign_keys=ON",
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "temp_store=MEMORY",
            f"cache_size=-{BULK_CACHE_KIB}",
        ):
            db.execute(f"PRAGMA {pragma}")
        c0, w0 = cpu(), time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        for table, (cols, rows) in tables.items():
            marks = ", ".join("?" * len(cols))
            names = ", ".join(f'"{c}"' for c in cols)
            db.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
        db.execute("COMMIT")
        took = {"cpu_s": cpu() - c0, "wall_s": time.perf_counter() - w0}
        audit = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        db.close()
    took["rows"] = float(sum(len(rows) for _cols, rows in tables.values()))
    took["audit_rows"] = float(audit)
    took["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return took


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    got = floor(Path(argv[0]), Path(argv[1]))
    print(" ".join(f"{k}={v:.3f}" for k, v in got.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
