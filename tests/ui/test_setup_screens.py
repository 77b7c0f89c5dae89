"""Pilot tests of the practice setup pages: clients, staff, locations, account settings.

The demo practice (tests/ui/conftest.py): alice is an admin and practitioner, ben a
practitioner, sam a scheduler; Internal IDs are on; 30 clients C-1001…C-1030.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Checkbox, DataTable, Input, Label, OptionList, Static
from textual.worker import WorkerCancelled

from sessions_tui.app import SessionsApp
from sessions_tui.domain.model import Role
from sessions_tui.domain.timeutil import parse_aware
from sessions_tui.screens.actions import ENTRIES, MenuEntry, actions_menu
from sessions_tui.screens.calendar import CalendarScreen
from sessions_tui.screens.client_form import ClientFormModal
from sessions_tui.screens.clients import ClientsScreen
from sessions_tui.screens.dialogs import ChoiceModal
from sessions_tui.screens.location_form import LocationFormModal
from sessions_tui.screens.locations import LocationsScreen
from sessions_tui.screens.settings import AccountSettingsScreen, zone_matches
from sessions_tui.screens.staff import StaffScreen
from sessions_tui.screens.staff_form import StaffFormModal
from sessions_tui.services import practice
from sessions_tui.services.scheduling import agenda

MakeApp = Callable[..., SessionsApp]
SIZE = (80, 24)
CHICAGO = ZoneInfo("America/Chicago")
NOW = parse_aware("2026-11-25T10:00:00-06:00")  # the demo's "now" (tests/ui/conftest.py)


async def settle(app: SessionsApp, pilot: Pilot[None]) -> None:
    """Wait until every worker is done and the messages it posted are handled."""
    for _ in range(10):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:
            continue
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            break
    await pilot.pause()


async def press(app: SessionsApp, pilot: Pilot[None], *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(app, pilot)


async def type_text(app: SessionsApp, pilot: Pilot[None], text: str) -> None:
    await pilot.press(*["space" if c == " " else c for c in text])
    await settle(app, pilot)


async def open_page(app: SessionsApp, pilot: Pilot[None], screen: Screen[None]) -> None:
    await settle(app, pilot)
    app.push_screen(screen)
    await settle(app, pilot)


CONTACT_COLUMNS = {"email", "reminders"}
"""The clients table's contact columns (issue 20), left out by :func:`rows`."""


def rows(app: SessionsApp, table_id: str, *, contact: bool = False) -> list[list[str]]:
    table = app.screen.query_one(f"#{table_id}", DataTable)
    keys = [str(k.value) for k in table.columns]
    return [
        [
            str(cell)
            for key, cell in zip(keys, table.get_row_at(i), strict=True)
            if contact or key not in CONTACT_COLUMNS
        ]
        for i in range(table.row_count)
    ]


def columns(app: SessionsApp, table_id: str) -> list[str]:
    table = app.screen.query_one(f"#{table_id}", DataTable)
    return [str(key.value) for key in table.columns]


def error_text(screen: Screen[Any], name: str) -> str:
    return str(screen.query_one(f"#{name}-error", Static).content)


async def move_to_row(app: SessionsApp, pilot: Pilot[None], table_id: str, text: str) -> None:
    table = app.screen.query_one(f"#{table_id}", DataTable)
    for i in range(table.row_count):
        if any(text in str(cell) for cell in table.get_row_at(i)):
            table.move_cursor(row=i)
            await settle(app, pilot)
            return
    raise AssertionError(f"no row with {text!r}")


# --- clients ---------------------------------------------------------------------------------


