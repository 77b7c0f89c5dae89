"""Issue 24, from outside: the real program in tmux at 80x24.

* Type-ahead under load: with two busy CPU loops running, bursts of keys sent in one write end
  exactly where the same keys typed slowly end.
* A first frame that stays: with alerts due at start, no line of the first frame that shows the
  week changes or moves in the first five seconds (the alerts and the office-hours shading are
  in it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from app_fixtures import NOW

pytestmark = pytest.mark.skipif(
    subprocess.run(["which", "tmux"], capture_output=True).returncode != 0, reason="needs tmux"
)

MIXED = ["m", "Down", "Right", "Right", "w", "n", "Down", "Down", "Down", "Down", "d", "Left"]
MIXED += ["T", "Right", "a"]
"""Month, a week on, two days on, week, next week, four slots down, day, a day back, team, a
day on, agenda: every view, and keys that switch the view between cursor keys."""
FORM = ["c", "Enter", "A", "v", "a"]
"""A new client session, its client typed ahead of the form."""
ROUNDS = 10


class Tmux:
    """One program in a private tmux server (its own socket: other tmux users are untouched)."""

    def __init__(self, socket: str) -> None:
        self.cmd = ["tmux", "-L", socket]

    def capture(self) -> str:
        done = subprocess.run(
            [*self.cmd, "capture-pane", "-t", "t", "-p"], capture_output=True, text=True
        )
        return done.stdout

    def send(self, *keys: str) -> None:
        subprocess.run([*self.cmd, "send-keys", "-t", "t", *keys], check=True)


def wait_for(capture: Callable[[], str], check: Callable[[str], bool], limit: float = 60) -> str:
    """Poll the screen until ``check`` holds (bounded; a slow machine only waits longer)."""
    deadline = time.monotonic() + limit
    screen = capture()
    while not check(screen) and time.monotonic() < deadline:
        time.sleep(0.1)
        screen = capture()
    return screen


BUSY = """
import time
end = time.monotonic() + {seconds}
while time.monotonic() < end:
    pass
"""


def launch(db: Path, tmp_path: Path, config: str = "") -> Tmux:
    if config:
        path = Path(os.environ["SESSIONS_TUI_CONFIG"])  # at tmp_path (tests/conftest.py)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(config)
    term = Tmux(f"st24-{os.getpid()}-{tmp_path.name}"[:60])
    env = dict(os.environ, SESSIONS_TUI_NOW=NOW, TERM="xterm-256color")
    command = f"{sys.executable} -m sessions_tui --db {db} --user alice --tz America/Chicago"
    subprocess.run(
        [*term.cmd, "new-session", "-d", "-s", "t", "-x", "80", "-y", "24", command],
        env=env,
        check=True,
    )
    return term


@pytest.fixture
def tui(demo_db: Path, tmp_path: Path) -> Iterator[Tmux]:
    term = launch(demo_db, tmp_path)
    try:
        yield term
    finally:
        subprocess.run([*term.cmd, "kill-server"], check=False, capture_output=True)


@pytest.fixture
def busy() -> Iterator[Callable[[], None]]:
    """Starts two busy CPU loops (each stops itself after two minutes; killed at teardown)."""
    loops: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        for _ in range(2):
            loops.append(subprocess.Popen([sys.executable, "-c", BUSY.format(seconds=120)]))

    try:
        yield start
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


def still(capture: Callable[[], str], quiet: float = 0.25, limit: float = 30) -> str:
    """The screen once it stayed the same for ``quiet`` seconds (bounded)."""
    deadline = time.monotonic() + limit
    last, since = capture(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = capture()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return last


def typed_slowly(tui: Tmux, keys: list[str]) -> str:
    """Each key on its own, once the one before is handled and drawn: where the keys end."""
    screen = still(tui.capture)
    for key in keys:
        before = screen
        tui.send(key)
        wait_for(tui.capture, lambda s: s != before)  # noqa: B023  (every key changes it)
        screen = still(tui.capture)
    return screen


def test_issue_24_typeahead_under_load_ends_where_slow_typing_ends(
    tui: Tmux, busy: Callable[[], None]
) -> None:
    """One launch: the references typed slowly (no load yet), then the loops start and each
    burst goes in one write, ten times each, with a reset between them (``w t``: the week at
    now; ``escape``: the form closed) that is waited for."""
    send, capture = tui.send, tui.capture
    wait_for(capture, lambda s: "▸" in s and "Sun 22" in s and "? Help" in s and "│░" in s)
    home = still(capture, quiet=0.5)  # the week at now, once the start has settled
    mixed = typed_slowly(tui, MIXED)
    assert "Agenda" in mixed.splitlines()[0], mixed
    send("w", "t")
    assert wait_for(capture, lambda s: s == home) == home
    form = typed_slowly(tui, FORM)
    assert "New client session" in form, form
    assert "Bennett, Ava" in form, form
    send("Escape")
    assert wait_for(capture, lambda s: s == home) == home

    busy()
    for round_ in range(ROUNDS):
        send(*MIXED)
        screen = wait_for(capture, lambda s: s == mixed, limit=30)
        assert screen == mixed, f"mixed burst, round {round_}:\n{screen}"
        send("w", "t")
        assert wait_for(capture, lambda s: s == home) == home, f"reset after round {round_}"
    for round_ in range(ROUNDS):
        send(*FORM)
        screen = wait_for(capture, lambda s: s == form, limit=30)
        assert screen == form, f"c enter A v a, round {round_}:\n{screen}"
        time.sleep(0.3)  # a late answer (a search for "A") must not replace it
        assert capture() == form, f"c enter A v a, round {round_}: changed after"
        send("Escape")
        assert wait_for(capture, lambda s: s == home) == home, f"reset after round {round_}"


def test_issue_24_no_line_of_the_first_frame_moves_when_alerts_are_due(
    demo_db: Path, tmp_path: Path
) -> None:
    """Alerts ten hours ahead: every session of alice's day is due at start (more than the
    banner's two lines). The first frame that shows the week (its header, legend and key bar)
    has them, and the office-hours shading; until five seconds after the start every line of
    it stays at its row, unchanged."""
    tui = launch(demo_db, tmp_path, config="alerts = [600]\n")
    try:
        started = time.monotonic()
        first = wait_for(
            tui.capture, lambda s: "│Sun 22" in s and " B Ben " in s and "? Help" in s, limit=60
        )
        assert "│Sun 22" in first, first
        assert "Alert:" in first, first
        assert "+1 more" in first, first  # capped at two lines
        assert "│░" in first, first  # shading: outside office hours
        kept = list(enumerate(first.splitlines()))
        while time.monotonic() - started < 5:
            now = tui.capture().splitlines()
            moved = [(row, line) for row, line in kept if row >= len(now) or now[row] != line]
            assert not moved, "\n".join(now)
            time.sleep(0.05)
        banner = [line for line in first.splitlines() if line.startswith(" Alert:")]
        assert len(banner) == 2, first
    finally:
        subprocess.run([*tui.cmd, "kill-server"], check=False, capture_output=True)
