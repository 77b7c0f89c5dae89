"""The booking page in a real headless Chromium (Debian's chromium + chromedriver, Selenium).

One visitor's browser runs in Asia/Tokyo (``TZ`` in its environment): the page's script picks
that zone, only free times are listed and in that zone; they pick one, fill the form, are asked
to check their email, open the link the mail worker delivered to the SMTP sink, confirm, and
see the confirmation. A second browser (UTC, keyboard only) no longer sees that time and
completes the form with keys alone. A scheduler accepts (``agenda --format json`` has the
session, the SMTP sink on 127.0.0.1 gets the confirmation with its .ics); a declined request
frees its time again.
"""

from __future__ import annotations

import email
import json
import os
import re
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
from unit.test_web_booking import Browser, good

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


@pytest.fixture
def sink() -> Iterator[tuple[Sink, Any]]:
    """An SMTP server on 127.0.0.1 keeping every message (aiosmtpd)."""
    from aiosmtpd.controller import Controller

    from sessions_tui.config import SmtpSettings

    handler = Sink()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield (
            handler,
            SmtpSettings(host="127.0.0.1", port=port, security="none", sender="desk@example.org"),
        )
    finally:
        controller.stop()


def confirm_by_mail(pr: Practice, driver: Any, sink: tuple[Sink, Any], to: str) -> None:
    """The mail worker delivers the queued mail; open the link in the message to ``to`` and
    press its button: the done page."""
    handler, settings = sink
    mailer.send_due(pr.db, pr.clock, settings)
    asks = [m for m in handler.messages if m["To"] == to and "confirm" in m["Subject"]]
    assert asks, f"no confirmation link reached {to}"
    text = asks[-1].get_payload(decode=True).decode()
    (link,) = re.findall(r"https?://\S+/verify/\S+", text)
    driver.get(link)
    wait_for(driver, "#verify-heading")
    driver.find_element(By.ID, "confirm").click()
    wait_for(driver, "#done-heading")


def fill_form(driver: Any, name: str, email_address: str, *, consent: bool = True) -> None:
    for field, value in (("name", name), ("email", email_address)):
        box = driver.find_element(By.ID, field)
        box.clear()
        box.send_keys(value)
    if consent and not driver.find_element(By.ID, "consent").is_selected():
        driver.find_element(By.ID, "consent").click()
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    send = driver.find_element(By.ID, "send")
    send.click()
    # The answer is a new page: wait until this one is gone, so that a wait for an element the
    # old page also had (a second typo's #email-error) does not find the old one.
    WebDriverWait(driver, 20).until(ec.staleness_of(send))


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
    pr: Practice, srv: ServerThread, sink: tuple[Sink, Any]
) -> None:
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
        wait_for(tokyo, "#sent-heading")
        assert booking_requests.list_requests(pr.sam) == []  # nothing held yet
        confirm_by_mail(pr, tokyo, sink, "jo@example.org")
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
        wait_for(keys, "#sent-heading")
        confirm_by_mail(pr, keys, sink, "sam@example.org")

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
        mailer.send_due(pr.db, pr.clock, sink[1])
        confirmations = [m for m in sink[0].messages if m["Subject"].startswith("Confirmed")]
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


def test_issue_27_junk_posts_and_typing_mistakes_then_a_fresh_visitor_books(
    pr: Practice, srv: ServerThread, sink: tuple[Sink, Any]
) -> None:
    """Default limits. 30 junk posts from six addresses (through the trusted proxy's
    X-Forwarded-For), then a visitor who mistypes their address five times still books, and
    so does a fresh one."""
    key = pr.key()
    url = f"{srv.base_url}/book/{key}"
    junk = Browser(srv)
    for i in range(30):
        there = {"X-Forwarded-For": f"198.51.100.{i % 6}"}
        assert junk.post(key, good("0" * 64, email=f"bot{i}@example.org"), **there)[0] == 403
    visitor = browser("UTC")
    try:
        visitor.get(url + "?tz=UTC")
        wait_for(visitor, "a.time")
        visitor.find_elements(By.CSS_SELECTOR, "a.time")[0].click()
        wait_for(visitor, "form#request-form")
        for typo in ("jo@", "jo example.org", "@example.org", "jo@example", "jo@@example.org"):
            fill_form(visitor, "Jo Visitor", typo)
            wait_for(visitor, "#email-error")
        fill_form(visitor, "Jo Visitor", "jo@example.org")
        wait_for(visitor, "#sent-heading")
        confirm_by_mail(pr, visitor, sink, "jo@example.org")
        visitor.get(url + "?tz=UTC")
        wait_for(visitor, "a.time")
        visitor.find_elements(By.CSS_SELECTOR, "a.time")[0].click()
        wait_for(visitor, "form#request-form")
        fill_form(visitor, "Kim Fresh", "kim@example.org")
        wait_for(visitor, "#sent-heading")
        confirm_by_mail(pr, visitor, sink, "kim@example.org")
    finally:
        close(visitor)
    assert sorted(r.email for r in booking_requests.list_requests(pr.sam)) == [
        "jo@example.org",
        "kim@example.org",
    ]


