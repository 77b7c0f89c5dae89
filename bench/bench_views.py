"""Calendar view benchmark: first painted week view, and "next week" key-to-repaint.

    python bench/bench_views.py [DB] [--user LOGIN] [--runs 5] [--presses 40] [--no-tmux]

DB defaults to a demo practice built in a temporary file (use ``bench/build_db.py`` for the
100,000-event database). Reports, each next to an empty Textual app measured the same way in
the same run:

* in-process: ``App.run_test()`` from start until the week view is painted with its events;
* whole process: a tmux pane polled with ``capture-pane`` until the title is shown and the
  "loading…" mark is gone (includes interpreter start and imports);
* "next week" (``n``) key press until the new week is painted with its events: median, p95.

Goals (issue 3): first paint at most 1.5x the empty app; p95 navigation under 50 ms. Nothing
here asserts them; it prints the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

NOW = "2026-11-25T10:00:00-06:00"
TZ = "America/Chicago"
EMPTY_APP = (
    "from textual.app import App\n"
    "from textual.widgets import Label\n"
    "class Empty(App):\n"
    "    def compose(self):\n"
    "        yield Label('EMPTY-READY')\n"
    "Empty().run()\n"
)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def ms(value: float) -> str:
    return f"{value * 1000:7.1f} ms"


def demo_db() -> str:
    from sessions_tui.clock import FixedClock
    from sessions_tui.domain.timeutil import parse_aware
    from sessions_tui.services.context import Context
    from sessions_tui.services.demo import seed_demo
    from sessions_tui.store.db import open_database

    path = Path(tempfile.mkdtemp()) / "demo.db"
    seed_demo(Context(open_database(str(path)), FixedClock(parse_aware(NOW)), None))
    return str(path)


def default_user(db: str) -> str:
    from sqlalchemy import select

    from sessions_tui.store.db import open_database
    from sessions_tui.store.tables import StaffRow

    with open_database(db).session() as s:
        logins = list(s.execute(select(StaffRow.login).order_by(StaffRow.id)).scalars())
    return "alice" if "alice" in logins else logins[0]


def make_app(db: str, user: str) -> Any:
    """The app as ``sessions-tui --db DB --user USER --tz TZ`` starts it: through the fast
    start (``cli._fast_start``: stdlib ``sqlite3``, the ORM after the first frame) unless
    ``SESSIONS_TUI_NO_FAST_READ`` is set or the database needs the ordinary path."""
    from zoneinfo import ZoneInfo

    from sessions_tui.app import SessionsApp
    from sessions_tui.cli import main as cli
    from sessions_tui.cli.options import Options
    from sessions_tui.clock import FixedClock
    from sessions_tui.config import Config
    from sessions_tui.domain.timeutil import parse_aware

    os.environ["SESSIONS_TUI_NOW"] = NOW
    clock = FixedClock(parse_aware(NOW))
    options = Options(db=db, tz=TZ, user=user)
    fast_start = getattr(cli, "_fast_start", None)  # absent before the fast start (A/B runs)
    fast = fast_start(options, Config()) if fast_start is not None else None
    if fast is not None:
        start, tz = fast
        return SessionsApp(ctx=None, tz=tz, config=Config(), clock=clock, fast=start)
    return SessionsApp(ctx=options.context(), tz=ZoneInfo(TZ), config=Config(), clock=clock)


def week_painted(app: Any) -> bool:
    from sessions_tui.screens.calendar import CalendarScreen
    from sessions_tui.widgets.time_grid import TimeGrid

    screen = app.screen
    if not isinstance(screen, CalendarScreen) or app.facts is None:
        return False
    grid = screen.query_one(TimeGrid)
    return bool(grid.days) and not grid.is_loading and grid.size.height > 0


async def in_process_sessions(db: str, user: str) -> float:
    t0 = time.perf_counter()
    app = make_app(db, user)
    async with app.run_test(size=(100, 32)) as pilot:
        while not week_painted(app):
            await pilot.pause()
        await pilot.pause()  # one more frame: the loaded week is on screen
        return time.perf_counter() - t0


async def in_process_empty() -> float:
    t0 = time.perf_counter()
    from textual.app import App, ComposeResult
    from textual.widgets import Label

    class Empty(App[None]):
        def compose(self) -> ComposeResult:
            yield Label("EMPTY-READY")

    app = Empty()
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        return time.perf_counter() - t0


async def navigation(
    db: str, user: str, presses: int, *, painted: list[float] | None = None
) -> list[float]:
    """Seconds from each "n" until the Pilot saw the new week loaded and the process idle
    (``Pilot.press``/``pause`` wait until no thread uses CPU, so background work such as
    prefetching and office-hours shading counts). If ``painted`` is given, it receives for
    each press the seconds until the grid first drew a line of the new week with its events
    (the frame a user sees)."""
    from datetime import timedelta

    from sessions_tui.widgets.time_grid import TimeGrid

    app = make_app(db, user)
    times: list[float] = []
    drawn: list[float] = []
    async with app.run_test(size=(100, 32)) as pilot:
        while not week_painted(app):
            await pilot.pause()
        # Let start-up finish (the ORM warm-up after a fast start, the first prefetch): this
        # measures navigation; start-up is the first-paint measure.
        await pilot.pause(1.0)
        grid = app.screen.query_one(TimeGrid)
        render_line = grid.render_line
        wanted: list[Any] = [None]

        def timed_render_line(y: int) -> Any:
            if (
                wanted[0] is not None
                and grid.days
                and grid.days[0] == wanted[0]
                and (not grid.is_loading)
            ):
                drawn.append(time.perf_counter())
                wanted[0] = None
            return render_line(y)

        grid.render_line = timed_render_line  # type: ignore[method-assign]
        for _ in range(presses):
            before = app.cursor_day
            wanted[0] = grid.days[0] + timedelta(days=7)
            t0 = time.perf_counter()
            await pilot.press("n")
            while app.cursor_day == before or grid.is_loading:
                await pilot.pause()
            times.append(time.perf_counter() - t0)
            if painted is not None and drawn:
                painted.append(drawn.pop() - t0)
            drawn.clear()
    return times


def tmux_launch(command: str, ready: list[str], absent: list[str], name: str) -> float:
    """Seconds from starting ``command`` in a detached 100x32 tmux pane until it shows all of
    ``ready`` and none of ``absent``."""
    env = f"TERM=xterm-256color SESSIONS_TUI_NOW={NOW}"
    t0 = time.perf_counter()
    # A private tmux server per launch (-L): no race with a server that is shutting down.
    subprocess.run(
        [
            "tmux",
            "-L",
            name,
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "100",
            "-y",
            "32",
            f"{env} {command}",
        ],
        check=True,
    )
    try:
        while time.perf_counter() - t0 < 30:
            screen = subprocess.run(
                ["tmux", "-L", name, "capture-pane", "-p", "-t", name],
                capture_output=True,
                text=True,
            ).stdout
            if all(r in screen for r in ready) and not any(a in screen for a in absent):
                return time.perf_counter() - t0
            time.sleep(0.005)
        raise RuntimeError(f"{name}: not ready after 30 s")
    finally:
        subprocess.run(["tmux", "-L", name, "kill-server"], check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", nargs="?", help="database path (default: a fresh demo practice)")
    parser.add_argument("--user", help="staff login (default: alice, else the first member)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--presses", type=int, default=40)
    parser.add_argument("--no-tmux", action="store_true")
    args = parser.parse_args(argv)
    db = args.db or demo_db()
    user = args.user or default_user(db)
    print(f"database: {db}  user: {user}  now: {NOW}  zone: {TZ}")

    empty: list[float] = []
    sessions: list[float] = []
    for _ in range(args.runs):  # interleaved, so both see the same machine load
        empty.append(asyncio.run(in_process_empty()))
        sessions.append(asyncio.run(in_process_sessions(db, user)))
    e, s = statistics.median(empty), statistics.median(sessions)
    print(
        f"in-process first paint (median of {args.runs}): empty app {ms(e)}, "
        f"week view {ms(s)}  ratio {s / e:.2f}x"
    )

    if not args.no_tmux:
        exe = shlex.quote(sys.executable)
        script = Path(tempfile.mkdtemp()) / "empty_app.py"
        script.write_text(EMPTY_APP, encoding="utf-8")
        title = "Nov 22 – 28, 2026"
        empty_p: list[float] = []
        sessions_p: list[float] = []
        for n in range(args.runs):
            empty_p.append(
                tmux_launch(
                    f"{exe} {script}", ["EMPTY-READY"], [], f"bench-empty-{os.getpid()}-{n}"
                )
            )
            sessions_p.append(
                tmux_launch(
                    f"{exe} -m sessions_tui --db {shlex.quote(db)} "
                    f"--user {shlex.quote(user)} --tz {TZ}",
                    [title, "▶10:00"],
                    ["loading…"],
                    f"bench-week-{os.getpid()}-{n}",
                )
            )
        e, s = statistics.median(empty_p), statistics.median(sessions_p)
        print(
            f"whole-process first paint via tmux (median of {args.runs}): empty app {ms(e)}, "
            f"week view {ms(s)}  ratio {s / e:.2f}x"
        )

    painted: list[float] = []
    nav = asyncio.run(navigation(db, user, args.presses, painted=painted))
    print(
        f"'n' next week, key to repaint and idle ({len(nav)} presses): "
        f"median {ms(statistics.median(nav))}, p95 {ms(p95(nav))}, max {ms(max(nav))}"
    )
    if painted:
        print(
            f"'n' next week, key to the new week drawn ({len(painted)} presses): "
            f"median {ms(statistics.median(painted))}, p95 {ms(p95(painted))}, "
            f"max {ms(max(painted))}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
