"""Headless layers never import Textual (checked in a clean interpreter)."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEADLESS = [
    "sessions_tui.domain.events",
    "sessions_tui.domain.recurrence",
    "sessions_tui.domain.officehours",
    "sessions_tui.domain.availability",
    "sessions_tui.store.db",
    "sessions_tui.store.queries",
    "sessions_tui.services.scheduling",
    "sessions_tui.services.practice",
    "sessions_tui.services.demo",
    "sessions_tui.services.render",
    "sessions_tui.sync",
    "sessions_tui.sync_runs",
    "sessions_tui.web.app",
    "sessions_tui.web.server",
    "sessions_tui.config",
    "sessions_tui.cli",
]


@pytest.mark.parametrize("module", HEADLESS)
def test_module_does_not_import_textual(module: str) -> None:
    code = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{module} pulled in {out.stdout.strip()}"


def test_every_headless_package_together() -> None:
    """Import all headless subpackages' modules at once (catches new modules too)."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import sessions_tui.domain, sessions_tui.store, sessions_tui.services, sessions_tui.sync\n"
        "for pkg in (sessions_tui.domain, sessions_tui.store, sessions_tui.services,"
        " sessions_tui.sync):\n"
        "    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        if '.migrations' in info.name:\n"
        "            continue\n"
        "        importlib.import_module(info.name)\n"
        "importlib.import_module('sessions_tui.cli')\n"
        "print('textual' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
