"""The booking page in a real headless Chromium (Debian's chromium + chromedriver, Selenium).

One visitor's browser runs in Asia/Tokyo (``TZ`` in its environment): the page's script picks
that zone, only free times are listed and in that zone; they pick one, fill the form and see the
confirmation. A second browser (UTC, keyboard only) no longer sees that time and completes the
form with keys alone. A scheduler accepts (``agenda --format json`` has the session, the SMTP
sink on 127.0.0.1 gets the confirmation with its .ics); a declined request frees its time again.
"""

from __future__ import annotations

import email
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from unit._cli import as_login
from unit.test_booking import NOW, Practice, make_practice
from unit.test_booking_mail import Sink, free_port

from sessions_tui.services import booking, booking_requests
from sessions_tui.sync import mailer
from sessions_tui.web.server import ServeOptions, ServerThread

CHROMIUM = "/usr/lib/chromium/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
    reason="no Debian chromium/chromium-driver (.ci/run installs them)",
)

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402


def browser(tz: str) -> Any:
    """A headless Chromium whose system zone is ``tz`` (no downloads: Debian's binaries)."""
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="sessions-chromium-")
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=800,1000",
    ):
        options.add_argument(flag)
    service = Service(executable_path=CHROMEDRIVER, env={**os.environ, "TZ": tz})
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    driver.implicitly_wait(0)
    driver._profile_dir = profile  # type: ignore[attr-defined]
    return driver


def close(driver: Any) -> None:
    driver.quit()
    shutil.rmtree(driver._profile_dir, ignore_errors=True)


@pytest.fixture
def pr(tmp_path: Path) -> Iterator[Practice]:
    p = make_practice(f"sqlite:///{tmp_path / 'browser.db'}")
    yield p
    p.db.dispose()


@pytest.fixture
def srv(pr: Practice) -> Iterator[ServerThread]:
    server = ServerThread(pr.db, pr.clock, ServeOptions(port=0)).start()
    yield server
    server.shutdown()


def shown_times(driver: Any) -> list[tuple[str, str]]:
    return [
        (a.get_attribute("data-start"), a.text.split(",")[0].strip())
        for a in driver.find_elements(By.CSS_SELECTOR, "a.time")
    ]


def free_starts(pr: Practice, tz: str, days: int = 7) -> set[str]:
    page = pr.page()
    svc = page.services[0]
    zi = ZoneInfo(tz)
    day0 = pr.clock.now().astimezone(zi).date()
    start = datetime.combine(day0, datetime.min.time(), tzinfo=zi)
    found = booking.page_slots(pr.db, pr.clock, page, svc, start, start + timedelta(days=days))
    return {s.start.strftime("%Y-%m-%dT%H:%M:%SZ") for s in found}


def wait_for(driver: Any, css: str, timeout: float = 20) -> Any:
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, css))
    )


