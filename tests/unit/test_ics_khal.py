"""A real consumer: ``khal import --batch`` of our export succeeds.

khal conflicts with some of our pinned dependencies, so it lives in its own venv, made once per
machine at ``$SESSIONS_TUI_KHAL_VENV`` (default ``/tmp/sessions-tui-khal-venv``). The test is
skipped, saying why, only when pip cannot reach PyPI.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sessions_tui.services import practice
from sessions_tui.services.context import Context
from sessions_tui.sync.ics import export_calendar

VENV = Path(os.environ.get("SESSIONS_TUI_KHAL_VENV", "/tmp/sessions-tui-khal-venv"))


@pytest.fixture(scope="session")
def khal() -> Path:
    exe = VENV / "bin" / "khal"
    if exe.exists():
        return exe
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    done = subprocess.run(
        [str(VENV / "bin" / "pip"), "install", "-q", "khal"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0 or not exe.exists():
        pytest.skip(f"khal could not be installed from PyPI: {done.stderr.strip()[-200:]}")
    return exe


def _khal_import(khal: Path, tmp: Path, ics: Path) -> subprocess.CompletedProcess[str]:
    cal_dir = tmp / "khal-cal"
    cal_dir.mkdir(exist_ok=True)
    config = tmp / "khal.conf"
    config.write_text(
        "[calendars]\n[[practice]]\npath = " + str(cal_dir) + "\n"
        "[locale]\nlocal_timezone = America/Chicago\ndefault_timezone = America/Chicago\n"
        "[sqlite]\npath = " + str(tmp / "khal.db") + "\n"
    )
    env = {**os.environ, "HOME": str(tmp)}
    return subprocess.run(
        [str(khal), "-c", str(config), "import", "--batch", "-a", "practice", str(ics)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def test_khal_imports_the_practice_export(khal: Path, demo_ctx: Context, tmp_path: Path) -> None:
    ics = tmp_path / "practice.ics"
    ics.write_bytes(export_calendar(demo_ctx, practitioner_id=None))
    done = _khal_import(khal, tmp_path, ics)
    assert done.returncode == 0, done.stderr
    stored = list((tmp_path / "khal-cal").glob("*.ics"))
    uids = {line for line in ics.read_text().splitlines() if line.startswith("UID:")} - {
        "UID:sessions-tui-practice"
    }
    assert len(stored) == len(uids)  # one file per event (series with its overrides)


def test_khal_imports_a_practitioner_feed(khal: Path, demo_ctx: Context, tmp_path: Path) -> None:
    ben = practice.find_practitioner(demo_ctx, "ben")
    ics = tmp_path / "ben.ics"
    ics.write_bytes(export_calendar(demo_ctx, practitioner_id=ben.id))
    done = _khal_import(khal, tmp_path, ics)
    assert done.returncode == 0, done.stderr
    assert list((tmp_path / "khal-cal").glob("*.ics"))
