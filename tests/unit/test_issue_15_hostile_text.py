"""Issue 15: text from outside never reaches a terminal with control characters in it.

A title holding OSC (``ESC ] 0 ; pwned BEL``, retitles the window) and CSI (``ESC [ 2 J``,
clears the screen) arrives from an .ics file and from a Google pull; neither ``agenda``'s text
output, nor any other CLI line, nor the JSON (which escapes them) carries the raw codes.
"""

from __future__ import annotations

import io
import json
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sessions_tui.cli import run
from sessions_tui.domain.text import has_controls, redact_secrets, safe_text
from sessions_tui.services.context import Context
from sessions_tui.sync.ics import import_calendar

from ._cli import cli
from .google_harness import CAL, Practice, emu_fixture, pr_fixture  # noqa: F401

HOSTILE = "Evil\x1b]0;pwned\x07 title\x1b[2J\x9b31m"
RAW = ("\x1b", "\x07", "\x9b")


def _clean(text: str) -> None:
    for code in RAW:
        assert code not in text, repr(text)


def _ics(summary: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\n"
        "UID:hostile-1@example.com\r\nDTSTAMP:20261101T000000Z\r\n"
        "DTSTART:20261125T150000Z\r\nDTEND:20261125T160000Z\r\n"
        f"SUMMARY:{summary}\r\nLOCATION:Room\x1b[5m\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def test_safe_text_makes_every_control_visible() -> None:
    shown = safe_text(HOSTILE)
    assert not has_controls(shown)
    assert shown == "Evil␛]0;pwned␇ title␛[2J\\u009b31m"
    assert safe_text("plain [b]markup[/b] ü") == "plain [b]markup[/b] ü"
    assert safe_text("a\nb\tc") == "a␊b␉c"
    assert safe_text("a\nb", keep_newlines=True) == "a\nb"
    assert safe_text("abc\u202edef") == "abc\\u202edef"  # a bidi override reorders a line


def test_issue_15_hostile_ics_title_never_reaches_agenda_text(
    admin_ctx: Context, tmp_path: Path, capsys: pytest.CaptureFixture[str], now_env: str
) -> None:
    me = admin_ctx.require_actor()
    import_calendar(admin_ctx, _ics(HOSTILE), practitioner_id=me.id, name="evil.ics")
    db = str(tmp_path / "practice.db")
    text = cli(capsys, "agenda", "--db", db, "--from", "2026-11-25", "--tz", "UTC")
    assert text.code == 0, text.err
    assert "pwned" in text.out  # shown, visibly
    _clean(text.out)
    _clean(text.err)
    as_json = cli(capsys, "agenda", "--db", db, "--from", "2026-11-25", "--format", "json")
    _clean(as_json.out)  # JSON keeps the exact text, escaped
    assert HOSTILE in [item["title"] for item in json.loads(as_json.out)]


def test_issue_15_hostile_names_in_lists_and_errors(
    admin_ctx: Context, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "practice.db")
    for args in (
        ("locations", "add", "Room\x1b]0;x\x07"),
        ("clients", "add", "Eve\x1b[2J", "Doe"),
        ("staff", "add", "mal", "--name", "Mal\x1b[2Jlory", "--role", "practitioner"),
    ):
        # Accepted (and then listed visibly) or refused with one clean line: never raw.
        result = cli(capsys, *args, "--db", db)
        _clean(result.out)
        _clean(result.err)
        assert result.code == 0 or len(result.err.splitlines()) == 1
    admin_ctx.db.dispose()
    with sqlite3.connect(tmp_path / "practice.db") as conn:  # an older or hand-edited row
        conn.create_function("sessions_actor", 0, lambda: None)  # the audit triggers ask
        conn.execute("INSERT INTO client (first_name, last_name) VALUES ('Eve\x1b[2J', 'Doe')")
        conn.execute("INSERT INTO location (name, archived) VALUES ('Hall\x1b]0;x\x07', 0)")
        conn.execute("UPDATE staff SET name = 'Ada\x1b[2J' WHERE login = 'admin'")
    for group in ("locations", "clients", "staff"):
        listed = cli(capsys, group, "list", "--db", db)
        assert listed.code == 0, listed.err
        _clean(listed.out)
    # An error quoting outside text: one line, no control code.
    err = cli(capsys, "agenda", "--db", db, "--practitioner", "Nobody\x1b]0;x\x07")
    assert err.code != 0
    _clean(err.err)
    assert len(err.err.splitlines()) == 1


def test_issue_15_hostile_google_title_never_reaches_agenda_text(
    pr: Practice, tmp_path: Path, capsys: pytest.CaptureFixture[str], now_env: str
) -> None:
    start = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    pr.emu.state.create(
        CAL,
        summary=HOSTILE,
        location="Annex\x1b]2;owned\x07",
        start={"dateTime": start.isoformat()},
        end={"dateTime": (start + timedelta(hours=1)).isoformat()},
    )
    report = pr.sync()
    assert report.pulled == 1
    db = str(tmp_path / "practice.db")
    text = cli(capsys, "agenda", "--db", db, "--from", "2026-11-25", "--tz", "UTC")
    assert text.code == 0, text.err
    assert "pwned" in text.out
    _clean(text.out)


def test_redact_secrets() -> None:
    url = "postgresql+psycopg://alice:s3cr%40t@db.example:5432/practice"
    assert redact_secrets(f"cannot open {url!r}") == (
        "cannot open 'postgresql+psycopg://alice:***@db.example:5432/practice'"
    )
    assert "hunter2" not in redact_secrets("host=db user=a password=hunter2 dbname=p")
    assert redact_secrets("nothing here") == "nothing here"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_issue_15_agenda_on_a_tty_shows_the_codes_visibly(
    admin_ctx: Context,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    now_env: str,
) -> None:
    # On a terminal click strips nothing itself: the one filter of cli.run does the work.
    me = admin_ctx.require_actor()
    import_calendar(admin_ctx, _ics(HOSTILE), practitioner_id=me.id, name="evil.ics")
    out, err = _Tty(), _Tty()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    db = str(tmp_path / "practice.db")
    assert run(["agenda", "--db", db, "--from", "2026-11-25", "--tz", "UTC"]) == 0
    assert "Evil␛]0;pwned␇ title␛[2J\\u009b31m" in out.getvalue()
    _clean(out.getvalue())
    assert run(["agenda", "--db", db, "--practitioner", "Nobody\x1b]0;x\x07"]) != 0
    _clean(err.getvalue())


def test_the_output_filter_keeps_crlf_line_ends_and_shows_a_lone_cr() -> None:
    """CRLF ends a line (an .ics on stdout needs it); a CR alone would let data overwrite
    its own line on a terminal, so it is shown. Bytes (click's completion) go the same way."""
    import io

    from sessions_tui.domain.text import SafeStream

    inner = io.StringIO()
    stream = SafeStream(inner)
    stream.write("SUMMARY:a\rb\x1b[2J\r\n")
    stream.write(b"plain,ics\n")
    assert inner.getvalue() == "SUMMARY:a\u240db\u241b[2J\r\nplain,ics\n"
