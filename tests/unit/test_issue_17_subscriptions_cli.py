"""Issue 17: subscriptions from the command line, and never pushed to Google.

The feed server is the one of ``test_issue_17_subscriptions``; Google is the local Calendar API
emulator driven through the real client library (``google_harness``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sessions_tui.domain.subscriptions import source_of
from sessions_tui.store.db import Database
from sessions_tui.sync import subscriptions as subs

from ._cli import cli, dump
from .google_harness import T0, Practice, emu_fixture, pr_fixture  # noqa: F401
from .test_issue_17_subscriptions import TWO, feed, ics, vevent  # noqa: F401


def test_subscribed_events_are_never_pushed_to_google(pr: Practice, feed) -> None:  # noqa: F811
    server, url = feed
    server.body = ics(
        vevent("a@x", "20261130T120000", "20261130T130000", "Partner lunch"),
        vevent(
            "w@x",
            "20261201T080000",
            "20261201T083000",
            "Partner run",
            "RRULE:FREQ=DAILY;COUNT=3\r\n",
        ),
    )
    result = subs.subscribe(pr.ctx, url, name="Partner", practitioner_id=pr.pat.id)
    assert result.added == 2
    pr.other("Typed here", T0)
    pr.sync()
    pr.sync()
    titles = [e.get("summary") for e in pr.remote()]
    assert "Typed here" in titles
    assert "Partner lunch" not in titles
    assert "Partner run" not in titles
    # Still here, unchanged by the sync (a subscription is not a Google calendar).
    assert {e.title for e in pr.local_events() if e.source_calendar == source_of(1)} == {
        "Partner lunch",
        "Partner run",
    }


@pytest.fixture
def demo_path(demo_db: Database, tmp_path: Path, now_env: str) -> Path:
    return tmp_path / "demo.db"


def test_cli_subscribe_list_refresh_remove(
    capsys: pytest.CaptureFixture[str],
    demo_path: Path,
    feed,  # noqa: F811
) -> None:
    server, url = feed
    server.body = TWO
    db = ["--db", str(demo_path), "--user", "alice"]
    r = cli(capsys, "subscribe", url, "--name", "Partner", "--busy", *db)
    assert r.code == 0, r.err
    assert "2 events" in r.out
    r = cli(capsys, "subscriptions", "list", "--format", "json", *db)
    [listed] = json.loads(r.out)
    assert listed["status"] == "ok"
    assert listed["busy"] == "busy"
    assert listed["events"] == 2
    assert listed["last_success"] is not None
    # The agenda marks them.
    r = cli(capsys, "agenda", "--from", "2026-10-21", "--days", "2", *db)
    assert "Lunch with Al" in r.out
    assert "[subscribed]" in r.out
    # The feed breaks: refresh says so (exit 1), the copy stays, list shows the error.
    server.mode = "500"
    before = dump(demo_path)["event"]
    r = cli(capsys, "subscriptions", "refresh", *db)
    assert r.code == 1
    assert "Partner: failed: the feed answered HTTP 500" in r.err
    assert "keeping the last good copy (2 events)" in r.err
    assert dump(demo_path)["event"] == before
    r = cli(capsys, "subscriptions", "list", *db)
    assert "last error" in r.out
    assert "HTTP 500" in r.out
    assert "last good copy" in r.out or "last success" in r.out
    # --due: nothing is due right after an attempt.
    server.mode = "ok"
    r = cli(capsys, "subscriptions", "refresh", "--due", *db)
    assert (r.code, r.out.strip()) == (0, "Nothing to refresh.")
    r = cli(capsys, "subscriptions", "refresh", "Partner", *db)
    assert r.code == 0, r.err
    r = cli(capsys, "subscriptions", "remove", "Partner", *db)
    assert r.code == 0
    assert "its 2 events" in r.out
    assert dump(demo_path)["event"] == [row for row in before if not str(row).count(source_of(1))]


def test_cli_bad_input_is_one_line_and_changes_nothing(
    capsys: pytest.CaptureFixture[str],
    demo_path: Path,
    feed,  # noqa: F811
) -> None:
    server, url = feed
    db = ["--db", str(demo_path), "--user", "alice"]
    before = dump(demo_path)
    for args, words in (
        (["subscribe", "ftp://x/y.ics", "--name", "X"], "webcal://"),
        (["subscribe", "http://example.org/a.ics", "--name", "X"], "https://"),
        (["subscribe", url, "--name", "X"], "nothing stored"),
        (["subscriptions", "refresh", "Nope"], "no subscription 'Nope'"),
        (["subscriptions", "remove", "7"], "no subscription '7'"),
    ):
        server.mode = "404"
        r = cli(capsys, *args, *db)
        assert r.code == 1, (args, r.out, r.err)
        assert len(r.err_lines) == 1, r.err
        assert words in r.err
    assert dump(demo_path) == before
    # A practitioner may not subscribe someone else's calendar.
    server.mode = "ok"
    server.body = TWO
    r = cli(
        capsys,
        "subscribe",
        url,
        "--name",
        "X",
        "--practitioner",
        "alice",
        "--db",
        str(demo_path),
        "--user",
        "ben",
    )
    assert r.code == 1
    assert "own calendar" in r.err
    assert dump(demo_path) == before
