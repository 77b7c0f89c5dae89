"""The docstring debt only shrinks.

ruff's D101-D103 require a docstring on every public class, function and method. Modules
written before that rule are listed in pyproject's ``per-file-ignores`` with the codes they
still break. This test fails when a listed file no longer breaks a code listed for it (take it
off the list: the debt is paid), and when the list names a file or a code that
:data:`BASELINE` does not (new code is documented, not excused).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODES = {"D101", "D102", "D103"}

# Standing exemptions (reasons in pyproject.toml), not debt.
POLICY = {"sessions_tui/app.py"}

BASELINE: dict[str, set[str]] = {
    "sessions_tui/screens/booking_settings.py": {"D103"},
    "sessions_tui/screens/event_details.py": {"D103"},
    "sessions_tui/screens/help.py": {"D103"},
    "sessions_tui/screens/search.py": {"D103"},
    "sessions_tui/services/agenda_item.py": {"D102"},
    "sessions_tui/services/appointments.py": {"D103"},
    "sessions_tui/services/calendar.py": {"D102"},
    "sessions_tui/services/google_settings.py": {"D102", "D103"},
    "sessions_tui/services/permissions.py": {"D103"},
    "sessions_tui/services/practice.py": {"D103"},
    "sessions_tui/services/render.py": {"D103"},
    "sessions_tui/services/writer.py": {"D102"},
}


def listed_debt() -> dict[str, set[str]]:
    """The per-file docstring exemptions of single package files in pyproject.toml."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    ignores = config["tool"]["ruff"]["lint"]["per-file-ignores"]
    return {
        name: set(codes) & CODES
        for name, codes in ignores.items()
        if name.startswith("sessions_tui/") and "*" not in name and name not in POLICY
        if set(codes) & CODES
    }


def missing_docstrings() -> dict[str, set[str]]:
    """Which D101-D103 codes each package file breaks, with no exemption applied."""
    args = [sys.executable, "-m", "ruff", "check", "--isolated", "--exit-zero"]
    args += ["--select", ",".join(sorted(CODES)), "--output-format", "json", "sessions_tui"]
    out = subprocess.run(
        args,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[str, set[str]] = {}
    for item in json.loads(out.stdout):
        name = Path(item["filename"]).resolve().relative_to(ROOT).as_posix()
        found.setdefault(name, set()).add(item["code"])
    return found


def test_the_list_names_nothing_beyond_the_baseline() -> None:
    grown = {
        name: sorted(codes - BASELINE.get(name, set()))
        for name, codes in listed_debt().items()
        if codes - BASELINE.get(name, set())
    }
    assert grown == {}, "write the docstrings instead of adding to per-file-ignores"


def test_paid_debt_leaves_the_list() -> None:
    found = missing_docstrings()
    paid = {
        name: sorted(codes - found.get(name, set()))
        for name, codes in listed_debt().items()
        if codes - found.get(name, set())
    }
    assert paid == {}, "these files no longer break these codes: remove them from the list"
