"""Issue 19: the log file never holds a client's name, an event's private title or a secret,
at any level. A Google sync against the emulator, an ICS import and export, a feed fetched over
HTTP and a refused command all run with ``--debug``; then the log file is searched for every
name and secret they used."""

from __future__ import annotations

import threading
import urllib.request
from pathlib import Path

import pytest

from sessions_tui.logs import Redact
from sessions_tui.services import feeds
from sessions_tui.sync.google import build_service

from ._cli import cli
from .google_harness import CAL, Practice, emu_fixture, pr_fixture  # noqa: F401

CLIENT_WORDS = ("Jane", "Doe", "Bob", "Roe", "C-17", "Zelda", "Quixote")
"""The harness's clients (Jane Doe, internal id C-17; Bob Roe), one added here, one imported."""


def _log(tmp_path: Path) -> str:
    return (tmp_path / "home/.local/state/sessions-tui/log/sessions-tui.log").read_text("utf-8")


def test_issue_19_no_names_or_secrets_in_the_log(
    pr: Practice,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SESSIONS_TUI_GOOGLE_ENDPOINT", pr.emu.endpoint)
    monkeypatch.setenv("SESSIONS_TUI_NOW", "2026-11-25T16:00:00+00:00")
    base = ["--db", pr.db.url, "--user", "admin", "--debug"]
    pr.session(pr.jane)
    pr.session(pr.bob, start=pr.ctx.clock.now().replace(hour=20))
    pr.other("Lunch with Bob Roe")  # a private title that names a client

    # Google: push, then a change made on Google's side pulled back.
    r = cli(capsys, "google", "sync", "--practitioner", "pat", *base)
    assert r.code == 0, r.err
    body = {
        "summary": "Jane Doe (added in Google)",
        "start": {"dateTime": "2026-12-02T10:00:00-06:00", "timeZone": "America/Chicago"},
        "end": {"dateTime": "2026-12-02T11:00:00-06:00", "timeZone": "America/Chicago"},
    }
    build_service(pr.emu.endpoint).events().insert(calendarId=CAL, body=body).execute()
    r = cli(capsys, "google", "sync", "--practitioner", "pat", "--log-level", "debug", *base)
    assert r.code == 0, r.err

    # ICS: import a file naming a client, export with full names.
    ics = tmp_path / "in.ics"
    ics.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:q-1\r\n"
        "DTSTAMP:20261101T000000Z\r\nDTSTART:20261201T150000Z\r\nDTEND:20261201T160000Z\r\n"
        "SUMMARY:Quixote intake\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        encoding="utf-8",
    )
    r = cli(capsys, "ics", "import", str(ics), "--practitioner", "pat", *base)
    assert r.code == 0, r.err
    out = tmp_path / "out.ics"
    r = cli(
        capsys, "ics", "export", "--practitioner", "pat", "--identifier", "full",
        "--i-understand-pii", "-o", str(out), *base,
    )  # fmt: skip
    assert r.code == 0, r.err
    assert "Jane Doe" in out.read_text("utf-8")  # the names were there to leak

    # A feed over HTTP: its URL holds the secret token.
    from sessions_tui.sync.feed import make_server

    srv = make_server(pr.db, pr.ctx.clock, "127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = srv.server_address[:2]
        url = feeds.ensure_feed(pr.ctx, pr.pat.id).url(f"http://{host!s}:{port}")
        assert url is not None
        token = url.rsplit("/", 1)[1][: -len(".ics")]
        with urllib.request.urlopen(url, timeout=10) as resp:
            assert resp.status == 200
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(5)

    # Refusals whose one line on screen names a client: the log gets the kind only.
    assert cli(capsys, "clients", "add", "Zelda", "Zed", *base).code == 0
    r = cli(capsys, "clients", "add", "Zelda", "Zed", "--internal-id", "C-17", *base)
    assert r.code != 0
    r = cli(capsys, "agenda", "--practitioner", "Zelda Zed", *base)
    assert r.code != 0
    assert "Zelda" in r.err

    text = _log(tmp_path)
    assert " DEBUG " in text
    assert "Google sync of practitioner" in text  # sync events at INFO
    assert '"GET /feeds/<token>.ics" 200' in text  # feed requests at INFO
    assert "ICS import for practitioner" in text
    for word in (*CLIENT_WORDS, "Lunch", token):
        assert word not in text, f"{word!r} is in the log:\n{text}"


@pytest.mark.parametrize(
    "line",
    [
        "Authorization: Bearer ya29.a0AfH6SMBx-secret",
        'token response {"access_token": "ya29.secret", "refresh_token": "1//secret"}',
        "GET /feeds/AbCdEf0123456789secret.ics",
        "postgresql+psycopg://sessions:secret@db.example/practice",
        "login password=secret&next=/",
    ],
)
def test_issue_19_redact_masks_credentials(line: str) -> None:
    assert "secret" not in Redact.scrub(line)
