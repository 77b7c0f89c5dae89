"""Issue 25: one lock for every sync. ``google sync`` and ``caldav sync`` take the practice-wide
lock the App's worker takes; a second sync at the same time is refused in one line naming who
holds it, exits 1, and pushes nothing."""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

from sessions_tui.store.locks import PracticeLock

from ._cli import as_login
from .google_harness import T0, Practice, emu_fixture, pr_fixture  # noqa: F401

_WHO = ("--practitioner", "pat", "--user", "admin")


def _sync(db: Path, endpoint: str, provider: str = "google") -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        SESSIONS_TUI_GOOGLE_ENDPOINT=endpoint,
        SESSIONS_TUI_NOW="2026-11-25T16:00:00+00:00",
    )
    return subprocess.Popen(
        [*as_login("admin"), provider, "sync", *_WHO, "--db", str(db)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_issue_25_two_google_syncs_at_once_the_second_is_refused(pr: Practice) -> None:
    for i in range(6):
        pr.session(start=T0 + timedelta(days=i))
    db_path = Path(pr.db.url.removeprefix("sqlite:///"))
    st = pr.emu.state
    second: dict[str, Any] = {}

    def run_second() -> None:
        # The first sync is in the middle of its run (Google has its request, not yet answered).
        proc = _sync(db_path, pr.emu.endpoint)
        out, err = proc.communicate(timeout=120)
        second.update(code=proc.returncode, out=out.decode(), err=err.decode())

    first = _sync(db_path, pr.emu.endpoint)
    st.after_call[st.calls + 2] = run_second
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err.decode()
    assert "pushed 6" in out.decode()

    assert second["code"] == 1
    lines = second["err"].strip().splitlines()
    assert len(lines) == 1, second["err"]
    assert f":{first.pid} holds the lock" in lines[0]
    assert "another Google sync is running" in lines[0]
    assert second["out"] == ""
    # nothing pushed twice: one insert per session, each once in Google
    assert st.ops_by_method["events.insert"] == 6
    uids = [
        (e.get("extendedProperties") or {}).get("private", {}).get("sessionsTuiUid")
        for e in pr.remote()
    ]
    assert len(uids) == len(set(uids)) == 6


def test_issue_25_cli_sync_waits_for_the_worker_lock(pr: Practice) -> None:
    """The App's worker elsewhere holds the lease (its name and holder as the worker takes
    it): the CLI says who, pushes nothing; once it is released the CLI syncs."""
    pr.session()
    db_path = Path(pr.db.url.removeprefix("sqlite:///"))
    worker = PracticeLock(pr.db, "google-sync", "front-desk:4242")
    assert worker.acquire(pr.ctx.clock.now())
    proc = _sync(db_path, pr.emu.endpoint)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert "front-desk:4242 holds the lock" in err.decode()
    assert pr.emu.state.ops_by_method["events.insert"] == 0
    worker.release()
    proc = _sync(db_path, pr.emu.endpoint)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    assert "pushed 1" in out.decode()


def _mode(db: Path, endpoint: str, mode: str) -> tuple[int, str]:
    env = dict(os.environ, SESSIONS_TUI_GOOGLE_ENDPOINT=endpoint)
    proc = subprocess.run(
        [*as_login("admin"), "google", "mode", mode, *_WHO, "--db", str(db)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_issue_25_mode_switch_says_1_google_event(pr: Practice) -> None:
    from .google_harness import CAL

    pr.emu.state.create(
        CAL, summary="Dentist", start={"date": "2026-12-01"}, end={"date": "2026-12-02"}
    )
    pr.sync()
    db_path = Path(pr.db.url.removeprefix("sqlite:///"))
    code, out = _mode(db_path, pr.emu.endpoint, "one-way")
    assert code == 0, out
    assert "removed 1 Google event from the local calendar." in out


def test_issue_25_caldav_sync_takes_the_caldav_workers_lock(pr: Practice) -> None:
    db_path = Path(pr.db.url.removeprefix("sqlite:///"))
    worker = PracticeLock(pr.db, "caldav-sync", "front-desk:4242")
    assert worker.acquire(pr.ctx.clock.now())
    proc = _sync(db_path, pr.emu.endpoint, "caldav")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert err.decode().strip() == (
        "sessions-tui: error: another CalDAV sync is running (front-desk:4242 holds the lock); "
        "nothing was synced: try again when it ends"
    )
    assert out == b""
