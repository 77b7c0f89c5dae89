"""Issue 28: names validated like client names, bounded inputs, honest errors on bad days, a
mistyped ``--db`` and bad URLs or hosts: each ends in one line naming what was wrong, with
nothing stored or half-written."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from sessions_tui.domain.model import Role
from sessions_tui.services import practice
from sessions_tui.services.context import Context
from sessions_tui.store.db import Database

from ._cli import cli, dump

HOSTILE_NAMES = [
    "Main\x1b[8m office",  # hidden text: two locations looked the same
    "Room\x1b]0;pwned\x07 2",
    "Room \u202e3",
    "Room \u2066x\u2069",
    "Room\x9b2J",
    "Room\x00",
]


@pytest.fixture
def practice_db(admin_ctx: Context, db: Database, tmp_path: Path) -> Path:
    practice.add_staff(admin_ctx, "pat", "Pat Practitioner", {Role.PRACTITIONER})
    practice.add_location(admin_ctx, "Room 1")
    practice.add_client(admin_ctx, "Cora", "Client", "C-1")
    db.dispose()
    return tmp_path / "practice.db"


def _one_error(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err, err
    assert "unexpected" not in err, err
    return lines[0]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_issue_28_location_names_refuse_control_escape_and_bidi(
    capsys: pytest.CaptureFixture[str], practice_db: Path, name: str
) -> None:
    before = dump(practice_db)
    for args in (
        ["locations", "add", name],
        ["clients", "add", name, "Client"],
        ["staff", "add", "zed", "--name", name, "--role", "practitioner"],
    ):
        r = cli(capsys, *args, "--db", str(practice_db), "--user", "admin")
        assert r.code != 0, args
        line = _one_error(r.err)
        assert "contains a control character" in line
        assert "\x1b" not in line
        assert "\u202e" not in line
    assert dump(practice_db) == before


def test_issue_28_locations_list_shows_a_stored_escape(
    capsys: pytest.CaptureFixture[str], practice_db: Path
) -> None:
    con = sqlite3.connect(practice_db)
    con.create_function("sessions_actor", 0, lambda: "admin")
    with con:
        con.execute("UPDATE location SET name = 'Room\x1b[8m 1' WHERE name = 'Room 1'")
        con.execute("INSERT INTO location (name, archived) VALUES ('Room 1', 0)")
    con.close()
    r = cli(capsys, "locations", "list", "--db", str(practice_db), "--user", "admin")
    assert r.code == 0
    lines = r.out.splitlines()
    assert len(set(lines)) == 2, lines  # the two no longer look the same
    assert "Room␛[8m 1" in lines


# --- bounded inputs -----------------------------------------------------------------------


def test_issue_28_clients_import_dev_zero_ends_with_one_line(
    capsys: pytest.CaptureFixture[str], practice_db: Path
) -> None:
    before = dump(practice_db)
    r = cli(capsys, "clients", "import", "/dev/zero", "--db", str(practice_db), "--user", "admin")
    assert r.code != 0
    line = _one_error(r.err)
    assert "/dev/zero" in line
    assert "too large" in line
    assert "16 MB" in line
    assert dump(practice_db) == before


def test_issue_28_config_file_dev_zero_ends_with_one_line(
    capsys: pytest.CaptureFixture[str], practice_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SESSIONS_TUI_CONFIG", "/dev/zero")
    r = cli(capsys, "web", "serve", "--db", str(practice_db), "--user", "admin", "--port", "0")
    assert r.code != 0
    line = _one_error(r.err)
    assert "/dev/zero" in line
    assert "too large for a config file" in line


def _ics(title: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
        "UID:long-title@example.org\r\nDTSTAMP:20261101T000000Z\r\n"
        "DTSTART:20261201T150000Z\r\nDTEND:20261201T160000Z\r\n"
        f"SUMMARY:{title}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def test_issue_28_a_title_past_the_limit_is_refused_at_the_ics_door(
    capsys: pytest.CaptureFixture[str], practice_db: Path, tmp_path: Path
) -> None:
    before = dump(practice_db)
    path = tmp_path / "long.ics"
    path.write_text(_ics("x" * 5_000), encoding="utf-8")
    r = cli(
        capsys, "ics", "import", str(path), "--practitioner", "Pat Practitioner",
        "--db", str(practice_db), "--user", "admin", "--strict",
    )  # fmt: skip
    assert r.code != 0
    assert "at most 1,000 characters" in _one_error(r.err)
    assert dump(practice_db) == before
    # Without --strict the event is skipped with its line (issue 26), and still not stored.
    r = cli(
        capsys, "ics", "import", str(path), "--practitioner", "Pat Practitioner",
        "--db", str(practice_db), "--user", "admin",
    )  # fmt: skip
    assert "at most 1,000 characters" in r.err
    assert "1 event skipped" in r.out
    assert dump(practice_db) == before


def test_issue_28_a_60_mb_title_cannot_be_stored(admin_ctx: Context, db: Database) -> None:
    from datetime import UTC, datetime

    from sessions_tui.domain.errors import ValidationError
    from sessions_tui.domain.events import Event, EventKind
    from sessions_tui.services import appointments

    start = datetime(2026, 12, 1, 15, tzinfo=UTC)
    event = Event(
        kind=EventKind.OTHER,
        start=start,
        end=start.replace(hour=16),
        tzid="America/Chicago",
        title="x" * (60 * 1024 * 1024),
        practitioner_id=admin_ctx.require_actor().id,
    )
    with pytest.raises(ValidationError, match="at most 1,000 characters"):
        appointments.create(admin_ctx, event)
    con = sqlite3.connect(db.engine.url.database or "")
    try:
        assert con.execute("SELECT count(*) FROM event").fetchone() == (0,)
        longest = con.execute('SELECT max(length("after")) FROM audit_log').fetchone()[0]
        assert (longest or 0) < 10_000
    finally:
        con.close()


# --- honest errors on bad days ------------------------------------------------------------


def _clients_csv(tmp_path: Path, n: int) -> str:
    path = tmp_path / "many.csv"
    rows = "".join(f"Given{i},Family{i},ID-{i}\n" for i in range(n))
    path.write_text("first_name,last_name,internal_id\n" + rows, encoding="utf-8")
    return str(path)


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every connection the CLI opens finds its database "full": SQLite's max_page_count set
    to the pages it has, so a write that needs one more page fails with SQLITE_FULL, as it
    does when the disk itself is full."""
    from sessions_tui.store import db as store_db

    pragmas = store_db._sqlite_pragmas

    def full(dbapi_connection: object, record: object) -> None:
        pragmas(dbapi_connection, record)
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        (pages,) = cursor.execute("PRAGMA page_count").fetchone()
        cursor.execute(f"PRAGMA max_page_count={pages}")
        cursor.close()

    monkeypatch.setattr(store_db, "_sqlite_pragmas", full)


