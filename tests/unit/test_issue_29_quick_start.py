"""Issue 29: the command line starts like a C tool where it can.

``--version`` imports neither click nor logging; the agenda's common forms run before click is
imported (``cli.quick``) and print what the whole CLI prints, written once; anything the quick
path does not serve goes to the whole CLI, which gives the error. Mechanisms, never timings.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from sessions_tui.__main__ import main
from sessions_tui.about import _dist_info_version, version
from sessions_tui.cli.quick import quick
from sessions_tui.store.db import Database

from ._cli import cli

WEEK = ["--from", "2026-11-22", "--days", "7", "--user", "alice", "--tz", "Europe/Berlin"]


def _modules_after(args: list[str], names: tuple[str, ...]) -> tuple[str, list[str]]:
    """stdout of ``main(args)`` in a fresh interpreter, and which of ``names`` it imported."""
    code = (
        "import json, sys; from sessions_tui.__main__ import main; "
        f"rc = main({args!r}); sys.stdout.flush(); "
        f"print(json.dumps([m for m in {names!r} if m in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    *out, loaded = done.stdout.splitlines()
    return "\n".join(out), json.loads(loaded)


def test_issue_29_version_imports_neither_click_nor_logging() -> None:
    out, loaded = _modules_after(["--version"], ("click", "logging", "importlib.metadata"))
    assert out == f"sessions-tui {metadata.version('sessions-tui')}"
    assert loaded == []


def test_issue_29_version_is_the_installed_metadata() -> None:
    # The quick look at the dist-info finds what importlib.metadata finds (or defers to it).
    assert _dist_info_version() in (None, metadata.version("sessions-tui"))
    assert version() == metadata.version("sessions-tui")


@pytest.mark.parametrize(
    ("folder", "file"),
    [("sessions_tui-7.8.9.dist-info", "METADATA"), ("sessions_tui.egg-info", "PKG-INFO")],
)
def test_issue_29_version_read_where_importlib_metadata_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str, file: str
) -> None:
    # An installed wheel's dist-info and a development checkout's egg-info (a repository root
    # as the current directory) both answer without importing importlib.metadata.
    (tmp_path / folder).mkdir()
    (tmp_path / folder / file).write_text(
        "Metadata-Version: 2.4\nName: sessions-tui\nVersion: 7.8.9\n\nVersion: 0\n"
    )
    monkeypatch.setattr(sys, "path", [str(tmp_path / "missing"), str(tmp_path), *sys.path])
    assert _dist_info_version() == "7.8.9"
    assert metadata.version("sessions-tui") == "7.8.9"  # the same answer


@pytest.fixture
def demo_path(demo_db: Database, tmp_path: Path, now_env: str) -> Path:
    demo_db.dispose()
    return tmp_path / "demo.db"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_issue_29_agenda_quick_path_prints_what_the_whole_cli_prints(
    demo_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    args = ["agenda", "--db", str(demo_path), *WEEK, "--format", fmt]
    whole = cli(capsys, *args)
    assert whole.code == 0, whole.err
    assert quick(args) == 0  # served here, not handed on
    got = capsys.readouterr()
    assert got.out == whole.out
    assert got.err == whole.err
    if fmt == "json":
        assert json.loads(got.out)


def test_issue_29_agenda_quick_path_imports_no_click(demo_path: Path) -> None:
    args = ["agenda", "--db", str(demo_path), *WEEK]
    out, loaded = _modules_after(
        args, ("click", "sessions_tui.cli.main", "sessions_tui.cli.agenda", "sqlalchemy")
    )
    assert "(nothing scheduled)" in out or "–" in out
    assert loaded == []


class _Counting:
    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return len(text)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("door", ["quick", "click"])
def test_issue_29_agenda_output_written_once(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch, door: str
) -> None:
    # The whole week in one write (it was a click.echo per line: 254 at 10k).
    counting = _Counting()
    monkeypatch.setattr(sys, "stdout", counting)
    args = ["agenda", "--db", str(demo_path), *WEEK]
    if door == "click":
        monkeypatch.setenv("SESSIONS_TUI_NO_QUICK", "1")
    assert main(args) == 0
    written = [w for w in counting.writes if w]
    assert len(written) == 1
    assert written[0].count("\n") > 7  # every day's heading, and the events


@pytest.mark.parametrize(
    "extra",
    [
        ["--help"],
        ["--days", "0"],
        ["--format", "xml"],
        ["--tz", "Mars/Base"],
        ["--practitioner", "Nobody At All"],
        ["--debug"],
        ["stray"],
    ],
)
def test_issue_29_agenda_quick_path_hands_on_what_it_does_not_serve(
    demo_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    # Help, bad usage and errors are the whole CLI's: nothing printed here, nothing decided.
    assert quick(["agenda", "--db", str(demo_path), *WEEK, *extra]) is None
    assert capsys.readouterr() == ("", "")


def test_issue_29_agenda_quick_path_needs_a_named_sqlite_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The default file is the ORM path's (it makes its folder), as is any other backend.
    assert quick(["agenda", *WEEK]) is None
    assert quick(["agenda", "--db", "postgresql+psycopg://u@h/db", *WEEK]) is None
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_issue_29_agenda_quick_path_passes_the_output_filter(
    demo_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    # The one boundary filter of the CLI (domain.text.SafeStream) holds on the quick path too.
    import sqlite3

    with sqlite3.connect(demo_path) as conn:
        conn.create_function("sessions_actor", 0, lambda: None)  # the audit triggers ask
        conn.execute("UPDATE event SET title = 'Evil\x1b]0;pwned\x07 title\x1b[2J\x9b31m'")
    assert quick(["agenda", "--db", str(demo_path), *WEEK, "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert "Evil" in out
    assert not {"\x1b", "\x07", "\x9b"} & set(out)


def test_issue_29_agenda_quick_path_to_a_closed_pipe_is_one_exit_code(demo_path: Path) -> None:
    # ``agenda | head``: the reader is gone before the one write. No traceback, exit 1.
    import os

    read, write = os.pipe()
    os.close(read)  # closed before the command runs: its write fails, whatever the timing
    code = "import sys; from sessions_tui.__main__ import main; sys.exit(main(sys.argv[1:]))"
    args = ["agenda", "--db", str(demo_path), *WEEK]
    done = subprocess.run(
        [sys.executable, "-c", code, *args], stdout=write, stderr=subprocess.PIPE, text=True
    )
    os.close(write)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