def test_issue_27_second_visitor_books_while_one_address_is_limited(
    pr: Practice, srv: ServerThread, sink: tuple[Sink, Any]
) -> None:
    key = pr.key()
    busy = Browser(srv)
    token = busy.form(key)
    there = {"X-Forwarded-For": "203.0.113.9"}
    for i in range(5):
        assert busy.post(key, good(token, email=f"a{i}@example.org"), **there)[0] == 303
    status, headers, html = busy.post(key, good(token, email="a5@example.org"), **there)
    assert status == 429
    assert "Too many requests" in html
    assert 0 < int(headers["retry-after"]) <= 600
    visitor = browser("UTC")
    try:
        visitor.get(f"{srv.base_url}/book/{key}?tz=UTC")
        wait_for(visitor, "a.time")
        visitor.find_elements(By.CSS_SELECTOR, "a.time")[0].click()
        wait_for(visitor, "form#request-form")
        fill_form(visitor, "Bo Other", "bo@example.org")
        wait_for(visitor, "#sent-heading")
        confirm_by_mail(pr, visitor, sink, "bo@example.org")
        assert "Request sent" in visitor.page_source
    finally:
        close(visitor)
    assert [r.email for r in booking_requests.list_requests(pr.sam)] == ["bo@example.org"]


def axe_script() -> str | None:
    """axe-core's ``axe.min.js`` (from the npm registry, installed by CI), if found:
    ``$AXE_CORE_JS``, or ``node_modules/axe-core`` here or in a parent folder."""
    named = os.environ.get("AXE_CORE_JS")
    candidates = [Path(named)] if named else []
    here = Path(__file__).resolve()
    candidates += [p / "node_modules/axe-core/axe.min.js" for p in here.parents]
    found = next((p for p in candidates if p.is_file()), None)
    return found.read_text() if found else None


def axe_violations(driver: Any, script: str) -> list[str]:
    driver.execute_script(script)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document).then(r => done(r.violations.map("
        "v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))));"
    )
    return list(result)


@pytest.mark.parametrize("size", [(1280, 900), (375, 800)], ids=["desktop", "phone"])
def test_issue_27_every_booking_page_has_no_axe_violations(
    pr: Practice, srv: ServerThread, sink: tuple[Sink, Any], size: tuple[int, int]
) -> None:
    script = axe_script()
    if script is None:
        pytest.skip("axe-core not installed (npm install axe-core; or set AXE_CORE_JS)")
    key = pr.key()
    driver = browser("UTC")
    driver.set_window_size(*size)
    found: dict[str, list[str]] = {}
    try:
        driver.get(f"{srv.base_url}/book/{key}?tz=UTC")
        wait_for(driver, "a.time")
        found["times"] = axe_violations(driver, script)
        driver.find_elements(By.CSS_SELECTOR, "a.time")[0].click()
        wait_for(driver, "form#request-form")
        found["form"] = axe_violations(driver, script)
        fill_form(driver, "Jo Visitor", "not an address")
        wait_for(driver, "#email-error")
        found["form with errors"] = axe_violations(driver, script)
        fill_form(driver, "Jo Visitor", "jo@example.org")
        wait_for(driver, "#sent-heading")
        found["check your email"] = axe_violations(driver, script)
        handler, settings = sink
        mailer.send_due(pr.db, pr.clock, settings)
        text = handler.messages[-1].get_payload(decode=True).decode()
        (link,) = re.findall(r"https?://\S+/verify/\S+", text)
        driver.get(link)
        wait_for(driver, "#verify-heading")
        found["confirm"] = axe_violations(driver, script)
        driver.find_element(By.ID, "confirm").click()
        wait_for(driver, "#done-heading")
        found["done"] = axe_violations(driver, script)
        driver.get(link + "x")
        found["link gone"] = axe_violations(driver, script)
    finally:
        close(driver)
    assert {page: v for page, v in found.items() if v} == {}