async def test_add_a_client(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_page(app, pilot, ClientsScreen())
        assert len(rows(app, "clients-table")) == 30
        await press(app, pilot, "a")
        assert isinstance(app.screen, ClientFormModal)
        await type_text(app, pilot, "Ines")
        await press(app, pilot, "tab")
        await type_text(app, pilot, "Zapata")
        await press(app, pilot, "tab")
        await type_text(app, pilot, "C-2001")
        await press(app, pilot, "enter")
        assert isinstance(app.screen, ClientsScreen)
        stored = [c for c in practice.list_clients(app.ctx, "Zapata")]
        assert [(c.first_name, c.last_name, c.internal_id) for c in stored] == [
            ("Ines", "Zapata", "C-2001")
        ]
        table = app.screen.query_one("#clients-table", DataTable)
        assert table.row_count == 31
        # The new client is highlighted, in last-name order (Zapata is last).
        assert table.cursor_row == 30
        assert rows(app, "clients-table")[30] == ["Zapata", "Ines", "C-2001"]


async def test_issue_20_client_email_preferred_name_and_consent_in_the_form(
    make_app: MakeApp,
) -> None:
    from sessions_tui.services import contacts

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_page(app, pilot, ClientsScreen())
        await press(app, pilot, "a")
        for text in ("Ines", "Zapata", "C-2001", "ines@example.org", "Nessa"):
            await type_text(app, pilot, text)
            await press(app, pilot, "tab")
        assert app.focused is not None
        assert app.focused.id == "reminders"
        await press(app, pilot, "space")  # she agreed to email reminders
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, ClientsScreen)
        (ines,) = practice.list_clients(app.ctx, "Zapata")
        reach = contacts.get_contact(app.ctx, ines.id)
        assert (reach.email, reach.preferred_name, reach.reminders) == (
            "ines@example.org",
            "Nessa",
            True,
        )
        assert reach.reminders_given_at == app.ctx.clock.now()
        assert rows(app, "clients-table", contact=True)[30] == [
            "Zapata",
            "Ines",
            "C-2001",
            "ines@example.org",
            "✔ yes",
        ]
        # Reminders without an address: refused in words, next to the email field.
        await press(app, pilot, "enter")
        form = app.screen
        assert isinstance(form, ClientFormModal)
        form.query_one("#email", Input).value = ""
        await press(app, pilot, "ctrl+s")
        assert error_text(form, "email") == "✗ reminders need an email address"
        await press(app, pilot, "escape")
        assert contacts.get_contact(app.ctx, ines.id).email == "ines@example.org"