def test_issue_28_disk_full_during_an_import_says_so(
    capsys: pytest.CaptureFixture[str], practice_db: Path, tmp_path: Path, full_disk: None
) -> None:
    csv_path = _clients_csv(tmp_path, 3_000)
    before = dump(practice_db)
    r = cli(capsys, "clients", "import", csv_path, "--db", str(practice_db), "--user", "admin")
    assert r.code != 0
    line = _one_error(r.err)
    assert "disk is full" in line
    assert str(practice_db) in line
    assert "OperationalError" not in line
    assert dump(practice_db) == before


@pytest.fixture
def read_only_file(practice_db: Path) -> Iterator[Path]:
    """The practice file made read-only: immutable (chattr +i) when running as root (root
    writes through a mode of 0444), else mode 0444."""
    import os
    import shutil
    import subprocess

    immutable = os.geteuid() == 0
    if immutable:
        if shutil.which("chattr") is None:
            pytest.skip("running as root without chattr: no way to make a file read-only")
        done = subprocess.run(["chattr", "+i", str(practice_db)], capture_output=True)
        if done.returncode != 0:
            pytest.skip("this file system has no immutable flag")
    else:
        practice_db.chmod(0o444)
    try:
        yield practice_db
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(practice_db)], check=True)
        practice_db.chmod(0o644)


def test_issue_28_read_only_database_file_says_so(
    capsys: pytest.CaptureFixture[str], read_only_file: Path
) -> None:
    before = dump(read_only_file)
    r = cli(capsys, "locations", "add", "Room 2", "--db", str(read_only_file), "--user", "admin")
    assert r.code != 0
    line = _one_error(r.err)
    assert "read-only" in line
    assert str(read_only_file) in line
    assert dump(read_only_file) == before
    # Reading still works.
    assert (
        cli(capsys, "locations", "list", "--db", str(read_only_file), "--user", "admin").code == 0
    )


