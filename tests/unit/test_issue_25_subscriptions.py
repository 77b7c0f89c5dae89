"""Issue 25: subscribing to one of the practice's own feeds is refused with a line naming the
feed; subscription counts are worded in the right number ("1 event")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sessions_tui.store.db import Database

from ._cli import cli, dump
from .test_issue_17_subscriptions import feed, ics, vevent  # noqa: F401


@pytest.fixture
def demo_path(demo_db: Database, tmp_path: Path, now_env: str) -> Path:
    return tmp_path / "demo.db"


def test_issue_25_subscribing_to_the_practices_own_feed_is_refused(
    capsys: pytest.CaptureFixture[str], demo_path: Path
) -> None:
    db = ["--db", str(demo_path), "--user", "alice"]
    r = cli(capsys, "ics", "url", "--practitioner", "alice", *db)
    assert r.code == 0, r.err
    url = next(w for w in r.out.split() if "/feeds/" in w)
    before = dump(demo_path)
    token_path = url[url.index("/feeds/") :]
    for form in (
        url,
        "webcal://calendar.example.org" + token_path,  # behind a proxy, as a calendar app has it
        "https://calendar.example.org/practice" + token_path,
    ):
        r = cli(capsys, "subscribe", form, "--name", "Mine", *db)
        assert r.code == 1, r.out
        assert len(r.err_lines) == 1, r.err
        assert "this practice's own feed of Dr. Alice Moreno's calendar" in r.err
    assert dump(demo_path) == before  # nothing stored
    r = cli(capsys, "subscriptions", "list", "--format", "json", *db)
    assert json.loads(r.out) == []


def test_issue_25_subscription_counts_say_1_event(
    capsys: pytest.CaptureFixture[str],
    demo_path: Path,
    feed,  # noqa: F811
) -> None:
    server, url = feed
    server.body = ics(vevent("a@x", "20261130T120000", "20261130T130000", "Partner lunch"))
    db = ["--db", str(demo_path), "--user", "alice"]
    r = cli(capsys, "subscribe", url, "--name", "Partner", *db)
    assert r.code == 0, r.err
    assert ": 1 event, " in r.out
    r = cli(capsys, "subscriptions", "list", *db)
    assert "    1 event; every 60 min" in r.out
    r = cli(capsys, "subscriptions", "remove", "Partner", *db)
    assert r.out.strip() == "Removed the subscription 'Partner' and its 1 event."
