"""Issue 14, from outside: the real program in tmux at 80x24 gets many keys in one write
(one ``send-keys``, as an SSH connection delivers a burst) and handles every one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from app_fixtures import NOW

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


class Tmux:
    """One program in a private tmux server (its own socket: other tmux users are untouched)."""

    def __init__(self, socket: str) -> None:
        self.cmd = ["tmux", "-L", socket]

    def capture(self) -> str:
        done = subprocess.run(
            [*self.cmd, "capture-pane", "-t", "t", "-p"],
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout

    def send(self, *keys: str) -> None:
        subprocess.run([*self.cmd, "send-keys", "-t", "t", *keys], check=True)


@pytest.fixture
def tui(demo_db: Path, tmp_path: Path) -> Iterator[Tmux]:
    term = Tmux(f"st14-{os.getpid()}-{tmp_path.name}"[:60])
    env = dict(os.environ, SESSIONS_TUI_NOW=NOW, TERM="xterm-256color")
    command = f"{sys.executable} -m sessions_tui --db {demo_db} --user alice --tz America/Chicago"
    subprocess.run(
        [*term.cmd, "new-session", "-d", "-s", "t", "-x", "80", "-y", "24", command],
        env=env,
        check=True,
    )
    try:
        yield term
    finally:
        subprocess.run([*term.cmd, "kill-server"], check=False, capture_output=True)


def wait_for(capture: Callable[[], str], check: Callable[[str], bool], limit: float = 60) -> str:
    """Poll the screen until ``check`` holds (bounded; a slow machine only waits longer)."""
    deadline = time.monotonic() + limit
    screen = capture()
    while not check(screen) and time.monotonic() < deadline:
        time.sleep(0.1)
        screen = capture()
    return screen


def cursor(screen: str) -> tuple[str, int] | None:
    """(gutter label of the cursor's row, its column index) from the ``▸`` marker."""
    for line in screen.splitlines():
        if "▸" in line:
            gutter, _, rest = line.partition("│")
            column = rest[: rest.index("▸")].count("│")
            return gutter.strip(), column
    return None


def test_issue_14_tmux_burst_of_keys(tui: Tmux) -> None:
    send, capture = tui.send, tui.capture
    screen = wait_for(capture, lambda s: "▸" in s and "Sun 22" in s)
    assert cursor(screen) == ("▶10:00", 3), screen  # Wednesday, now
    # One key first, waited for: input is being read (a burst sent while the program is still
    # starting up is a different question from typeahead).
    send("Down")
    screen = wait_for(capture, lambda s: cursor(s) == ("", 3))
    assert cursor(screen) == ("", 3), screen
    send(*["Down"] * 19)  # 10:30 + 19 half hours = 20:00, one write
    screen = wait_for(capture, lambda s: cursor(s) == ("20:00", 3))
    assert cursor(screen) == ("20:00", 3), screen
    send("Left", "Left", "Left", "Up", "Up")
    screen = wait_for(capture, lambda s: cursor(s) == ("19:00", 0))
    assert cursor(screen) == ("19:00", 0), screen
    send(*["n"] * 5)
    screen = wait_for(capture, lambda s: "Dec 27, 2026" in s)
    assert "Dec 27, 2026 – Jan 2, 2027" in screen, screen
    assert cursor(screen) == ("19:00", 0), screen


def test_issue_14_keys_typed_ahead_of_a_form_reach_the_form(tui: Tmux) -> None:
    """``c``, ``enter`` (a client session) and a client's name in one write: the name is typed
    into the new form, not read as calendar keys (``M`` move, ``a`` agenda, ``y`` duplicate)
    while the form was still opening."""
    send, capture = tui.send, tui.capture
    wait_for(capture, lambda s: "▸" in s and "Sun 22" in s)
    send("Right", "Right")  # Friday 10:00: an empty slot
    wait_for(capture, lambda s: cursor(s) == ("▶10:00", 5))
    send("c", "Enter", "M", "a", "y", "a")
    screen = wait_for(capture, lambda s: "New client session" in s and "Maya" in s)
    assert "New client session" in screen, screen
    client = next(line for line in screen.splitlines() if line.lstrip().startswith("Client"))
    assert client.split()[1:] == ["Maya"], screen
    send("Escape")
    screen = wait_for(capture, lambda s: "Sun 22" in s and "▸" in s)
    assert "Nov 22 – 28, 2026" in screen, screen  # still the week: no 'a' reached the calendar
    assert "MOVING" not in screen, screen
