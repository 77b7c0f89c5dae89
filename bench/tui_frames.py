#!/usr/bin/env python3
"""The TUI's week changes, arrow bursts and memory, from outside, for two builds side by side.

    python bench/tui_frames.py DB --user root --build new=/work/wt-x --build base=/tmp/base \\
        [--rounds 3] [--presses 10] [--goto 2026-06-07]

Each build is a source tree run as ``PYTHONPATH=TREE sessions-tui`` in a 120x40 pane of a
private tmux server (socket ``tuiframes``); the builds alternate, round by round, so a loaded
box weighs on both alike. Per round and build:

- ``n``: from the ``--goto`` week, ``--presses`` times ``n``; each to the next week's complete
  frame (its title, ``│Sun D`` in the header, no ``loading…``), 0.5 s apart. Wall time
  and the process's CPU time (``/proc/PID/stat``, all threads) from the key to that frame.
- a burst of 20 ``down`` (sent at once) to its *final* frame: the last change before the
  screen stays still for 0.4 s; one ``down`` the same way, for the ratio.
- memory: RSS 2 s after the first week, and after 20 ``n``/``p`` round trips.

Prints every sample and, per build, medians and p95 over all rounds, with the load average
before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from datetime import date, timedelta

TM = ["tmux", "-L", "tuiframes", "-f", "/dev/null"]
S = "tf"
TICK = os.sysconf("SC_CLK_TCK")


def tm(*args: str) -> str:
    return subprocess.run(TM + list(args), capture_output=True, text=True, check=False).stdout


def cap() -> str:
    return tm("capture-pane", "-p", "-t", S)


def cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def wait_for(ok, limit: float = 60.0, interval: float = 0.002) -> str:  # type: ignore[no-untyped-def]
    t0 = time.monotonic()
    while True:
        scr = cap()
        if ok(scr):
            return scr
        if time.monotonic() - t0 > limit:
            raise SystemExit("timed out:\n" + scr)
        time.sleep(interval)


def final_frame(t0: float, still: float = 0.4) -> float:
    """Seconds from ``t0`` to the last change of the screen before it stays still."""
    last, changed = cap(), time.monotonic()
    while time.monotonic() - changed < still:
        time.sleep(0.002)
        now = cap()
        if now != last:
            last, changed = now, time.monotonic()
    return changed - t0


def week_shown(first: date):  # type: ignore[no-untyped-def]
    title = f"{first:%b} {first.day} – "  # "Jun 14 – 20, 2026" (alerts may sit above it)

    def ok(scr: str) -> bool:
        return title in scr and f"│Sun {first.day} " in scr and "loading…" not in scr

    return ok


def one_round(a: argparse.Namespace, tree: str, out: dict[str, list[float]]) -> None:
    env = (
        f"TERM=xterm-256color TZ=America/Chicago SESSIONS_TUI_NOW=2026-11-25T10:30:00-06:00 "
        f"PYTHONPATH={tree}"
    )
    cmd = f"exec env {env} {a.exe} --db {a.db} --user {a.user} --tz America/Chicago"
    tm("kill-server")
    subprocess.run([*TM, "new-session", "-d", "-s", S, "-x", "120", "-y", "40", cmd], check=True)
    try:
        pid = int(tm("list-panes", "-t", S, "-F", "#{pane_pid}").split()[0])
        wait_for(lambda s: "Nov 22 – 28, 2026" in s and "loading…" not in s)
        time.sleep(2.0)
        out["rss_start"].append(rss_mib(pid))
        first = date.fromisoformat(a.goto)
        tm("send-keys", "-t", S, "g")
        time.sleep(0.7)
        tm("send-keys", "-t", S, "-l", a.goto)
        tm("send-keys", "-t", S, "Enter")
        wait_for(week_shown(first))
        time.sleep(1.5)
        for i in range(a.presses):
            want = first + timedelta(days=7 * (i + 1))
            c0, t0 = cpu(pid), time.monotonic()
            tm("send-keys", "-t", S, "n")
            ok = week_shown(want)
            wait_for(ok)
            out["n_wall"].append(1000 * (time.monotonic() - t0))
            out["n_cpu"].append(1000 * (cpu(pid) - c0))
            time.sleep(0.5)
        for keys, name in ((["Down"], "arrow1"), (["Down"] * 20, "arrow20")):
            for _ in range(3):
                tm("send-keys", "-t", S, "Up", "Up", "Up", "Up")  # back near the top
                final_frame(time.monotonic())
                c0, t0 = cpu(pid), time.monotonic()
                tm("send-keys", "-t", S, *keys)
                out[name].append(1000 * final_frame(t0))
                out[name + "_cpu"].append(1000 * (cpu(pid) - c0))
                tm("send-keys", "-t", S, *(["Up"] * len(keys)))
                final_frame(time.monotonic())
        mem0 = rss_mib(pid)
        for _ in range(20):
            for key in ("n", "p"):
                tm("send-keys", "-t", S, key)
                time.sleep(0.15)
        final_frame(time.monotonic(), still=1.0)
        out["rss_browse0"].append(mem0)
        out["rss_browse20"].append(rss_mib(pid))
    finally:
        tm("kill-server")


def p95(v: list[float]) -> float:
    o = sorted(v)
    return o[min(len(o) - 1, round(0.95 * (len(o) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--user", default="root")
    ap.add_argument("--build", action="append", required=True, help="NAME=SOURCE_TREE")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--presses", type=int, default=10)
    ap.add_argument("--goto", default="2026-06-07")
    ap.add_argument("--exe", default="/work/main/.venv/bin/sessions-tui")
    a = ap.parse_args()
    builds = [b.split("=", 1) for b in a.build]
    results: dict[str, dict[str, list[float]]] = {
        name: {
            k: []
            for k in (
                "n_wall",
                "n_cpu",
                "arrow1",
                "arrow1_cpu",
                "arrow20",
                "arrow20_cpu",
                "rss_start",
                "rss_browse0",
                "rss_browse20",
            )
        }
        for name, _t in builds
    }
    load0 = os.getloadavg()
    for r in range(a.rounds):
        for name, tree in builds if r % 2 == 0 else builds[::-1]:
            one_round(a, tree, results[name])
            print(f"round {r} {name}: n wall {results[name]['n_wall'][-a.presses :]}", flush=True)
    load1 = os.getloadavg()
    print(f"load average before {load0[0]:.2f} {load0[1]:.2f}, after {load1[0]:.2f} {load1[1]:.2f}")
    for name, res in results.items():
        med = {k: statistics.median(v) for k, v in res.items()}
        print(
            f"{name}: n to frame wall p50 {med['n_wall']:.1f} p95 {p95(res['n_wall']):.1f} ms, "
            f"CPU p50 {med['n_cpu']:.0f} ms | 1 arrow {med['arrow1']:.0f} ms "
            f"(CPU {med['arrow1_cpu']:.0f}), 20 arrows {med['arrow20']:.0f} ms p95 "
            f"{p95(res['arrow20']):.0f} (CPU {med['arrow20_cpu']:.0f}) | RSS start "
            f"{med['rss_start']:.0f} MiB, browsing {med['rss_browse0']:.0f} -> "
            f"{med['rss_browse20']:.0f} MiB after 20 n/p round trips"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
