"""The sync worker's scheduling and backoff, sign-in and token storage, and the CLI."""

from __future__ import annotations

import json
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from sessions_tui.cli import run
from sessions_tui.cli.main import cli
from sessions_tui.domain.errors import ValidationError
from sessions_tui.sync import oauth
from sessions_tui.sync.google import SyncReport, SyncTransientError
from sessions_tui.sync.worker import Backoff, SyncSchedule, run_google_sync, throttled

from .google_harness import CAL, Practice, emu_fixture, pr_fixture  # noqa: F401


def test_backoff_grows_with_jitter_and_resets() -> None:
    b = Backoff(base=5, factor=2, cap=100, floor=1, rand=lambda: 1.0)
    assert [b.next_delay() for _ in range(6)] == [5, 10, 20, 40, 80, 100]
    b.reset()
    assert b.next_delay(quota=True) == 60
    jittered = Backoff(rand=lambda: 0.25)
    assert jittered.next_delay() == 1.25
    assert Backoff(rand=lambda: 0.0).next_delay() == 1.0  # never zero: the floor


def test_schedule_interval_debounce_request_and_backoff() -> None:
    sch = SyncSchedule(interval=60, debounce=3, backoff=Backoff(rand=lambda: 1.0))
    assert sch.due(0)  # never ran
    sch.started(0)
    assert not sch.due(1)  # running
    assert sch.finished(2, ok=True) is None
    assert not sch.due(30)
    sch.local_change(30)
    sch.local_change(31)  # a burst of edits: one sync, 3 s after the last
    assert not sch.due(33)
    assert sch.due(34)
    sch.started(34)
    delay = sch.finished(35, ok=False, quota=True)
    assert delay == 60
    sch.request()
    assert not sch.due(90)  # backing off beats the sync key
    assert sch.due(95)
    sch.started(95)
    sch.finished(96, ok=True)
    assert not sch.due(150)
    assert sch.due(156)


def test_throttled_progress() -> None:
    seen: list[int] = []
    clock = iter([0.0, 0.1, 0.2, 0.3, 0.6])
    f = throttled(seen.append, 0.25, now=lambda: next(clock))
    for i in range(5):
        f(i)
    assert seen == [0, 3, 4]  # 0.1 and 0.2 came too soon after 0


def test_run_google_sync_reports_instead_of_raising(pr: Practice) -> None:
    pr.session()

    class Failing:
        def run(self, **_kw: object) -> SyncReport:
            raise SyncTransientError("Google is busy", quota=True)

    good = run_google_sync(
        pr.db, pr.ctx.clock, [pr.pat.id], engine_factory=lambda _pid: pr.engine()
    )
    assert good.ok
    assert good.reports[pr.pat.id].pushed == 1
    assert good.summary().startswith("pushed 1,")
    bad = run_google_sync(pr.db, pr.ctx.clock, [pr.pat.id], engine_factory=lambda _p: Failing())
    assert not bad.ok
    assert bad.quota
    assert "busy" in bad.summary()


def test_only_one_client_syncs_a_shared_practice(pr: Practice) -> None:
    from sessions_tui.store.locks import PracticeLock

    pr.session()
    other = PracticeLock(pr.db, "google-sync", "host-b:2")
    assert other.acquire(pr.ctx.clock.now())
    skipped = run_google_sync(
        pr.db,
        pr.ctx.clock,
        [pr.pat.id],
        lock_holder="host-a:1",
        engine_factory=lambda _p: pr.engine(),
    )
    assert skipped.busy_elsewhere == "host-b:2"
    assert pr.remote() == []
    other.release()
    done = run_google_sync(
        pr.db,
        pr.ctx.clock,
        [pr.pat.id],
        lock_holder="host-a:1",
        engine_factory=lambda _p: pr.engine(),
    )
    assert done.ok
    assert done.reports[pr.pat.id].pushed == 1
    assert PracticeLock(pr.db, "google-sync", "x").held_by(pr.ctx.clock.now()) is None


