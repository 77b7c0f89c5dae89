"""Issue 13: ``sessions-tui demo`` seeds in one transaction. Killed (SIGKILL) at random points it
leaves nothing or everything, and the next ``demo`` works."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

KILLS = 5
NOW_ENV = "2026-11-25T16:00:00+00:00"


def _demo(db: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SESSIONS_TUI_NOW": NOW_ENV}
    return subprocess.Popen(
        [sys.executable, "-m", "sessions_tui", "demo", "--db", str(db)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _state(db: Path) -> tuple[int, int, int, bool]:
    """(staff, clients, events, seeded flag) as committed."""
    if not db.exists():
        return (0, 0, 0, False)
    conn = sqlite3.connect(db)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "event" not in tables:
            return (0, 0, 0, False)
        count = [
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("staff", "client", "event")
        ]
        flag = conn.execute("SELECT demo_seeded_for FROM practice WHERE id = 1").fetchone()
        return (count[0], count[1], count[2], bool(flag and flag[0]))
    finally:
        conn.close()


def test_issue_13_demo_killed_at_random_points_leaves_nothing_or_everything(
    tmp_path: Path,
) -> None:
    full_db = tmp_path / "full.db"
    started = time.monotonic()
    whole = _demo(full_db)
    _out, err = whole.communicate(timeout=120)
    took = time.monotonic() - started
    assert whole.returncode == 0, err
    full = _state(full_db)
    assert full[3]
    assert full[2] > 50
    rng = random.Random(13)
    db = tmp_path / "killed.db"
    seen = set()
    for _ in range(KILLS):
        proc = _demo(db)
        time.sleep(rng.uniform(0.05, took))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        state = _state(db)
        assert state in ((0, 0, 0, False), full), state
        seen.add(state == full)
        if state == full:
            db.unlink()
            for extra in tmp_path.glob("killed.db-*"):
                extra.unlink()
    again = _demo(db)
    _out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert _state(db) == full
