"""A reminder's confirm/cancel link in a real headless Chromium (issue 20).

The worker sends three reminders to a local SMTP sink; a browser follows each email's link.
The first is confirmed (an open TUI shows it confirmed, live, and ``agenda --format json``
says ``confirmed``); the second is cancelled before the practice's cutoff; the third page is
opened before the cutoff, and its cancel is refused once the cutoff has passed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from unit._cli import as_login
from unit.test_booking_mail import Sink, free_port
from unit.test_issue_20_reminders import THU, Practice, at, book, make_practice

from sessions_tui.config import Config, SmtpSettings
from sessions_tui.services import reminders
from sessions_tui.sync.reminder_worker import run_once
from sessions_tui.web.server import ServeOptions, ServerThread

from .test_booking_browser import (
    CHROMEDRIVER,
    CHROMIUM,
    axe_script,
    axe_violations,
    browser,
    close,
    wait_for,
)

pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
    reason="no Debian chromium/chromium-driver (.ci/run installs them)",
)
pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402


@pytest.fixture
def pr(tmp_path: Path) -> Iterator[Practice]:
    p = make_practice(f"sqlite:///{tmp_path / 'reminder-browser.db'}")
    yield p
    p.db.dispose()


def agenda(pr: Practice) -> list[dict[str, Any]]:
    env = {
        **os.environ,
        "SESSIONS_TUI_NOW": pr.clock.now().isoformat(),
        "SESSIONS_TUI_DB": str(pr.db.url),
    }
    done = subprocess.run(
        [*as_login("alice"), "agenda", "--from", "2026-11-26", "--days", "1", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


async def test_issue_20_confirm_and_cancel_links_in_a_browser(pr: Practice) -> None:
    from aiosmtpd.controller import Controller

    from sessions_tui.app import SessionsApp
    from sessions_tui.screens.calendar import CalendarScreen
    from sessions_tui.widgets.time_grid import TimeGrid

    reminders.update_settings(pr.admin, cancel_hours=24)
    for hh in (9, 11, 13):
        book(pr, pr.jo, at(THU, hh))
    pr.clock.instant = at(THU, 9) - timedelta(hours=30)
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        smtp = SmtpSettings(host="127.0.0.1", port=port, security="none", sender="d@example.org")
        assert run_once(pr.db, pr.clock, smtp).sent == 3  # the three 48-hour reminders
    finally:
        controller.stop()
    server = ServerThread(pr.db, pr.clock, ServeOptions(port=0)).start()
    links: dict[str, str] = {}
    for msg in sink.messages:
        text = msg.get_payload(decode=True).decode()
        token = re.search(r"/r/([A-Za-z0-9_-]+)", text)
        assert token is not None
        links[msg["Subject"][-5:]] = f"{server.base_url}/r/{token.group(1)}"

    app = SessionsApp(
        ctx=pr.admin,  # alice at her own keyboard
        tz=ZoneInfo("America/Chicago"),
        config=Config(),
        clock=pr.clock,
    )

    def grid_status(app: SessionsApp) -> dict[str, str]:
        screen = app.screen_stack[0]
        assert isinstance(screen, CalendarScreen)
        return {
            f"{i.start.astimezone(app.tz):%H:%M}": i.event.status.value  # type: ignore[union-attr,attr-defined]
            for i in screen.query_one(TimeGrid).items
            if i.event.client_id == pr.jo
        }

    driver = browser("America/Chicago")
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(100):  # the first week loads in a worker
                await pilot.pause(0.05)
                if len(grid_status(app)) == 3:
                    break
            assert set(grid_status(app).values()) == {"scheduled"}

            driver.get(links["09:00"])
            wait_for(driver, "#session-heading")
            assert "Thursday 26 November 2026, 09:00" in driver.page_source
            driver.find_element(By.ID, "confirm").click()
            wait_for(driver, "#answer")
            assert driver.find_element(By.ID, "status").text == "Status: confirmed"

            driver.get(links["11:00"])
            wait_for(driver, "#cancel").click()
            # Cancelling asks once more (issue 27): nothing is cancelled until "Yes".
            wait_for(driver, "#cancel-heading")
            assert driver.find_element(By.ID, "status").text == "Status: scheduled"
            if (script := axe_script()) is not None:
                assert axe_violations(driver, script) == []
            driver.find_element(By.ID, "cancel-sure").click()
            wait_for(driver, "#answer")
            assert driver.find_element(By.ID, "status").text == "Status: cancelled"

            driver.get(links["13:00"])
            button = wait_for(driver, "#cancel")
            pr.clock.instant = at(THU, 13) - timedelta(hours=23)  # the cutoff passes
            button.click()
            refused = wait_for(driver, "#refused")
            assert "too late" in refused.text
            assert driver.find_element(By.ID, "status").text == "Status: scheduled"

            # The open calendar shows the answers live (no key pressed).
            since = time.monotonic()
            want = {"09:00": "confirmed", "11:00": "cancelled", "13:00": "scheduled"}
            while grid_status(app) != want and time.monotonic() - since < 10:
                await pilot.pause(0.1)
            assert grid_status(app) == want
    finally:
        close(driver)
        server.shutdown()
    shown = {e["start"][11:16]: e["status"] for e in agenda(pr) if e["kind"] == "session"}
    assert shown == {"09:00": "confirmed", "11:00": "cancelled", "13:00": "scheduled"}


def test_issue_27_a_reminder_link_after_the_client_changed_in_a_browser(pr: Practice) -> None:
    """Jo opens the reminder's page; meanwhile the series is given to Kim. Jo's cancel (and a
    reload of the page) answers "This link no longer applies", and Kim's session stays."""
    from unit.test_issue_20_confirm import token_of

    from sessions_tui.domain.events import Status
    from sessions_tui.services import appointments, scheduling
    from sessions_tui.services.appointments import OccurrenceRef, Scope

    reminders.update_settings(pr.admin, cancel_hours=2)
    eid = book(pr, pr.jo, at(THU, 9), rrule="FREQ=WEEKLY;COUNT=4")
    pr.clock.instant = at(THU, 9) - timedelta(hours=24)
    assert run_once(pr.db, pr.clock, None).queued == 1
    server = ServerThread(pr.db, pr.clock, ServeOptions(port=0)).start()
    driver = browser("America/Chicago")
    try:
        driver.get(f"{server.base_url}/r/{token_of(pr)}")
        cancel = wait_for(driver, "#cancel")  # Jo's page, as the email opened it
        appointments.edit(pr.admin, OccurrenceRef(eid, at(THU, 9)), Scope.ALL, client_id=pr.kim)
        cancel.click()
        gone = wait_for(driver, "main")
        assert "This link no longer applies" in gone.text
        assert driver.find_elements(By.ID, "cancel-sure") == []
        driver.refresh()
        assert "This link no longer applies" in wait_for(driver, "main").text
        assert driver.find_elements(By.ID, "confirm") == []
        if (script := axe_script()) is not None:
            assert axe_violations(driver, script) == []
    finally:
        close(driver)
        server.shutdown()
    kept = scheduling.get_event(pr.admin, eid)
    assert kept.client_id == pr.kim
    assert kept.status is Status.SCHEDULED
