"""Issue 27: the practice's profile and a service's place on the booking page, in a real
headless Chromium (the suite's Debian chromium + chromedriver, Selenium).

An admin sets the profile and the services' places with the CLI (``settings set profile.*``,
``booking settings --service NAME=MINUTES@PLACE``); a visitor sees the phone in the header, the
address, note and privacy link in the footer (the note's markup shown as text, not run), the
chosen service's place, then books, confirms by mail, and the done page names the place and the
address, and its "add to calendar" file has the LOCATION. axe-core checks the pages with the
footer when ``AXE_CORE_JS`` (or node_modules/axe-core) is there.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from unit.test_booking import Practice, make_practice
from unit.test_booking_mail import Sink

from sessions_tui.services import practice
from sessions_tui.web.server import ServeOptions, ServerThread

from .test_booking_browser import (
    axe_script,
    axe_violations,
    browser,
    cli,
    close,
    confirm_by_mail,
    fill_form,
    sink,
    wait_for,
)

pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By

__all__ = ["sink"]  # the SMTP sink fixture, used by name

NOTE = "<b>Parking</b> behind the building"
LINK = "https://meet.example.org/alice-room"


@pytest.fixture
def pr(tmp_path: Path) -> Iterator[Practice]:
    p = make_practice(f"sqlite:///{tmp_path / 'profile-browser.db'}")
    practice.add_location(p.admin, "Main office")
    yield p
    p.db.dispose()


@pytest.fixture
def srv(pr: Practice) -> Iterator[ServerThread]:
    server = ServerThread(pr.db, pr.clock, ServeOptions(port=0)).start()
    yield server
    server.shutdown()


def test_issue_27_profile_and_location_on_the_page_and_the_done_page(
    pr: Practice, srv: ServerThread, sink: tuple[Sink, Any]
) -> None:
    for key, value in (
        ("profile.phone", "+1 (312) 555-0142"),
        ("profile.address", "12 River St, Chicago IL"),
        ("profile.note", NOTE),
        ("profile.privacy-url", "https://riverside.example.org/privacy"),
    ):
        cli(pr, "settings", "set", key, value, "--user", "alice")
    cli(
        pr,
        "booking",
        "settings",
        "--practitioner",
        "Alice Moreno",
        "--service",
        "Intake=80@Main office",
        "--service",
        f"Session=50@telehealth {LINK}",
        "--user",
        "alice",
    )
    script = axe_script()
    found: dict[str, list[str]] = {}
    url = f"{srv.base_url}/book/{pr.key()}"
    driver = browser("UTC")
    try:
        driver.get(url + "?tz=UTC")
        wait_for(driver, "a.time")
        assert driver.find_element(By.ID, "practice-phone").text == "+1 (312) 555-0142"
        assert driver.find_element(By.ID, "practice-address").text == "12 River St, Chicago IL"
        assert driver.find_element(By.ID, "practice-note").text == NOTE  # shown, not run
        assert driver.find_elements(By.CSS_SELECTOR, "#practice-note b") == []
        privacy = driver.find_element(By.ID, "privacy-policy")
        assert privacy.get_attribute("href") == "https://riverside.example.org/privacy"
        assert driver.find_element(By.ID, "service-place").text == "Where: Main office"
        services = driver.find_element(By.CSS_SELECTOR, "ul.services").text
        assert "Intake, 80 minutes (Main office)" in services
        assert "Session, 50 minutes (Telehealth)" in services
        assert LINK not in driver.page_source  # the room's link goes to confirmed clients only
        if script:
            found["times"] = axe_violations(driver, script)
        driver.find_elements(By.CSS_SELECTOR, "a.time")[0].click()
        wait_for(driver, "form#request-form")
        assert "Main office" in driver.find_element(By.CSS_SELECTOR, "p.chosen").text
        assert driver.find_element(By.ID, "practice-phone").text == "+1 (312) 555-0142"
        fill_form(driver, "Jo Visitor", "jo@example.org")
        wait_for(driver, "#sent-heading")
        confirm_by_mail(pr, driver, sink, "jo@example.org")
        place = driver.find_element(By.ID, "done-place").text
        assert place == "Where: Main office, 12 River St, Chicago IL"
        assert driver.find_element(By.ID, "practice-phone").text == "+1 (312) 555-0142"
        assert driver.find_element(By.ID, "practice-address").text == "12 River St, Chicago IL"
        if script:
            found["done"] = axe_violations(driver, script)
        href = driver.find_element(By.ID, "add-to-calendar").get_attribute("href")
        with urllib.request.urlopen(href, timeout=10) as resp:
            ics = resp.read().decode()
        assert "LOCATION:Main office\\, 12 River St\\, Chicago IL" in ics.replace("\r\n ", "")
    finally:
        close(driver)
    assert {page: v for page, v in found.items() if v} == {}