def cli(pr: Practice, *args: str) -> str:
    env = {**os.environ, "SESSIONS_TUI_NOW": NOW.isoformat(), "SESSIONS_TUI_DB": str(pr.db.url)}
    # Each command is typed by the person its --user names, at their own keyboard (OS login).
    done = subprocess.run(
        [*as_login(args[args.index("--user") + 1] if "--user" in args else "sam"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_issue_16_book_in_browser_zone_then_accept_and_decline(
    pr: Practice, srv: ServerThread
) -> None:
    from aiosmtpd.controller import Controller

    from sessions_tui.config import SmtpSettings

    key = pr.key()
    url = f"{srv.base_url}/book/{key}"
    tokyo = browser("Asia/Tokyo")
    try:
        tokyo.get(url)
        # The script moved the page to the browser's zone, and names it.
        wait_for(tokyo, "select#tz[data-from-url='yes']")
        assert tokyo.find_element(By.ID, "zone-name").text == "Asia/Tokyo"
        times = shown_times(tokyo)
        assert times
        # Only free times, each labelled in Tokyo time.
        assert {s for s, _ in times} <= free_starts(pr, "Asia/Tokyo", days=8)
        for start, label in times:
            local = datetime.fromisoformat(start).astimezone(ZoneInfo("Asia/Tokyo"))
            assert label == f"{local:%H:%M}"
        chosen = times[0][0]
        tokyo.find_element(By.CSS_SELECTOR, f"a.time[data-start='{chosen}']").click()
        wait_for(tokyo, "form#request-form")
        tokyo.find_element(By.ID, "name").send_keys("Jo Visitor")
        tokyo.find_element(By.ID, "email").send_keys("jo@example.org")
        tokyo.find_element(By.ID, "message").send_keys("First visit.")
        tokyo.find_element(By.ID, "consent").click()
        tokyo.find_element(By.ID, "send").click()
        wait_for(tokyo, "#done-heading")
        assert "Asia/Tokyo" in tokyo.page_source
    finally:
        close(tokyo)

    keys = browser("UTC")
    try:
        keys.get(url)
        wait_for(keys, "a.time")
        assert "UTC" in keys.find_element(By.ID, "zone-name").text
        seen = [s for s, _ in shown_times(keys)]
        assert chosen not in seen  # held for the first visitor
        second = seen[0]
        # Keyboard only: Tab to the first time, Enter; fill the form with keys; send it.
        body = keys.find_element(By.TAG_NAME, "body")
        body.send_keys(Keys.TAB)
        for _ in range(1000):
            active = keys.switch_to.active_element
            if active.get_attribute("class") == "time":
                break
            active.send_keys(Keys.TAB)
        assert active.get_attribute("data-start") == second
        active.send_keys(Keys.ENTER)
        wait_for(keys, "form#request-form")
        keys.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
        for _ in range(20):
            if keys.switch_to.active_element.get_attribute("id") == "name":
                break
            keys.switch_to.active_element.send_keys(Keys.TAB)
        typed = ["Sam Keys", "sam@example.org", "", "By keyboard."]
        for text in typed:
            focused = keys.switch_to.active_element
            if text:
                focused.send_keys(text)
            focused.send_keys(Keys.TAB)
        assert keys.switch_to.active_element.get_attribute("id") == "consent"  # honeypot skipped
        keys.switch_to.active_element.send_keys(Keys.SPACE)
        keys.switch_to.active_element.send_keys(Keys.TAB)
        assert keys.switch_to.active_element.get_attribute("id") == "send"
        keys.switch_to.active_element.send_keys(Keys.ENTER)
        wait_for(keys, "#done-heading")

        pending = booking_requests.list_requests(pr.sam)
        first = next(r for r in pending if r.email == "jo@example.org")
        other = next(r for r in pending if r.email == "sam@example.org")
        # Accept through the CLI: the session is in the agenda.
        cli(pr, "booking", "accept", str(first.id), "--new-client", "--user", "sam")
        agenda = json.loads(
            cli(
                pr,
                "agenda",
                "--from",
                "2026-11-25",
                "--days",
                "14",
                "--format",
                "json",
                "--user",
                "alice",
            )
        )
        sessions = [e for e in agenda if e["kind"] == "session" and e["client"] == "Jo Visitor"]
        assert len(sessions) == 1
        assert datetime.fromisoformat(sessions[0]["start"]) == datetime.fromisoformat(chosen)
        # The client got the confirmation (sent by the worker to the local sink).
        sink = Sink()
        port = free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            smtp = SmtpSettings(
                host="127.0.0.1", port=port, security="none", sender="d@example.org"
            )
            mailer.send_due(pr.db, pr.clock, smtp)
        finally:
            controller.stop()
        confirmations = [m for m in sink.messages if m["Subject"].startswith("Confirmed")]
        assert [m["To"] for m in confirmations] == ["jo@example.org"]
        assert any(p.get_content_type() == "text/calendar" for p in confirmations[0].walk())
        assert isinstance(confirmations[0], email.message.Message)
        # Decline the other: its time is free again on the page.
        cli(pr, "booking", "decline", str(other.id), "--reason", "Away", "--user", "sam")
        keys.get(url + "?tz=UTC")
        wait_for(keys, "a.time")
        assert second in [s for s, _ in shown_times(keys)]
        assert chosen not in [s for s, _ in shown_times(keys)]
    finally:
        close(keys)


def test_issue_16_page_works_without_javascript(pr: Practice, srv: ServerThread) -> None:
    """No script: the practice's zone is named, and the zone chooser (a GET form) works."""
    import urllib.request

    key = pr.key()
    with urllib.request.urlopen(f"{srv.base_url}/book/{key}", timeout=10) as resp:
        html = resp.read().decode()
    assert '<span id="zone-name">America/Chicago</span>' in html
    assert '<label for="tz">' in html
    with urllib.request.urlopen(f"{srv.base_url}/book/{key}?tz=Europe/Berlin", timeout=10) as resp:
        assert '<span id="zone-name">Europe/Berlin</span>' in resp.read().decode()