def test_sync_runs_in_a_thread_and_can_be_cancelled(pr: Practice) -> None:
    for i in range(3):
        pr.session(start=datetime(2026, 12, 1 + i, 16, tzinfo=UTC))
    stop = threading.Event()
    stop.set()
    out: list[object] = []
    t = threading.Thread(
        target=lambda: out.append(
            run_google_sync(
                pr.db,
                pr.ctx.clock,
                [pr.pat.id],
                should_cancel=stop.is_set,
                engine_factory=lambda _p: pr.engine(),
            )
        )
    )
    t.start()
    t.join(30)
    assert out
    assert pr.remote() == []


# --- tokens and sign-in ---------------------------------------------------------------------


def test_token_is_json_with_mode_0600(tmp_path: Path) -> None:
    path = oauth.save_token("pat", json.dumps({"token": "a", "refresh_token": "r"}))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["refresh_token"] == "r"
    with pytest.raises(ValueError, match="Expecting value"):
        oauth.save_token("pat", "not json")
    assert oauth.delete_token("pat")
    assert not path.exists()


def test_token_state_reports_expiry_without_crashing() -> None:
    now = datetime(2026, 11, 25, 16, tzinfo=UTC)
    assert oauth.token_state("pat", now).state == "missing"
    for delta, expected in (
        (timedelta(hours=1), "ok"),
        (timedelta(minutes=2), "expiring"),
        (timedelta(minutes=-1), "expired"),
    ):
        oauth.save_token("pat", json.dumps({"token": "a", "expiry": (now + delta).isoformat()}))
        assert oauth.token_state("pat", now).state == expected
    oauth.token_path("pat").write_text("{broken")
    assert oauth.token_state("pat", now).describe().startswith("saved token unreadable")


def test_instructions_print_url_and_ssh_tunnel_line() -> None:
    lines = oauth.instructions("https://accounts.example/auth?x=1", 8123, host="server", user="pat")
    assert "  https://accounts.example/auth?x=1" in lines
    assert "  ssh -L 8123:localhost:8123 pat@server" in lines


def test_pick_port_is_chosen_before_anything_is_printed() -> None:
    port = oauth.pick_port()
    assert 0 < port < 65536
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(ValidationError, match="in use"):
            oauth.pick_port(busy.getsockname()[1])


def _secrets(tmp_path: Path, token_uri: str) -> Path:
    path = tmp_path / "client_secret.json"
    path.write_text(
        json.dumps(
            {
                "installed": {
                    "client_id": "cid.apps.googleusercontent.com",
                    "client_secret": "s",
                    "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                    "token_uri": token_uri,
                    "redirect_uris": ["http://localhost"],
                }
            }
        )
    )
    return path


def test_sign_in_with_a_pasted_redirect_url_uses_pkce(tmp_path: Path, emu, monkeypatch) -> None:
    from urllib.parse import parse_qs, urlsplit

    # The emulator's token endpoint is plain http on loopback; Google's is https.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")

    printed: list[str] = []
    pasted = threading.Event()
    answer: list[str] = []

    def echo(line: str) -> None:
        printed.append(line)
        if line.strip().startswith("https://accounts.google.com"):
            q = parse_qs(urlsplit(line.strip()).query)
            assert q["code_challenge_method"] == ["S256"]
            port = urlsplit(q["redirect_uri"][0]).port
            answer.append(f"http://localhost:{port}/?state={q['state'][0]}&code=4/abc")
            pasted.set()

    def read_line() -> str:
        pasted.wait(10)
        return answer[0]

    token = oauth.sign_in(
        _secrets(tmp_path, f"http://127.0.0.1:{emu.port}/token"),
        echo=echo,
        read_line=read_line,
        timeout=20,
    )
    assert json.loads(token)["refresh_token"] == "emulated-refresh"
    form = emu.state.token_requests[-1]
    assert form["code"] == ["4/abc"]
    assert "code_verifier" in form
    assert any(line.strip().startswith("ssh -L ") for line in printed)


