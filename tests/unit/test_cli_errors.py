"""Bad input to every command exits non-zero with one line on stderr naming what was wrong,
and leaves the database exactly as it was (every table dumped before and after)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sessions_tui.domain.model import Role
from sessions_tui.services import practice
from sessions_tui.services.context import Context
from sessions_tui.store.db import Database

from ._cli import cli, dump


@pytest.fixture
def practice_db(admin_ctx: Context, db: Database, tmp_path: Path) -> Path:
    """A small practice: admin ``admin``, practitioner ``pat``, a location, a client."""
    practice.add_staff(admin_ctx, "pat", "Pat Practitioner", {Role.PRACTITIONER})
    practice.add_staff(admin_ctx, "sky", "Sky Scheduler", {Role.SCHEDULER})
    practice.add_location(admin_ctx, "Room 1")
    practice.add_client(admin_ctx, "Cora", "Client", "C-1")
    db.dispose()
    return tmp_path / "practice.db"


def _csv(tmp_path: Path, text: str) -> str:
    path = tmp_path / "clients.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


# (argv after "--db PATH", words the one error line must contain)
CASES: list[tuple[list[str], list[str]]] = [
    (
        ["agenda", "--user", "admin", "--practitioner", "Nobody"],
        ["unknown practitioner 'Nobody'", "Pat Practitioner"],
    ),
    (["agenda", "--user", "admin", "--location", "Moon"], ["unknown location 'Moon'", "Room 1"]),
    (["agenda", "--user", "admin", "--from", "2026-02-30"], ["bad --from date '2026-02-30'"]),
    (["agenda", "--user", "admin", "--from", "next week"], ["bad --from date"]),
    (["agenda", "--user", "admin", "--days", "0"], ["--days", "0"]),
    (["agenda", "--user", "admin", "--days", "many"], ["--days", "many"]),
    (["agenda", "--user", "admin", "--tz", "Mars/Base"], ["unknown time zone 'Mars/Base'"]),
    (["agenda", "--user", "mallory"], ["unknown user 'mallory'", "staff add mallory"]),
    (["agenda", "--user", "admin", "--format", "xml"], ["--format", "xml"]),
    (
        ["staff", "add", "newbie", "--name", "New", "--role", "wizard", "--user", "admin"],
        ["unknown role 'wizard'"],
    ),
    (
        ["staff", "add", "pat", "--name", "Pat Again", "--role", "practitioner", "--user", "admin"],
        ["login 'pat' is already taken"],
    ),
    (
        ["staff", "add", "newbie", "--name", "New", "--role", "practitioner", "--user", "pat"],
        ["only an admin may add staff", "pat"],
    ),
    (
        ["staff", "add", "newbie", "--name", "New", "--role", "practitioner", "--user", "sky"],
        ["only an admin may add staff"],
    ),
    (["staff", "add", "newbie", "--role", "practitioner", "--user", "admin"], ["--name"]),
    (
        ["staff", "add", "bad login", "--name", "X", "--role", "practitioner", "--user", "admin"],
        ["bad login 'bad login'"],
    ),
    (["staff", "list", "--user", "admin", "--tz", "Nowhere/Zone"], ["unknown time zone"]),
    (
        ["clients", "add", "Dup", "Licate", "--internal-id", "C-1", "--user", "admin"],
        ["internal ID 'C-1' is already used"],
    ),
    (
        ["clients", "add", "Nope", "Nope", "--user", "pat"],
        ["only an admin or scheduler may add clients"],
    ),
    (["clients", "add", " ", "Blank", "--user", "admin"], ["first name must not be empty"]),
    (["locations", "add", "Room 1", "--user", "admin"], ["location 'Room 1' already exists"]),
    (["locations", "add", "room 1", "--user", "sky"], ["location 'room 1' already exists"]),
    (
        ["locations", "add", "Room 2", "--user", "pat"],
        ["only an admin or scheduler may add locations"],
    ),
    (["demo"], ["already holds a practice"]),
    (["nonsense-command"], ["nonsense-command"]),
]


@pytest.mark.parametrize(("args", "words"), CASES, ids=[" ".join(a[:4]) for a, _ in CASES])
def test_bad_input_one_line_and_nothing_changes(
    practice_db: Path, capsys: pytest.CaptureFixture[str], args: list[str], words: list[str]
) -> None:
    before = dump(practice_db)
    result = cli(capsys, "--db", str(practice_db), *args)
    assert result.code != 0
    assert len(result.err_lines) == 1, result.err
    line = result.err_lines[0]
    assert line.startswith("sessions-tui: error: "), line
    for word in words:
        assert word in line, (word, line)
    assert result.out == ""
    assert dump(practice_db) == before


CSV_CASES = [
    ("name,surname\nAl,Bo\n", ["header must be first_name,last_name,internal_id"]),
    ("first_name,last_name,internal_id\nAl,Bo\n", ["line 2: expected 3 columns, found 2"]),
    ("first_name,last_name,internal_id\nAl,Bo,X-1\nCy,Di,X-1\n", ["line 3", "repeats line 2"]),
    ("first_name,last_name,internal_id\nAl,Bo,C-1\n", ["line 2", "'C-1' is already used"]),
    ("first_name,last_name,internal_id\nAl,Bo,X-9\n,Empty,X-10\n", ["line 3", "first name"]),
    ("", ["the file is empty"]),
    ('first_name,last_name,internal_id\nAl,"Bo,X-1\n', ["nothing imported"]),
]


@pytest.mark.parametrize(("text", "words"), CSV_CASES)
def test_clients_import_malformed_csv(
    practice_db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str,
    words: list[str],
) -> None:
    before = dump(practice_db)
    result = cli(
        capsys,
        "clients",
        "import",
        _csv(tmp_path, text),
        "--db",
        str(practice_db),
        "--user",
        "admin",
    )
    assert result.code != 0
    assert len(result.err_lines) == 1, result.err
    for word in words:
        assert word in result.err_lines[0], (word, result.err)
    assert dump(practice_db) == before


def test_clients_import_missing_file(
    practice_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = dump(practice_db)
    result = cli(
        capsys,
        "clients",
        "import",
        str(tmp_path / "nope.csv"),
        "--db",
        str(practice_db),
        "--user",
        "admin",
    )
    assert result.code != 0
    assert len(result.err_lines) == 1
    assert "nope.csv" in result.err
    assert dump(practice_db) == before


def test_clients_import_good_file_adds_all(
    practice_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _csv(tmp_path, "first_name,last_name,internal_id\nAl,Bo,X-1\nCy,Di,\n")
    result = cli(capsys, "clients", "import", path, "--db", str(practice_db), "--user", "admin")
    assert (result.code, result.out.strip()) == (0, "Imported 2 clients.")
    assert {r[1:] for r in dump(practice_db)["client"]} == {
        ("Cora", "Client", "C-1"),
        ("Al", "Bo", "X-1"),
        ("Cy", "Di", None),
    }


# --- bad --db values: nothing is created anywhere ---------------------------------------------


@pytest.mark.parametrize("where", ["before", "after"])
def test_db_is_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    args = ["--db", str(folder), "agenda"] if where == "before" else ["agenda", "--db", str(folder)]
    result = cli(capsys, *args)
    assert result.code != 0
    assert result.err_lines == [
        f"sessions-tui: error: bad --db {str(folder)!r}: it is a directory, not a database file"
    ]
    assert list(folder.iterdir()) == []


def test_db_in_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "missing" / "practice.db"
    result = cli(capsys, "staff", "list", "--db", str(target))
    assert result.code != 0
    assert len(result.err_lines) == 1
    assert "does not exist" in result.err
    assert "missing" in result.err
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize(
    "url", ["mysql://user@host/db", "not a url://x", "sqlite:////nonexistent-dir/x/y.db"]
)
def test_bad_db_url(tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str) -> None:
    result = cli(capsys, "agenda", "--db", url)
    assert result.code != 0
    assert len(result.err_lines) == 1, result.err
    assert result.err_lines[0].startswith("sessions-tui: error: ")
    assert "--db" in result.err or "cannot open database" in result.err
    assert not Path("/nonexistent-dir").exists()


def test_sessions_tui_db_env_is_used_and_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "env-folder"
    folder.mkdir()
    monkeypatch.setenv("SESSIONS_TUI_DB", str(folder))
    result = cli(capsys, "staff", "list")
    assert result.code != 0
    assert "it is a directory" in result.err


def test_bad_config_file_is_one_line(
    practice_db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bad = tmp_path / "config.toml"
    bad.write_text("tz = [unclosed\n", encoding="utf-8")
    monkeypatch.setenv("SESSIONS_TUI_CONFIG", str(bad))
    result = cli(capsys, "agenda", "--db", str(practice_db), "--user", "admin")
    assert result.code != 0
    assert len(result.err_lines) == 1
    assert "bad config file" in result.err


def test_bad_sessions_tui_now_is_one_line(
    practice_db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SESSIONS_TUI_NOW", "2026-11-25 10:00")
    result = cli(capsys, "agenda", "--db", str(practice_db), "--user", "admin")
    assert result.code != 0
    assert len(result.err_lines) == 1
    assert "SESSIONS_TUI_NOW" in result.err
