#!/usr/bin/env python3
"""Key-to-frame from outside, through tmux at 80x24 (issue 14).

  python bench/keys_to_frame.py DB [--user sam] [--rounds 10]

Starts ``sessions-tui --db DB`` (with SESSIONS_TUI_NOW=2026-11-25T10:00:00-06:00) in a private
tmux server, then per round measures, polling ``capture-pane`` every 2 ms:

- one: one ``Down``, until the cursor marker ``▸`` is one row lower (then ``Up`` back);
- burst: one ``send-keys`` of 20 Down (and then 20 Up), until the cursor marker ``▸`` sits in
  the row 10 hours on (every key handled, the last frame drawn); the rounds run on Sunday
  (three Left first): ``▸`` shows on an empty cell, and a busy practice fills the weekdays;
- step: one ``n``, until the next week's title shows;
- help: ``?``, until the help screen shows its header ("What it does") and the first rows
  of keys (first paint, fully drawn), then escape.

Prints p50 / max per measure in ms, and each round's figure, then the burst's p50 over one
key's (issue 24: a burst of 20 arrows should cost about one frame more than one arrow). Run on
an idle machine; figures go in the closing note.

The practice of ``bench/build_db.py`` has an ``admin`` and practitioners ``p1``…``p8``; on
SQLite you act as your OS login (``--user`` naming someone else needs an admin OS login), so
run it as a login that is a member of staff there, or give the admin row your login.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

TM = ["tmux", "-L", f"bench14-{os.getpid()}", "-f", "/dev/null"]  # private: runs side by side


IDLE = 0.3
"""Seconds before each timed key, so that each is measured from an idle calendar (what the key
before it started, a screen closing, is not counted in the next)."""


def cap() -> str:
    return subprocess.run(
        [*TM, "capture-pane", "-p", "-t", "b"], capture_output=True, text=True
    ).stdout


def send(*keys: str) -> None:
    subprocess.run([*TM, "send-keys", "-t", "b", *keys], check=True)


def until(ok: Callable[[str], bool], limit: float = 20) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        if ok(cap()):
            return (time.perf_counter() - t0) * 1000
        time.sleep(0.002)
    raise SystemExit("timed out: " + cap())


def cursor_row(screen: str) -> str:
    for line in screen.splitlines():
        if "▸" in line:
            return line.split("│", 1)[0].strip()
    return ""


def cursor_line(screen: str) -> int:
    """The screen row of the cursor marker ``▸`` (-1: none)."""
    for number, line in enumerate(screen.splitlines()):
        if "▸" in line:
            return number
    return -1


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--user", default="sam")
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args()
    exe = os.path.join(os.path.dirname(sys.executable), "sessions-tui")
    cmd = f"{exe} --db {args.db} --user {args.user} --tz America/Chicago"
    env = dict(os.environ, SESSIONS_TUI_NOW="2026-11-25T10:00:00-06:00")
    subprocess.run([*TM, "kill-server"], capture_output=True)
    subprocess.run(
        [*TM, "new-session", "-d", "-s", "b", "-x", "80", "-y", "24", cmd], env=env, check=True
    )
    try:
        until(lambda s: "Sun 22" in s and "loading…" not in s)
        time.sleep(2)
        # The cursor marker ▸ shows on an empty cell: on a busy practice Wednesday 10:00 holds
        # events, so the rounds run on Sunday (the generated practice keeps Sundays free).
        send("Left", "Left", "Left")
        until(lambda s: "▸" in s)
        burst, one, step, helps = [], [], [], []
        for _ in range(args.rounds):
            time.sleep(IDLE)
            row = cursor_line(cap())
            t0 = time.perf_counter()
            send("Down")
            until(lambda s, row=row: cursor_line(s) == row + 1)
            one.append((time.perf_counter() - t0) * 1000)
            send("Up")
            until(lambda s, row=row: cursor_line(s) == row)
            time.sleep(IDLE)
            t0 = time.perf_counter()
            send(*["Down"] * 20)
            until(lambda s: cursor_row(s) == "20:00")
            burst.append((time.perf_counter() - t0) * 1000)
            send(*["Up"] * 20)
            until(lambda s: cursor_row(s) in ("▶10:00", "10:00"))
            time.sleep(IDLE)
            t0 = time.perf_counter()
            send("n")
            until(lambda s: "Nov 29 – Dec 5" in s and "loading…" not in s)
            step.append((time.perf_counter() - t0) * 1000)
            send("p")
            until(lambda s: "Nov 22 – 28" in s and "loading…" not in s)
            time.sleep(IDLE)
            t0 = time.perf_counter()
            send("?")
            until(lambda s: "What it does" in s and "Back to the calendar from any screen" in s)
            helps.append((time.perf_counter() - t0) * 1000)
            send("Escape")
            until(lambda s: "▸" in s)
        measures = (("one Down", one), ("burst of 20 Down", burst), ("n", step), ("help", helps))
        for name, values in measures:
            each = " ".join(f"{v:.0f}" for v in values)
            print(
                f"{name}: p50 {statistics.median(values):.0f} ms, "
                f"max {max(values):.0f} ms  (each: {each})"
            )
        ratio = statistics.median(burst) / statistics.median(one)
        print(f"burst of 20 Down / one Down (p50): {ratio:.1f}x")
    finally:
        subprocess.run([*TM, "kill-server"], capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