def test_sign_in_through_the_forwarded_loopback_port(tmp_path: Path, emu, monkeypatch) -> None:
    import urllib.request
    from urllib.parse import parse_qs, urlsplit

    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    never = threading.Event()
    pages: list[bytes] = []

    def browser(url: str) -> None:  # what the user's browser does at the end of consent
        with urllib.request.urlopen(url, timeout=10) as resp:
            pages.append(resp.read())

    def echo(line: str) -> None:
        if line.strip().startswith("https://accounts.google.com"):
            q = parse_qs(urlsplit(line.strip()).query)
            port = urlsplit(q["redirect_uri"][0]).port
            url = f"http://127.0.0.1:{port}/?state={q['state'][0]}&code=4/tunnel"
            threading.Thread(target=browser, args=(url,), daemon=True).start()

    def no_paste() -> str:  # the user pastes nothing: the tunnel delivers the redirect
        never.wait(15)
        return ""

    token = oauth.sign_in(
        _secrets(tmp_path, f"http://127.0.0.1:{emu.port}/token"),
        echo=echo,
        read_line=no_paste,
        timeout=20,
    )
    assert json.loads(token)["token"] == "emulated-access"
    assert emu.state.token_requests[-1]["code"] == ["4/tunnel"]
    assert pages
    assert b"You can close this tab" in pages[0]


def test_sign_in_refuses_a_paste_without_code(tmp_path: Path, emu) -> None:
    with pytest.raises(ValidationError, match="no sign-in code"):
        oauth.sign_in(
            _secrets(tmp_path, f"http://127.0.0.1:{emu.port}/token"),
            echo=lambda _l: None,
            read_line=lambda: "http://localhost:1/?x=1",
            timeout=10,
        )
    with pytest.raises(ValidationError, match="not found"):
        oauth.sign_in(tmp_path / "missing.json", echo=lambda _l: None)


# --- CLI ------------------------------------------------------------------------------------


def test_cli_connect_sync_status_mode_disconnect(pr: Practice, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SESSIONS_TUI_GOOGLE_ENDPOINT", pr.emu.endpoint)
    monkeypatch.setenv("SESSIONS_TUI_NOW", "2026-11-25T16:00:00+00:00")
    db = pr.db.url
    pr.session()
    base = ["--db", db, "--user", "admin"]
    assert (
        run(["google", "connect", "--practitioner", "pat", "--create-calendar", "Sessions", *base])
        == 0
    )
    out = capsys.readouterr().out
    assert "Created the calendar 'Sessions'" in out
    assert run(["google", "status", "--practitioner", "pat", *base]) == 0
    out = capsys.readouterr().out
    assert "pending changes: 1" in out
    assert "two-way" in out
    assert run(["google", "sync", "--practitioner", "pat", *base]) == 0
    assert capsys.readouterr().out.strip() == (
        "pushed 1, pulled 0, deleted 0, conflicts 0, errors 0"
    )
    created = next(c for c in pr.emu.state.calendars.values() if c.summary == "Sessions")
    assert len(pr.emu.state.live_events(created.id)) == 1
    assert pr.remote(CAL) == []
    assert run(["google", "mode", "one-way", "--practitioner", "pat", *base]) == 0
    assert "one-way" in capsys.readouterr().out
    assert run(["google", "disconnect", "--practitioner", "pat", "--remove-events", *base]) == 0
    assert "removed 1 event from Google" in capsys.readouterr().out
    assert pr.emu.state.live_events(created.id) == []
    assert run(["google", "sync", "--practitioner", "pat", *base]) == 1
    assert "not connected" in capsys.readouterr().err


def test_cli_refuses_a_non_loopback_endpoint(pr: Practice, monkeypatch) -> None:
    monkeypatch.setenv("SESSIONS_TUI_GOOGLE_ENDPOINT", "http://calendar.example.com/")
    result = CliRunner().invoke(
        cli, ["google", "sync", "--practitioner", "pat", "--db", pr.db.url, "--user", "admin"]
    )
    assert result.exit_code != 0
    assert "loopback" in str(result.exception)
