"""Issue 28: names validated like client names, bounded inputs, honest errors on bad days, a
mistyped ``--db`` and bad URLs or hosts: each ends in one line naming what was wrong, with
nothing stored or half-written."""

from __future__ import annotations

import sqlite3
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
