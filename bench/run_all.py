"""The benchmark suite in one command: sessions-tui next to khal and calcurse, one table.

    python bench/run_all.py                 # our side at 1k, 10k and 100k events, 5 runs
    python bench/run_all.py --quick         # 1k and 10k, 3 runs: a few minutes
    python bench/run_all.py --peers         # + khal (PyPI, own venv) and calcurse (apt), to 10k
    python bench/run_all.py --peers --full  # + the peers at 100k (calcurse import ~6 min,
                                            #   khal import ~12 min: each timed once)

The practice (``bench/gen.py``) is generated once per size into the cache dir, as a database and
as an .ics file that every tool imports. Each comparison runs alternately (ours, khal, calcurse,
ours, ...) in one run, so all see the same machine load; the table shows medians and ratios
(peer ÷ ours: above 1 means we are faster). A tool whose first run of a measure takes longer than
``--slow-cap`` seconds is not repeated (calcurse's import is quadratic, khal's is slow).

What is measured (wall clock of whole processes unless said otherwise):

* import: the .ics into an empty store (ours: ``sessions-tui ics import`` into a database with one
  admin; khal: ``khal import --batch``; calcurse: ``calcurse -i``);
* one-week and one-month agenda: ours ``sessions-tui agenda --from 2026-11-22 --days 7|30`` on the
  generated database; ``khal list``; ``calcurse -Q`` on what they imported;
* ICS export of the whole practice: ``sessions-tui ics export``; ``calcurse -x ical`` (khal has
  no export);
* first paint of the week view: launch in a tmux pane until the week's title and the cursor are
  shown and "loading…" is gone, next to an empty Textual app launched the same way;
* next-week key to repaint (p50, p95): in-process Pilot, ``n`` until the new week is painted;
* peak memory (max RSS of the process, from ``wait4``) of the import and the one-week agenda;
* size on disk of each tool's store after the import (ours: also the generated database).

Results are printed and written to ``<cache-dir>/results/run-<time>.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen  # noqa: E402

NOW = gen.NOW
TZ = "America/Chicago"
WEEK_FROM = ("2026-11-22", "11/22/2026")  # ISO for us and khal, mm/dd/yyyy for calcurse
MONTH_FROM = ("2026-11-01", "11/01/2026")
KHAL_VENV_DEFAULT = Path(os.environ.get("SESSIONS_TUI_KHAL_VENV", "/tmp/sessions-tui-khal-venv"))

OURS, KHAL, CALCURSE, EMPTY = "sessions-tui", "khal", "calcurse", "empty Textual app"


# --- running and timing processes -----------------------------------------------------------


@dataclass
class Sample:
    seconds: float
    rss_mb: float
    lines: int


class RunFailed(RuntimeError):
    pass


def run(
    cmd: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    stdin: Path | None = None,
    stdout: Path | None = None,
    timeout: float = 3600,
) -> Sample:
    """Run ``cmd``; wall time and the peak RSS of that process alone (``os.wait4``)."""
    out_path = stdout or Path(tempfile.mktemp(prefix="bench-out-"))
    with open(out_path, "wb") as out, open(stdin or os.devnull, "rb") as inp:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd),
            stdin=inp,
            stdout=out,
            stderr=subprocess.PIPE,
            env={**os.environ, **(env or {})},
        )
        assert proc.stderr is not None
        err = proc.stderr.read()  # drained while it runs; these tools write little to stderr
        _pid, status, usage = os.wait4(proc.pid, 0)
        took = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
    with open(out_path, "rb") as produced:
        lines = sum(1 for _ in produced)
    if stdout is None:
        out_path.unlink()
    if proc.returncode != 0:
        msg = err.decode(errors="replace").strip().splitlines()[-3:]
        raise RunFailed(f"{cmd[0]} exited {proc.returncode}: {' | '.join(msg)}")
    if took > timeout:
        raise RunFailed(f"{cmd[0]} took {took:.0f} s")
    return Sample(took, usage.ru_maxrss / 1024, lines)


def dir_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def db_size(path: Path) -> int:
    return sum(
        Path(str(path) + s).stat().st_size
        for s in ("", "-wal", "-shm")
        if Path(str(path) + s).exists()
    )


# --- the tools ------------------------------------------------------------------------------


@dataclass
class Tool:
    """One calendar program's commands for each measure (``None``: it cannot do that)."""

    name: str
    prepare_import: Callable[[Path], None] | None = None
    import_cmd: Callable[[Path], list[str]] | None = None
    agenda_cmd: Callable[[int, bool], list[str]] | None = None  # (size, month?)
    export_cmd: Callable[[int, Path], list[str]] | None = None
    store: Callable[[], Path] | None = None
    env: dict[str, str] = field(default_factory=dict)