def test_issue_28_locked_database_says_so(
    capsys: pytest.CaptureFixture[str], practice_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sessions_tui.store import db as store_db

    pragmas = store_db._sqlite_pragmas

    def impatient(dbapi_connection: object, record: object) -> None:
        pragmas(dbapi_connection, record)
        dbapi_connection.execute("PRAGMA busy_timeout=0")  # type: ignore[attr-defined]

    monkeypatch.setattr(store_db, "_sqlite_pragmas", impatient)
    monkeypatch.setattr(store_db, "BUSY_RETRIES", 1)
    holder = sqlite3.connect(practice_db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        r = cli(capsys, "locations", "add", "Room 2", "--db", str(practice_db), "--user", "admin")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert r.code != 0
    line = _one_error(r.err)
    assert "locked by another program" in line
    assert "nothing was changed" in line
    assert repr(str(practice_db)) in line


def _corrupt(path: Path) -> None:
    """Overwrite one page in the middle of the file with garbage (a torn write, a bad disk)."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (page_size,) = con.execute("PRAGMA page_size").fetchone()
    (pages,) = con.execute("PRAGMA page_count").fetchone()
    con.close()
    with path.open("r+b") as f:
        f.seek(page_size * (pages // 2))
        f.write(b"\xde\xad\xbe\xef" * (page_size // 4))


def test_issue_28_page_corrupted_database_is_refused_on_open(
    capsys: pytest.CaptureFixture[str], practice_db: Path
) -> None:
    _corrupt(practice_db)
    for args in (["locations", "add", "Room 2"], ["agenda", "--days", "1"], ["db", "check"]):
        r = cli(capsys, *args, "--db", str(practice_db), "--user", "admin")
        assert r.code != 0, args
        line = _one_error(r.err)
        assert "is damaged" in line
        assert str(practice_db) in line
        assert "docs/SETUP.md" in line
    r = cli(capsys, "db", "check", "--db", str(practice_db))
    assert r.code != 0


# --- a mistyped --db ----------------------------------------------------------------------


def test_issue_28_a_mistyped_db_path_is_not_made_into_a_new_practice(
    capsys: pytest.CaptureFixture[str], practice_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sessions_tui.app import SessionsApp

    started: list[object] = []
    monkeypatch.setattr(SessionsApp, "run", lambda self, *a, **k: started.append(self))
    typo = practice_db.with_name("pratice.db")
    for args in (
        [],  # the calendar
        ["agenda"],
        ["locations", "list"],
        ["clients", "add", "Cora", "Client"],
        ["settings", "show"],
        ["ics", "export"],
    ):
        r = cli(capsys, *args, "--db", str(typo), "--user", "admin")
        assert r.code != 0, args
        line = _one_error(r.err)
        assert f"no practice database at {str(typo)!r}" in line
        assert "staff add" in line
        assert not typo.exists(), args
    assert started == []


@pytest.mark.parametrize(
    "args",
    [
        ["staff", "add", "ada", "--name", "Ada Admin", "--role", "admin"],
        ["db", "upgrade"],
        ["demo"],
    ],
    ids=["staff-add", "db-upgrade", "demo"],
)
def test_issue_28_the_commands_that_start_a_practice_still_make_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str]
) -> None:
    path = tmp_path / "new.db"
    r = cli(capsys, *args, "--db", str(path))
    assert r.code == 0, r.err
    assert path.is_file()


# --- URLs and hosts checked where they are set --------------------------------------------


@pytest.mark.parametrize(
    "base_url",
    ["notaurl", "ftp://cal.example.org", "https://", "https://cal example.org",
     "https://cal.example.org/?x=1", "https://999.1.1.1", "https://cal.example.org:99999"],
)  # fmt: skip
def test_issue_28_ics_url_refuses_a_bad_base_url(
    capsys: pytest.CaptureFixture[str], practice_db: Path, base_url: str
) -> None:
    before = dump(practice_db)
    r = cli(
        capsys, "ics", "url", "--practitioner", "Pat Practitioner", "--base-url", base_url,
        "--db", str(practice_db), "--user", "admin",
    )  # fmt: skip
    assert r.code == 2
    assert _one_error(r.err).startswith(f"sessions-tui: error: bad --base-url {base_url!r}")
    assert r.out == ""
    assert dump(practice_db) == before


def test_issue_28_ics_url_takes_a_good_base_url(
    capsys: pytest.CaptureFixture[str], practice_db: Path
) -> None:
    r = cli(
        capsys, "ics", "url", "--practitioner", "Pat Practitioner",
        "--base-url", "https://cal.example.org/practice/",
        "--db", str(practice_db), "--user", "admin",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert r.out.startswith("https://cal.example.org/practice/feeds/")


@pytest.mark.parametrize("host", ["999.1.1.1", "bad host", "-x", "1.2.3"])
def test_issue_28_serve_refuses_a_bad_host_with_its_one_line_only(
    capsys: pytest.CaptureFixture[str], practice_db: Path, host: str
) -> None:
    import logging

    root = logging.getLogger()
    handlers = list(root.handlers)
    try:
        for command in (["ics", "serve"], ["web", "serve"]):
            r = cli(
                capsys, *command, "--host", host, "--port", "0",
                "--db", str(practice_db), "--user", "admin",
            )  # fmt: skip
            assert r.code != 0
            assert _one_error(r.err) == (
                f"sessions-tui: error: bad --host {host!r}: not an IP address or host name"
            )
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
