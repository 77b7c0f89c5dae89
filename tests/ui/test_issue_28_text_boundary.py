"""Issue 28: one text boundary for every screen.

A PostgreSQL practitioner may set their own name; ICS imports, subscriptions and syncs bring
titles and calendar names from outside. Whatever is stored, what the terminal receives carries no
control character, no escape sequence and no bidirectional override or isolate from it: every
kind of name is planted with them here, straight into the database, every screen is opened, and
the bytes the terminal would be sent are scanned.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from test_appointments_ui import press, settle

from sessions_tui.app import SessionsApp
from sessions_tui.screens.actions import ENTRIES
from sessions_tui.screens.calendar import CalendarScreen
from sessions_tui.screens.dialogs import ChoiceModal

MakeApp = Callable[..., SessionsApp]

# Each name gets a different hostile part: a window retitle (OSC ... BEL), a screen clear (CSI),
# the 8-bit CSI, a right-to-left override, the isolates, a lone carriage return and NUL.
HOSTILE = [
    "\x1b]0;PWNED\x07",
    "\x1b[2J",
    "\x9b31m",
    "\u202e",
    "\u202a\u202b\u202c\u202d",
    "\u2066\u2067\u2068\u2069",
    "\r",
    "\x00",
]

# What Textual itself writes: colours/styles (SGR) and cursor moves; nothing else may be there.
_TEXTUAL_OWN = re.compile(r"\x1b\[[0-9;:]*m|\x1b\[\d+;\d+H|\x1b\[\?\d+[hl]")
_FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _name(base: str, n: int) -> str:
    return f"{base[:2]}{HOSTILE[n % len(HOSTILE)]}{base[2:]}"


def _plant(db: Path) -> int:
    """Every kind of name gets a hostile character; returns how many values were planted."""
    con = sqlite3.connect(db)
    con.create_function("sessions_actor", 0, lambda: "ben")  # the audit triggers name who
    planted = 0
    with con:
        for table, columns in (
            ("staff", ("name",)),
            ("client", ("first_name", "last_name")),
            ("location", ("name",)),
            ("event", ("title",)),
            ("booking_service", ("name",)),
            ("practice", ("name",)),
        ):
            for (row_id,) in con.execute(f"SELECT id FROM {table}").fetchall():
                for column in columns:
                    (value,) = con.execute(
                        f"SELECT {column} FROM {table} WHERE id = ?", (row_id,)
                    ).fetchone()
                    con.execute(
                        f"UPDATE {table} SET {column} = ? WHERE id = ?",
                        (_name(value, row_id + planted), row_id),
                    )
                    planted += 1
        ben = con.execute("SELECT id FROM staff WHERE login = 'ben'").fetchone()[0]
        con.execute(
            "INSERT INTO subscription (practitioner_id, name, url, busy, interval_minutes,"
            " created_at, failures, event_count, last_error)"
            " VALUES (?, ?, 'https://example.org/a.ics', 'busy', 60, '2026-11-01 00:00:00',"
            " 1, 0, ?)",
            (ben, "Sub\u202escribed\x1b[2J", "boom\x1b]0;x\x07"),
        )
        planted += 2
    con.close()
    return planted


def _terminal_bytes(app: SessionsApp) -> str:
    """What the terminal would be sent to draw the whole screen now (and the title)."""
    console = Console(
        width=app.size.width,
        height=app.size.height,
        file=open("/dev/null", "w"),  # noqa: SIM115 - closed below
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
        safe_box=False,
    )
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    assert update is not None
    sent: str = update.render_segments(console)
    console.file.close()
    return sent


def _leaks(app: SessionsApp) -> list[str]:
    sent = _TEXTUAL_OWN.sub("", _terminal_bytes(app))
    return sorted({repr(m.group()) for m in _FORBIDDEN.finditer(sent)})


@pytest.fixture
def hostile_db(demo_db: Path) -> Path:
    assert _plant(demo_db) > 40
    return demo_db


@pytest.mark.parametrize("view", ["m", "w", "d", "a", "T"])
async def test_issue_28_text_boundary_calendar_views(
    make_app: MakeApp, hostile_db: Path, view: str
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, view)
        assert _leaks(app) == [], view
        # The legend names every practitioner: the override is shown, not obeyed.
        if view == "w":
            await press(app, pilot, "enter")  # a slot or a session: a dialog either way
            assert _leaks(app) == []


@pytest.mark.parametrize("index", range(len(ENTRIES)), ids=[e.label for e in ENTRIES])
async def test_issue_28_text_boundary_every_screen(
    make_app: MakeApp, hostile_db: Path, index: int
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "full_stop")
        assert isinstance(app.screen, ChoiceModal)
        assert _leaks(app) == []
        await press(app, pilot, *(["down"] * index), "enter")
        assert type(app.screen).__name__ == ENTRIES[index].screen
        assert _leaks(app) == [], ENTRIES[index].label
        # The highlighted row's dialog (rename, edit) draws the name too.
        await press(app, pilot, "enter")
        assert _leaks(app) == [], ENTRIES[index].label
        await press(app, pilot, "alt+c")
        assert isinstance(app.screen, CalendarScreen)


async def test_issue_28_text_boundary_search_and_filters(
    make_app: MakeApp, hostile_db: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "f")
        assert _leaks(app) == []
        await press(app, pilot, "escape", "slash", "a")
        assert _leaks(app) == []


async def test_issue_28_legend_shows_a_bidi_override_visibly(
    make_app: MakeApp, demo_db: Path
) -> None:
    con = sqlite3.connect(demo_db)
    con.create_function("sessions_actor", 0, lambda: "ben")
    with con:
        con.execute("UPDATE staff SET name = 'Ben \u202eztrO' WHERE login = 'ben'")
    con.close()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        legend = str(app.screen.query_one("#legend").render())
        assert "\u202e" not in legend
        assert "\\u202e" in legend