def ours(workdir: Path, practices: dict[int, gen.Practice]) -> Tool:
    exe = shutil.which("sessions-tui", path=str(Path(sys.executable).parent)) or "sessions-tui"
    template = workdir / "ours-empty.db"
    target = workdir / "ours-import.db"
    env = {"SESSIONS_TUI_NOW": NOW, "SESSIONS_TUI_CONFIG": str(workdir / "no-config.toml")}
    subprocess.run(
        [
            exe,
            "staff",
            "add",
            "admin",
            "--name",
            "Ada Admin",
            "--role",
            "admin",
            "--role",
            "practitioner",
            "--db",
            str(template),
        ],
        check=True,
        capture_output=True,
        env={**os.environ, **env},
    )

    def prepare(_ics: Path) -> None:
        for s in ("", "-wal", "-shm"):
            Path(str(target) + s).unlink(missing_ok=True)
        shutil.copyfile(template, target)

    def agenda(size: int, month: bool) -> list[str]:
        first = MONTH_FROM[0] if month else WEEK_FROM[0]
        return [
            exe,
            "agenda",
            "--from",
            first,
            "--days",
            "30" if month else "7",
            "--db",
            str(practices[size].db),
            "--user",
            "admin",
            "--tz",
            TZ,
        ]

    return Tool(
        OURS,
        prepare_import=prepare,
        import_cmd=lambda ics: [
            exe,
            "ics",
            "import",
            str(ics),
            "--practitioner",
            "admin",
            "--db",
            str(target),
            "--user",
            "admin",
            "--tz",
            TZ,
        ],
        agenda_cmd=agenda,
        export_cmd=lambda size, out: [
            exe,
            "ics",
            "export",
            "-o",
            str(out),
            "--db",
            str(practices[size].db),
            "--user",
            "admin",
        ],
        store=lambda: target,
        env=env,
    )


def khal(workdir: Path, exe: Path) -> Tool:
    cal, conf, db = workdir / "khal-cal", workdir / "khal.conf", workdir / "khal.db"
    conf.write_text(
        f"[calendars]\n[[practice]]\npath = {cal}\n"
        f"[locale]\nlocal_timezone = {TZ}\ndefault_timezone = {TZ}\ntimeformat = %H:%M\n"
        "dateformat = %Y-%m-%d\nlongdateformat = %Y-%m-%d\n"
        "datetimeformat = %Y-%m-%d %H:%M\nlongdatetimeformat = %Y-%m-%d %H:%M\n"
        f"[sqlite]\npath = {db}\n"
    )

    def prepare(_ics: Path) -> None:
        shutil.rmtree(cal, ignore_errors=True)
        db.unlink(missing_ok=True)
        cal.mkdir()

    def agenda(_size: int, month: bool) -> list[str]:
        first = MONTH_FROM[0] if month else WEEK_FROM[0]
        return [str(exe), "-c", str(conf), "list", first, "30d" if month else "7d"]

    def store() -> Path:
        return workdir  # vdir + sqlite cache, measured below

    return Tool(
        KHAL,
        prepare_import=prepare,
        import_cmd=lambda ics: [
            str(exe),
            "-c",
            str(conf),
            "import",
            "--batch",
            "-a",
            "practice",
            str(ics),
        ],
        agenda_cmd=agenda,
        store=store,
        env={"HOME": str(workdir), "TZ": TZ},
    )


def calcurse(workdir: Path, exe: str) -> Tool:
    data = workdir / "calcurse"

    def prepare(_ics: Path) -> None:
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir()

    def agenda(_size: int, month: bool) -> list[str]:
        first = MONTH_FROM[1] if month else WEEK_FROM[1]
        return [exe, "-D", str(data), "-Q", "--from", first, "--days", "30" if month else "7"]

    return Tool(
        CALCURSE,
        prepare_import=prepare,
        import_cmd=lambda ics: [exe, "-D", str(data), "-i", str(ics)],
        agenda_cmd=agenda,
        export_cmd=lambda _size, _out: [exe, "-D", str(data), "--export=ical"],
        store=lambda: data,
        env={"TZ": TZ, "HOME": str(workdir)},
    )


def khal_store_size(workdir: Path) -> int:
    return dir_size(workdir / "khal-cal") + db_size(workdir / "khal.db")


# --- installing the peers -------------------------------------------------------------------


