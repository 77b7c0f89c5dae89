"""A real consumer: ``khal import --batch`` of our export succeeds.

khal conflicts with some of our pinned dependencies, so it lives in a venv of its own, which
``.ci/run`` makes before the tests (a pinned khal from the registry) and names in
``$SESSIONS_TUI_KHAL``. Elsewhere the test uses ``khal`` on the PATH, and is skipped, saying
so, when there is none: a test never installs anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from sessions_tui.services import practice
from sessions_tui.services.context import Context
from sessions_tui.sync.ics import export_calendar


@pytest.fixture(scope="session")
def khal() -> Path:
    found = os.environ.get("SESSIONS_TUI_KHAL") or shutil.which("khal")
    if not found or not Path(found).exists():
        pytest.skip(
            "khal is not installed: .ci/run installs it in a venv of its own and sets "
            "SESSIONS_TUI_KHAL; locally: python3 -m venv /tmp/khal && /tmp/khal/bin/pip "
            "install khal==0.14.1 && export SESSIONS_TUI_KHAL=/tmp/khal/bin/khal"
        )
    return Path(found)


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
