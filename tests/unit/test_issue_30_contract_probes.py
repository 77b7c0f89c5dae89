"""Issue 30: the import contracts refuse what docs/DESIGN.md forbids. Three probes are planted in
a copy of the package — a Textual widget imported from the web service, the store imported from
the web service, and the Google client imported from a screen — and ``lint-imports`` (the CI
step) must break a contract for each, naming the planted module."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sessions_tui

PACKAGE = Path(sessions_tui.__file__).parent
ROOT = PACKAGE.parent

PROBES = {
    "web/probe_widget.py": "from textual.widgets import Static  # noqa: F401\n",
    "web/probe_store.py": "from sessions_tui.store.db import open_database  # noqa: F401\n",
    "screens/probe_google.py": "import googleapiclient.discovery  # noqa: F401\n",
}


def test_issue_30_each_forbidden_import_breaks_a_contract(tmp_path: Path) -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("lint-imports is not installed beside this Python (pip install -e '.[test]')")
    copy = tmp_path / "sessions_tui"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for relative, line in PROBES.items():
        (copy / relative).write_text(line)
    env = {"PATH": str(lint.parent), "PYTHONPATH": str(tmp_path), "HOME": str(tmp_path)}
    out = subprocess.run(
        [str(lint), "--no-cache"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    said = out.stdout + out.stderr
    assert out.returncode != 0, said
    for relative in PROBES:
        module = "sessions_tui." + relative.removesuffix(".py").replace("/", ".")
        assert module in said, f"no contract broken by {module}:\n{said}"