def install_khal(cache_dir: Path) -> Path | None:
    for venv in (KHAL_VENV_DEFAULT, cache_dir / "khal-venv"):
        if (venv / "bin" / "khal").exists():
            return venv / "bin" / "khal"
    venv = cache_dir / "khal-venv"
    print(f"installing khal from PyPI into {venv} ...", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    done = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "khal"], capture_output=True, text=True
    )
    if done.returncode != 0:
        print(f"khal could not be installed: {done.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    return venv / "bin" / "khal"


def install_calcurse() -> str | None:
    found = shutil.which("calcurse")
    if found:
        return found
    prefix = [] if os.geteuid() == 0 else (["sudo"] if shutil.which("sudo") else None)
    if prefix is None:
        print("calcurse is not installed and there is no sudo; skipping it", file=sys.stderr)
        return None
    print("installing calcurse with apt-get ...", file=sys.stderr, flush=True)
    subprocess.run(
        [*prefix, "apt-get", "install", "-y", "calcurse"], check=False, capture_output=True
    )
    return shutil.which("calcurse")


# --- the measures ---------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the table: a measure at one size, values per tool."""

    measure: str
    size: int
    unit: str  # "s", "ms", "MB"
    values: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    runs: dict[str, int] = field(default_factory=dict)


def alternate(
    tools: Sequence[Tool], runs: int, slow_cap: float, body: Callable[[Tool], Sample]
) -> dict[str, list[Sample]]:
    """``runs`` rounds of A B C ...; a tool slower than ``slow_cap`` on its first go runs once."""
    samples: dict[str, list[Sample]] = {t.name: [] for t in tools}
    failed: set[str] = set()
    for n in range(runs):
        for tool in tools:
            if tool.name in failed:
                continue
            if n > 0 and samples[tool.name] and samples[tool.name][0].seconds > slow_cap:
                continue
            try:
                samples[tool.name].append(body(tool))
            except RunFailed as exc:
                print(f"  {tool.name}: {exc}", file=sys.stderr)
                failed.add(tool.name)
    return {k: v for k, v in samples.items() if v}


def med(samples: list[Sample], attr: str = "seconds") -> float:
    return statistics.median(getattr(s, attr) for s in samples)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def progress(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def measure_size(
    p: gen.Practice, tools: list[Tool], args: argparse.Namespace, workdir: Path
) -> list[Row]:
    rows: list[Row] = []
    size = p.size
    runs = args.runs

    # Import (also leaves each tool's store for the agenda measures).
    importers = [t for t in tools if t.import_cmd]
    progress(f"{size}: import ({', '.join(t.name for t in importers)})")

    def do_import(t: Tool) -> Sample:
        assert t.prepare_import
        assert t.import_cmd
        t.prepare_import(p.ics)
        return run(t.import_cmd(p.ics), env=t.env)

    res = alternate(importers, runs, args.slow_cap, do_import)
    rows.append(_row("import .ics", size, "s", res, "seconds"))
    rows.append(_row("peak memory, import", size, "MB", res, "rss_mb"))
    sizes = Row("store size after import", size, "MB")
    for t in importers:
        if t.name in res and t.store:
            b = (
                khal_store_size(workdir)
                if t.name == KHAL
                else (db_size(t.store()) if t.name == OURS else dir_size(t.store()))
            )
            sizes.values[t.name] = b / 1e6
    rows.append(sizes)
    ours_db = Row("generated database size", size, "MB", {OURS: db_size(p.db) / 1e6})
    rows.append(ours_db)

    # Agendas, on what each tool has.
    listers = [t for t in tools if t.agenda_cmd and (t.name == OURS or t.name in res)]
    for month in (False, True):
        label = "one-month agenda" if month else "one-week agenda"
        progress(f"{size}: {label}")
        for t in listers:  # warm-up, untimed: page cache, .pyc files
            assert t.agenda_cmd
            try:
                run(t.agenda_cmd(size, month), env=t.env)
            except RunFailed as exc:
                print(f"  {t.name}: {exc}", file=sys.stderr)

        def do_list(t: Tool, month: bool = month) -> Sample:
            assert t.agenda_cmd
            return run(t.agenda_cmd(size, month), env=t.env)

        res_l = alternate(listers, runs, args.slow_cap, do_list)
        r = _row(label + " (process)", size, "s", res_l, "seconds")
        r.notes.append("lines " + ", ".join(f"{k} {v[0].lines}" for k, v in res_l.items()))
        rows.append(r)
        if not month:
            rows.append(_row("peak memory, one-week agenda", size, "MB", res_l, "rss_mb"))

    # Export.
    exporters = [t for t in tools if t.export_cmd and (t.name == OURS or t.name in res)]
    progress(f"{size}: export")
    out = workdir / "export.ics"

    def do_export(t: Tool) -> Sample:
        assert t.export_cmd
        cmd = t.export_cmd(size, out)
        return run(cmd, env=t.env, stdout=None if t.name == OURS else out)

    res_e = alternate(exporters, runs, args.slow_cap, do_export)
    r = _row("ICS export, whole practice (process)", size, "s", res_e, "seconds")
    rows.append(r)

    # The TUI (ours only, next to an empty Textual app).
    if not args.no_tui:
        rows.extend(measure_tui(p, args, workdir))
    return rows


def _row(measure: str, size: int, unit: str, res: dict[str, list[Sample]], attr: str) -> Row:
    row = Row(measure, size, unit)
    for name, samples in res.items():
        row.values[name] = med(samples, attr)
        row.runs[name] = len(samples)
    return row


class Tmux:
    """A private tmux server (own socket) kept alive by an idle session while we measure, so
    each launch pays for a new window, not for a server start."""

    def __init__(self) -> None:
        self.socket = f"sessions-bench-{os.getpid()}"
        self.cmd = ["tmux", "-L", self.socket]
        subprocess.run([*self.cmd, "new-session", "-d", "-s", "keeper", "sleep 86400"], check=True)

    def launch(self, command: str, ready: list[str], absent: list[str], name: str) -> float:
        """Seconds from starting ``command`` in a new 100x32 session until the pane shows all of
        ``ready`` and none of ``absent``."""
        env = f"TERM=xterm-256color SESSIONS_TUI_NOW={NOW}"
        t0 = time.perf_counter()
        subprocess.run(
            [
                *self.cmd,
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
            while time.perf_counter() - t0 < 60:
                screen = subprocess.run(
                    [*self.cmd, "capture-pane", "-p", "-t", name], capture_output=True, text=True
                ).stdout
                if all(r in screen for r in ready) and not any(a in screen for a in absent):
                    return time.perf_counter() - t0
                time.sleep(0.005)
            raise RunFailed(f"{name}: not ready after 60 s; screen:\n{screen}")
        finally:
            subprocess.run([*self.cmd, "kill-session", "-t", name], check=False)

    def close(self) -> None:
        subprocess.run([*self.cmd, "kill-server"], check=False, capture_output=True)


def measure_tui(p: gen.Practice, args: argparse.Namespace, workdir: Path) -> list[Row]:
    import bench_views

    rows: list[Row] = []
    if shutil.which("tmux"):
        progress(f"{p.size}: first paint (tmux)")
        script = workdir / "empty_app.py"
        script.write_text(bench_views.EMPTY_APP, encoding="utf-8")
        exe = sys.executable
        empty: list[float] = []
        week: list[float] = []
        cmd = (
            f"SESSIONS_TUI_CONFIG={workdir / 'no-config.toml'} {exe} -m sessions_tui "
            f"--db {p.db} --user admin --tz {TZ}"
        )
        ready = ["Nov 22 – 28, 2026", "▶10:00"]
        tmux = Tmux()
        try:
            tmux.launch(cmd, ready, ["loading…"], "warm")
            for n in range(args.runs):
                empty.append(tmux.launch(f"{exe} {script}", ["EMPTY-READY"], [], f"e{n}"))
                week.append(tmux.launch(cmd, ready, ["loading…"], f"w{n}"))
        except RunFailed as exc:
            print(f"first paint failed: {exc}", file=sys.stderr)
        finally:
            tmux.close()
        if week:
            rows.append(
                Row(
                    "first paint, week view (tmux)",
                    p.size,
                    "s",
                    {OURS: statistics.median(week), EMPTY: statistics.median(empty)},
                    runs={OURS: len(week), EMPTY: len(empty)},
                )
            )
    else:
        print("tmux not found: first paint skipped", file=sys.stderr)
    progress(f"{p.size}: next-week repaint ({args.presses} presses)")
    code = (
        f"import asyncio, json, sys; sys.path.insert(0, {str(HERE)!r}); import bench_views; "
        f"print(json.dumps(asyncio.run(bench_views.navigation({str(p.db)!r}, 'admin', "
        f"{args.presses}))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "SESSIONS_TUI_CONFIG": str(workdir / "nc.toml")},
    )
    if done.returncode == 0:
        times = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(
            Row(
                "next-week key to repaint p50",
                p.size,
                "ms",
                {OURS: statistics.median(times) * 1000},
                runs={OURS: len(times)},
            )
        )
        rows.append(
            Row(
                "next-week key to repaint p95",
                p.size,
                "ms",
                {OURS: p95(times) * 1000},
                runs={OURS: len(times)},
            )
        )
    else:
        print(f"navigation failed: {done.stderr.strip()[-400:]}", file=sys.stderr)
    return rows


# --- the table ------------------------------------------------------------------------------


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"
    if unit == "ms":
        return f"{value:.1f} ms"
    return f"{value:.1f} MB"


def ratio(peer: float | None, mine: float | None) -> str:
    if peer is None or mine is None or mine == 0:
        return "–"
    return f"{peer / mine:.2f}x"


def table(rows: list[Row]) -> str:
    head = [
        "measure",
        "events",
        OURS,
        KHAL,
        CALCURSE,
        "khal÷ours",
        "calcurse÷ours",
        "ours÷empty app",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * 6) + "|"]
    for r in rows:
        v = r.values
        mine = v.get(OURS)
        cells = [
            r.measure,
            f"{r.size:,}",
            fmt(mine, r.unit),
            fmt(v.get(KHAL), r.unit) + ("¹" if r.runs.get(KHAL) == 1 and r.unit == "s" else ""),
            fmt(v.get(CALCURSE), r.unit)
            + ("¹" if r.runs.get(CALCURSE) == 1 and r.unit == "s" else ""),
            ratio(v.get(KHAL), mine),
            ratio(v.get(CALCURSE), mine),
            (
                f"{mine / v[EMPTY]:.2f}x (empty {fmt(v[EMPTY], r.unit)})"
                if EMPTY in v and mine
                else "–"
            ),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {sys.version.split()[0]}, "
        f"load average at start {load:.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", help="comma-separated event counts (default 1000,10000,100000)")
    parser.add_argument("--runs", type=int, help="runs per measure (default 5; --quick 3)")
    parser.add_argument("--quick", action="store_true", help="1k and 10k only, 3 runs")
    parser.add_argument("--peers", action="store_true", help="also khal and calcurse (to 10k)")
    parser.add_argument("--full", action="store_true", help="the peers at 100k too (slow)")
    parser.add_argument("--no-tui", action="store_true", help="skip first paint and repaint")
    parser.add_argument("--presses", type=int, default=40, help="next-week presses")
    parser.add_argument(
        "--slow-cap",
        type=float,
        default=60.0,
        help="a tool whose first run takes longer runs once (seconds)",
    )
    parser.add_argument("--cache-dir", type=Path, default=gen.default_cache_dir())
    args = parser.parse_args(argv)
    if args.full:
        args.peers = True
    sizes = [
        int(s)
        for s in (args.sizes or ("1000,10000" if args.quick else "1000,10000,100000")).split(",")
        if s
    ]
    args.runs = args.runs or (3 if args.quick else 5)
    cache: Path = args.cache_dir
    cache.mkdir(parents=True, exist_ok=True)

    khal_exe = install_khal(cache) if args.peers else None
    calcurse_exe = install_calcurse() if args.peers else None

    practices = {}
    for size in sizes:
        progress(f"{size}: generating (cached after the first time)")
        practices[size] = gen.ensure(size, cache)

    started = time.strftime("%Y-%m-%d %H:%M")
    header = f"sessions-tui benchmark suite, {started}; {machine()}"
    print(header, flush=True)
    rows: list[Row] = []
    for size in sizes:
        workdir = Path(tempfile.mkdtemp(prefix=f"bench-{size}-", dir=cache))
        tools = [ours(workdir, practices)]
        if args.peers and (size < 100_000 or args.full):
            if khal_exe:
                tools.append(khal(workdir, khal_exe))
            if calcurse_exe:
                tools.append(calcurse(workdir, calcurse_exe))
        rows.extend(measure_size(practices[size], tools, args, workdir))
        shutil.rmtree(workdir, ignore_errors=True)
    text = table(rows)
    notes = (
        f"\nMedians of {args.runs} alternating runs; ¹ timed once (first run over "
        f"{args.slow_cap:.0f} s). Ratios peer÷ours: above 1 means sessions-tui is faster/smaller."
    )
    print()
    print(text)
    print(notes)
    for r in rows:
        if r.notes:
            print(f"  {r.measure} @ {r.size:,}: {'; '.join(r.notes)}")
    out_dir = cache / "results"
    out_dir.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out_dir / f"run-{stamp}.md").write_text(f"{header}\n\n{text}\n{notes}\n")
    (out_dir / f"run-{stamp}.json").write_text(
        json.dumps(
            {
                "header": header,
                "args": {k: str(v) for k, v in vars(args).items()},
                "rows": [vars(r) for r in rows],
            },
            indent=1,
        )
    )
    print(f"\nwritten to {out_dir / f'run-{stamp}.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