async def test_client_form_errors_in_words_and_escape_changes_nothing(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_page(app, pilot, ClientsScreen())
        await press(app, pilot, "a")
        await type_text(app, pilot, "Only")
        await press(app, pilot, "ctrl+s")
        form = app.screen
        assert isinstance(form, ClientFormModal)
        assert error_text(form, "last_name") == "✗ last name must not be empty"
        assert app.focused is not None
        assert app.focused.id == "last_name"
        await press(app, pilot, "escape")
        assert isinstance(app.screen, ClientsScreen)
        assert len(practice.list_clients(app.ctx)) == 30


async def test_edit_a_client_with_enter(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_page(app, pilot, ClientsScreen())
        await move_to_row(app, pilot, "clients-table", "Tanaka")
        await press(app, pilot, "enter")
        form = app.screen
        assert isinstance(form, ClientFormModal)
        assert form.query_one("#last_name", Input).value == "Tanaka"
        await press(app, pilot, "tab")
        form.query_one("#last_name", Input).value = ""
        await type_text(app, pilot, "Tanaka-Berg")
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, ClientsScreen)
        assert [c.last_name for c in practice.list_clients(app.ctx, "C-1011")] == ["Tanaka-Berg"]
        assert ["Tanaka-Berg", "Hana", "C-1011"] in rows(app, "clients-table")


async def test_search_matches_name_or_internal_id(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_page(app, pilot, ClientsScreen())
        await press(app, pilot, "slash")
        assert app.focused is not None
        assert app.focused.id == "clients-search"
        await type_text(app, pilot, "tana")
        assert rows(app, "clients-table") == [["Tanaka", "Hana", "C-1011"]]
        app.screen.query_one("#clients-search", Input).value = ""
        await type_text(app, pilot, "c-102")
        ids = [r[2] for r in rows(app, "clients-table")]
        assert sorted(ids) == [f"C-{n}" for n in range(1020, 1030)]
        assert str(app.screen.query_one("#clients-count", Label).content) == "10 clients"
        # Down (or enter) goes from the search to the list, where the keys act again.
        await press(app, pilot, "down")
        assert isinstance(app.focused, DataTable)


async def test_internal_id_column_follows_the_setting(make_app: MakeApp) -> None:
    app = make_app()
    practice.update_settings(app.ctx, internal_ids=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_page(app, pilot, ClientsScreen())
        assert columns(app, "clients-table") == ["last", "first", "email", "reminders"]
        await press(app, pilot, "a")  # the form has no internal ID field while they are off
        assert not app.screen.query("#internal_id")
        await press(app, pilot, "escape", "alt+c")

        await open_page(app, pilot, AccountSettingsScreen())
        box = app.screen.query_one("#internal_ids", Checkbox)
        assert box.value is False
        box.focus()
        await press(app, pilot, "space", "ctrl+s")
        assert practice.get_settings(app.ctx).internal_ids is True
        await press(app, pilot, "alt+c")

        await open_page(app, pilot, ClientsScreen())
        assert columns(app, "clients-table") == [
            "last",
            "first",
            "internal_id",
            "email",
            "reminders",
        ]
        assert rows(app, "clients-table")[0] == ["Abbott", "Oscar", "C-1024"]


async def test_duplicate_internal_id_is_refused(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_page(app, pilot, ClientsScreen())
        await press(app, pilot, "a")
        await type_text(app, pilot, "Dup")
        await press(app, pilot, "tab")
        await type_text(app, pilot, "Licate")
        await press(app, pilot, "tab")
        await type_text(app, pilot, "C-1001")
        await press(app, pilot, "enter")
        form = app.screen
        assert isinstance(form, ClientFormModal)  # still open, nothing saved
        assert error_text(form, "internal_id") == (
            "✗ internal ID 'C-1001' is already used by another client"
        )
        assert practice.list_clients(app.ctx, "Licate") == []
        await press(app, pilot, "escape")
        assert len(rows(app, "clients-table")) == 30


async def test_privacy_mode_shows_initials(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_page(app, pilot, ClientsScreen())
        app.privacy = True
        await settle(app, pilot)
        table_rows = rows(app, "clients-table")
        assert table_rows[0] == ["O.A.", "C-1024"]
        assert not any("Abbott" in cell for row in table_rows for cell in row)


async def test_practitioner_sees_clients_read_only(make_app: MakeApp) -> None:
    app = make_app(user="ben")
    async with app.run_test(size=SIZE) as pilot:
        await open_page(app, pilot, ClientsScreen())
        assert len(rows(app, "clients-table")) == 30
        note = str(app.screen.query_one("#clients-note", Static).content)
        assert note == "Read-only: only an admin or scheduler may add or edit clients."
        await press(app, pilot, "a", "e", "enter")
        assert isinstance(app.screen, ClientsScreen)
        assert app.screen.check_action("add", ()) is None


async def test_scheduler_may_add_clients(make_app: MakeApp) -> None:
    app = make_app(user="sam")
    async with app.run_test(size=SIZE) as pilot:
        await open_page(app, pilot, ClientsScreen())
        await press(app, pilot, "a")
        assert isinstance(app.screen, ClientFormModal)
        await type_text(app, pilot, "Sched")
        await press(app, pilot, "tab")
        await type_text(app, pilot, "Uled")
        await press(app, pilot, "enter")
        assert [c.full_name for c in practice.list_clients(app.ctx, "Uled")] == ["Sched Uled"]


# --- staff -----------------------------------------------------------------------------------


async def test_admin_changes_a_role(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_page(app, pilot, StaffScreen())
        assert ["Sam Whitaker", "sam", "scheduler", "cyan", "50 min"] in rows(app, "staff-table")
        await move_to_row(app, pilot, "staff-table", "Sam Whitaker")
        await press(app, pilot, "e")
        form = app.screen
        assert isinstance(form, StaffFormModal)
        box = form.query_one("#role-practitioner", Checkbox)
        assert not box.disabled
        assert box.value is False
        box.focus()
        await press(app, pilot, "space", "ctrl+s")
        assert isinstance(app.screen, StaffScreen)
        sam = next(p for p in practice.list_staff(app.ctx) if p.login == "sam")
        assert sam.roles == {Role.SCHEDULER, Role.PRACTITIONER}
        assert any(
            r[:3] == ["Sam Whitaker", "sam", "scheduler, practitioner"]
            for r in rows(app, "staff-table")
        )


async def test_admin_adds_a_scheduler_who_is_not_a_practitioner(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_page(app, pilot, StaffScreen())
        await press(app, pilot, "a")
        form = app.screen
        assert isinstance(form, StaffFormModal)
        await type_text(app, pilot, "rita")
        await press(app, pilot, "tab")
        await type_text(app, pilot, "Rita Front")
        form.query_one("#role-practitioner", Checkbox).value = False
        form.query_one("#role-scheduler", Checkbox).value = True
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, StaffScreen)
        rita = next(p for p in practice.list_staff(app.ctx) if p.login == "rita")
        assert rita.roles == {Role.SCHEDULER}
        assert rita.name == "Rita Front"


async def test_staff_form_shows_errors_next_to_fields(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_page(app, pilot, StaffScreen())
        await press(app, pilot, "a")
        form = app.screen
        assert isinstance(form, StaffFormModal)
        await type_text(app, pilot, "ben")  # taken
        await press(app, pilot, "tab")
        await type_text(app, pilot, "Another Ben")
        await press(app, pilot, "ctrl+s")
        assert error_text(form, "login") == "✗ login 'ben' is already taken"
        form.query_one("#login", Input).value = "ben2"
        form.query_one("#color", Input).value = "plaid"
        await press(app, pilot, "ctrl+s")
        assert error_text(form, "color").startswith("✗ bad colour 'plaid'")
        form.query_one("#color", Input).value = "#336699"
        form.query_one("#minutes", Input).value = "2"
        await press(app, pilot, "ctrl+s")
        assert error_text(form, "minutes") == "✗ default session length must be 5 to 1440 minutes"
        for role in ("admin", "scheduler", "practitioner"):
            form.query_one(f"#role-{role}", Checkbox).value = False
        form.query_one("#minutes", Input).value = "45"
        await press(app, pilot, "ctrl+s")
        assert error_text(form, "roles") == "✗ a member of staff needs at least one role"
        assert "ben2" not in {p.login for p in practice.list_staff(app.ctx)}
        form.query_one("#role-practitioner", Checkbox).value = True
        await press(app, pilot, "ctrl+s")
        ben2 = next(p for p in practice.list_staff(app.ctx) if p.login == "ben2")
        assert (ben2.color, ben2.default_session_minutes) == ("#336699", 45)


async def test_practitioner_may_not_change_roles(make_app: MakeApp) -> None:
    app = make_app(user="ben")
    async with app.run_test(size=SIZE) as pilot:
        await open_page(app, pilot, StaffScreen())
        screen = app.screen
        assert str(screen.query_one("#staff-note", Static).content).startswith("Read-only")
        # Someone else's row: no edit, no add.
        await move_to_row(app, pilot, "staff-table", "Sam Whitaker")
        assert screen.check_action("edit", ()) is None
        await press(app, pilot, "e", "a")
        assert app.screen is screen
        # Their own row: the form opens with the roles shown but not changeable.
        await move_to_row(app, pilot, "staff-table", "Ben Okafor")
        await press(app, pilot, "e")
        form = app.screen
        assert isinstance(form, StaffFormModal)
        assert all(box.disabled for box in form.query(Checkbox))
        await press(app, pilot, "escape")
        # Had the screen let them try, the service refuses, and the form says so in words.
        ben = next(p for p in practice.list_staff(app.ctx) if p.login == "ben")
        app.push_screen(StaffFormModal(ben, can_change_roles=True))
        await settle(app, pilot)
        form = app.screen
        form.query_one("#role-admin", Checkbox).value = True
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, StaffFormModal)
        assert error_text(form, "form") == (
            "✗ only an admin may change staff roles (ben is practitioner)"
        )
        ben = next(p for p in practice.list_staff(app.ctx) if p.login == "ben")
        assert ben.roles == {Role.PRACTITIONER}


async def test_practitioner_edits_own_profile(make_app: MakeApp) -> None:
    app = make_app(user="ben")
    async with app.run_test(size=SIZE) as pilot:
        await open_page(app, pilot, StaffScreen())
        await press(app, pilot, "o")
        form = app.screen
        assert isinstance(form, StaffFormModal)
        form.query_one("#color", Input).value = "bright_cyan"
        form.query_one("#minutes", Input).value = "45"
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, StaffScreen)
        ben = next(p for p in practice.list_staff(app.ctx) if p.login == "ben")
        assert (ben.color, ben.default_session_minutes) == ("bright_cyan", 45)
        assert app.ctx.actor == ben  # the app acts with the fresh profile
        assert ["Ben Okafor (you)", "ben", "practitioner", "██ bright_cyan", "45 min"] in rows(
            app, "staff-table"
        )


# --- locations -------------------------------------------------------------------------------


async def test_locations_add_rename_archive(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_page(app, pilot, LocationsScreen())
        assert rows(app, "locations-table") == [
            ["Main St Clinic", "active"],
            ["Telehealth", "active"],
        ]
        await press(app, pilot, "a")
        assert isinstance(app.screen, LocationFormModal)
        await type_text(app, pilot, "telehealth")
        await press(app, pilot, "enter")
        assert error_text(app.screen, "name") == "✗ location 'telehealth' already exists"
        app.screen.query_one("#name", Input).value = ""
        await type_text(app, pilot, "Annex")
        await press(app, pilot, "enter")
        assert isinstance(app.screen, LocationsScreen)
        assert [r[0] for r in rows(app, "locations-table")] == [
            "Annex",
            "Main St Clinic",
            "Telehealth",
        ]

        await move_to_row(app, pilot, "locations-table", "Main St Clinic")
        await press(app, pilot, "r")
        app.screen.query_one("#name", Input).value = ""
        await type_text(app, pilot, "Main Street Clinic")
        await press(app, pilot, "enter")
        main = practice.find_location(app.ctx, "Main Street Clinic")

        await move_to_row(app, pilot, "locations-table", "Main Street Clinic")
        await press(app, pilot, "x")
        assert isinstance(app.screen, ChoiceModal)  # asked first; "Go back" is the default
        await press(app, pilot, "enter")
        assert not practice.find_location(app.ctx, "Main Street Clinic").archived
        await press(app, pilot, "x", "down", "enter")
        assert practice.find_location(app.ctx, "Main Street Clinic").archived
        assert rows(app, "locations-table")[-1] == [
            "Main Street Clinic",
            "archived (kept on its events)",
        ]
        # Its events keep it, past and future.
        items = agenda(app.ctx, NOW - timedelta(days=40), NOW + timedelta(days=40), CHICAGO)
        at_main = [i for i in items if i.event.location_id == main.id]
        assert any(i.start < NOW for i in at_main)
        assert any(i.start > NOW for i in at_main)
        # x brings it back, without asking.
        await press(app, pilot, "x")
        assert not practice.find_location(app.ctx, "Main Street Clinic").archived


async def test_practitioner_sees_locations_read_only(make_app: MakeApp) -> None:
    app = make_app(user="ben")
    async with app.run_test(size=SIZE) as pilot:
        await open_page(app, pilot, LocationsScreen())
        screen = app.screen
        assert str(screen.query_one("#locations-note", Static).content) == (
            "Read-only: only an admin or scheduler may change locations."
        )
        await press(app, pilot, "a", "r", "x", "enter")
        assert app.screen is screen
        assert [loc.archived for loc in practice.list_locations(app.ctx)] == [False, False]


# --- settings --------------------------------------------------------------------------------


async def test_admin_changes_settings_and_zone(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_page(app, pilot, AccountSettingsScreen())
        screen = app.screen
        assert app.focused is not None
        assert app.focused.id == "name"
        screen.query_one("#name", Input).value = ""
        await type_text(app, pilot, "Riverside Therapy")
        screen.query_one("#display_tz", Input).focus()
        screen.query_one("#display_tz", Input).value = ""
        await type_text(app, pilot, "Mars/Olympus")
        await press(app, pilot, "ctrl+s")
        assert error_text(screen, "display_tz").startswith("✗ unknown time zone 'Mars/Olympus'")
        assert practice.get_settings(app.ctx).name == "Riverside Therapy Collective"
        screen.query_one("#display_tz", Input).value = ""
        await type_text(app, pilot, "berl")
        assert error_text(screen, "display_tz") == ""
        options = screen.query_one("#zone-matches", OptionList)
        assert options.get_option_at_index(0).id == "Europe/Berlin"
        await press(app, pilot, "down", "enter")  # into the list, pick Berlin
        assert screen.query_one("#display_tz", Input).value == "Europe/Berlin"
        screen.query_one("#week_starts_monday", Checkbox).value = True
        screen.query_one("#allow_double_booking", Checkbox).value = False
        await press(app, pilot, "ctrl+s")
        saved = practice.get_settings(app.ctx)
        assert (
            saved.name,
            saved.display_tz,
            saved.week_starts_monday,
            saved.allow_double_booking,
        ) == ("Riverside Therapy", "Europe/Berlin", True, False)
        assert app.facts is not None
        assert app.facts.week_starts_monday is True
        # Blank means "each computer's own zone".
        screen.query_one("#display_tz", Input).value = ""
        await press(app, pilot, "ctrl+s")
        assert practice.get_settings(app.ctx).display_tz is None


async def test_settings_read_only_for_non_admins(make_app: MakeApp) -> None:
    for user in ("ben", "sam"):
        app = make_app(user=user)
        async with app.run_test(size=SIZE) as pilot:
            await open_page(app, pilot, AccountSettingsScreen())
            screen = app.screen
            assert str(screen.query_one("#settings-note", Static).content) == (
                "Read-only: only an admin may change the practice's settings."
            )
            assert screen.query_one("#name", Input).value == "Riverside Therapy Collective"
            assert screen.query_one("#name", Input).disabled
            assert screen.query_one("#internal_ids", Checkbox).disabled
            assert screen.check_action("save", ()) is None
            await press(app, pilot, "ctrl+s")
            assert practice.get_settings(app.ctx).name == "Riverside Therapy Collective"


def test_zone_matches() -> None:
    zones = ["America/New_York", "Europe/Berlin", "Europe/London", "US/Eastern"]
    assert zone_matches(zones, "new york") == ["America/New_York"]
    assert zone_matches(zones, "EUROPE/") == ["Europe/Berlin", "Europe/London"]
    assert zone_matches(zones, "lon") == ["Europe/London"]
    assert zone_matches(zones, "") == zones


# --- getting there and back ------------------------------------------------------------------


PAGES = [
    ("Clients", ClientsScreen),
    ("Staff", StaffScreen),
    ("Locations", LocationsScreen),
    ("Account settings", AccountSettingsScreen),
]


@pytest.mark.parametrize(("label", "cls"), PAGES, ids=[p[0] for p in PAGES])
async def test_menu_opens_the_page_and_alt_c_returns(
    make_app: MakeApp, label: str, cls: type[Screen[None]]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        entry = next(e for e in ENTRIES if e.label == label)

        def chosen(picked: MenuEntry | None) -> None:  # as the calendar's menu key will do
            if picked is not None:
                app.push_screen(picked.open())

        app.push_screen(actions_menu(), chosen)
        await settle(app, pilot)
        app.screen.query_one(OptionList).highlighted = ENTRIES.index(entry)
        await press(app, pilot, "enter")
        assert isinstance(app.screen, cls)
        await press(app, pilot, "alt+c")
        assert isinstance(app.screen, CalendarScreen)
        assert len(app.screen_stack) == 1


@pytest.mark.parametrize(
    ("cls", "key"),
    [(ClientsScreen, "a"), (StaffScreen, "e"), (LocationsScreen, "r"), (AccountSettingsScreen, "")],
    ids=["clients", "staff", "locations", "settings"],
)
async def test_alt_c_from_page_and_from_its_form(
    make_app: MakeApp, cls: type[Screen[None]], key: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_page(app, pilot, cls())
        if key:
            await press(app, pilot, key)
            assert app.screen is not None
            assert not isinstance(app.screen, cls)
            await type_text(app, pilot, "zz")  # typing in a field does not stop alt+c
        await press(app, pilot, "alt+c")
        assert isinstance(app.screen, CalendarScreen)
        assert len(app.screen_stack) == 1
        # Nothing was saved on the way out.
        assert not practice.list_clients(app.ctx, "zz")
        assert not [loc for loc in practice.list_locations(app.ctx) if "zz" in loc.name]


@pytest.mark.parametrize(
    "cls", [ClientsScreen, StaffScreen, LocationsScreen, AccountSettingsScreen]
)
async def test_escape_closes_the_page(make_app: MakeApp, cls: type[Screen[None]]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_page(app, pilot, cls())
        assert isinstance(app.screen, cls)
        await press(app, pilot, "escape")
        assert isinstance(app.screen, CalendarScreen)


def test_bindings_have_ids_descriptions_tooltips_and_help() -> None:
    from textual.binding import Binding

    ids: list[str] = []
    for cls in (
        ClientsScreen,
        StaffScreen,
        LocationsScreen,
        AccountSettingsScreen,
        ClientFormModal,
        StaffFormModal,
        LocationFormModal,
    ):
        if cls.__name__.endswith("Screen"):
            assert getattr(cls, "HELP", "").strip(), cls
        for b in Binding.make_bindings(cls.__dict__.get("BINDINGS", [])):
            assert b.id, (cls, b)
            assert b.description, (cls, b)
            assert b.tooltip, (cls, b)
            ids.append(b.id)
    assert len(ids) == len(set(ids))


async def test_issue_20_reminder_settings_page(make_app: MakeApp) -> None:
    from sessions_tui.screens.reminder_settings import ReminderSettingsScreen
    from sessions_tui.services import reminders

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_page(app, pilot, ReminderSettingsScreen())
        page = app.screen
        assert isinstance(page, ReminderSettingsScreen)
        assert app.focused is not None
        assert app.focused.id == "hours"
        page.query_one("#hours", Input).value = ""
        await type_text(app, pilot, "48,24")
        page.query_one("#subject", Input).value = "See you {date}, {notes}"
        await press(app, pilot, "ctrl+s")
        assert error_text(page, "subject").startswith("✗ unknown placeholder {notes}")
        assert app.focused is not None
        assert app.focused.id == "subject"
        page.query_one("#subject", Input).value = "See you {date} at {time}"
        await press(app, pilot, "tab")  # into the body; tab leaves it again (keyboard only)
        assert app.focused is not None
        assert app.focused.id == "body"
        await press(app, pilot, "tab")
        assert app.focused is not None
        assert app.focused.id == "cancel"
        page.query_one("#cancel", Input).value = "12"
        page.query_one("#alarm", Input).value = "15"
        await press(app, pilot, "ctrl+s")
        saved = reminders.get_settings(app.ctx)
        assert (saved.hours, saved.subject, saved.cancel_hours, saved.feed_alarm_minutes) == (
            "48,24",
            "See you {date} at {time}",
            12,
            15,
        )
        await press(app, pilot, "escape")
        assert isinstance(app.screen, CalendarScreen)


async def test_issue_20_reminder_settings_read_only_for_practitioners(make_app: MakeApp) -> None:
    from sessions_tui.screens.reminder_settings import ReminderSettingsScreen

    app = make_app(user="ben")
    async with app.run_test(size=SIZE) as pilot:
        await open_page(app, pilot, ReminderSettingsScreen())
        assert app.screen.query_one("#hours", Input).disabled
        assert "Read-only" in str(app.screen.query_one("#reminders-note", Static).content)
