"""Safe defaults and checks (issue 27): no reminder leaves with a link only this machine can
open; online cancelling is open when a reminder arrives; the proxy's address can be trusted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sessions_tui.domain.errors import ValidationError
from sessions_tui.services import reminders
from sessions_tui.services.context import Context
from sessions_tui.services.feeds import DEFAULT_BASE_URL
from sessions_tui.store.tables import OutboxRow
from sessions_tui.sync.reminder_worker import run_once

from ._cli import cli
from .test_issue_20_reminders import THU, Practice, at, book, make_practice


@pytest.fixture
def pr(tmp_path: Path) -> Iterator[Practice]:
    p = make_practice(f"sqlite:///{tmp_path / 'config27.db'}")
    yield p
    p.db.dispose()


def reminders_queued(p: Practice) -> int:
    with p.db.read() as s:
        return len(s.execute(select(OutboxRow).where(OutboxRow.kind == "reminder")).all())


def test_issue_27_reminders_run_refuses_a_loopback_link_base(
    pr: Practice,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reminders.update_settings(pr.admin, base_url=DEFAULT_BASE_URL)  # as in the demo
    book(pr, pr.jo, at(THU, 9))
    due = at(THU, 9) - timedelta(hours=24)
    monkeypatch.setenv("SESSIONS_TUI_NOW", due.isoformat())
    monkeypatch.setenv("SESSIONS_TUI_CONFIG", str(tmp_path / "none.toml"))
    db = ["--db", str(tmp_path / "config27.db")]
    refused = cli(capsys, "reminders", "run", "--once", *db)
    assert refused.code == 1
    (line,) = refused.err_lines
    assert "http://127.0.0.1:8765" in line
    assert "sessions-tui settings set reminders.link-base https://" in line
    assert reminders_queued(pr) == 0
    reminders.update_settings(pr.admin, base_url="https://practice.example.org")
    done = cli(capsys, "reminders", "run", "--once", *db)
    assert done.code == 0, done.err
    assert reminders_queued(pr) == 1


def test_issue_27_service_worker_queues_no_reminder_with_local_links(pr: Practice) -> None:
    """The worker ``web serve`` runs: booking pages and mail go on, reminders wait until the
    link base is public (then each is queued, once)."""
    book(pr, pr.jo, at(THU, 9))
    pr.clock.instant = at(THU, 9) - timedelta(hours=24)
    for local in ("http://127.0.0.1:8765", "http://localhost:8765", "http://[::1]:8765"):
        reminders.update_settings(pr.admin, base_url=local)
        assert run_once(pr.db, pr.clock, None, local_links=False).queued == 0
    reminders.update_settings(pr.admin, base_url="https://practice.example.org")
    assert run_once(pr.db, pr.clock, None, local_links=False).queued == 1
    assert run_once(pr.db, pr.clock, None, local_links=False).queued == 0


def test_issue_27_web_serve_warns_of_local_links_and_takes_a_proxy_address(
    demo_ctx: Context,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    import uvicorn

    seen: dict[str, Any] = {}

    def run(self: uvicorn.Server, *args: Any, **kwargs: Any) -> None:
        seen["proxy"] = self.config.forwarded_allow_ips

    monkeypatch.setattr(uvicorn.Server, "run", run)
    monkeypatch.setenv("SESSIONS_TUI_CONFIG", str(tmp_path / "none.toml"))
    url = str(demo_ctx.db.engine.url)
    from .test_booking_mail import free_port

    port = str(free_port())
    done = cli(
        capsys, "web", "serve", "--port", port, "--forwarded-allow-ips", "10.0.0.0/8", "--db", url
    )
    assert done.code == 0, done.err
    assert seen["proxy"] == "10.0.0.0/8"
    warned = [line for line in done.err_lines if "reminders.link-base" in line]
    assert len(warned) == 1
    assert "reminders are not sent" in warned[0]
    bad = cli(capsys, "web", "serve", "--port", port, "--forwarded-allow-ips", "proxy", "--db", url)
    assert bad.code != 0
    assert bad.err_lines == [
        "sessions-tui: error: bad --forwarded-allow-ips item 'proxy' (expected an address like "
        "10.0.0.5, a network like 10.0.0.0/24, or *)"
    ]


def test_issue_27_cancel_window_must_be_open_when_the_first_reminder_goes(pr: Practice) -> None:
    reminders.update_settings(pr.admin, hours="24", cancel_hours=None)
    with pytest.raises(ValidationError, match="less than 24"):
        reminders.update_settings(pr.admin, cancel_hours=24)
    with pytest.raises(ValidationError, match="cancel-hours 30"):
        reminders.update_settings(pr.admin, cancel_hours=30)
    reminders.update_settings(pr.admin, cancel_hours=12)
    with pytest.raises(ValidationError, match="cancel-hours 12"):
        reminders.update_settings(pr.admin, hours="12")  # the other way round too
    after = reminders.get_settings(pr.admin)
    assert (after.hours, after.cancel_hours) == ("24", 12)  # nothing half-changed
    reminders.update_settings(pr.admin, hours="48,12")  # the 48-hour one can cancel


def test_issue_27_demo_reminders_can_cancel(demo_ctx: Context) -> None:
    settings = reminders.get_settings(demo_ctx)
    assert settings.offsets
    assert settings.cancel_hours is not None
    assert settings.cancel_hours * 60 < max(settings.offsets)
