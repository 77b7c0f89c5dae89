"""Performance as users feel it: whole processes and the terminal, next to calcurse and khal.

    nice -n 19 python bench/run_all.py --peers                 # 1k and 10k, ours + peers
    nice -n 19 python bench/run_all.py --peers --sizes 1000,10000,100000 --peer-sizes 1000,10000
    nice -n 19 python bench/run_all.py --sizes 1000,1000000 --no-tui   # flatness at 1M

Data: the shared generator (``bench/gen_ics.py``, a copy of ``../shared/bench/gen_ics.py``):
``gen_ics.py N OUT.ics --seed 42``, a year (2026) of eight practitioners in America/Chicago. The
same file is imported by every tool, and each one's agenda then runs on what it imported:

* import: ``sessions-tui ics import FILE --practitioner <login>`` into a database holding one
  admin, the OS login running the bench; ``khal import --batch``; ``calcurse -i`` (wall time
  and peak RSS of the process);
* one-week / one-month agenda, text and JSON: ``sessions-tui agenda --from 2026-11-22 --days 7``
  (``--from 2026-11-01 --days 30``; ``--format json``); ``khal list``; ``calcurse -Q``. The
  peers have no JSON output (khal 0.10 has no ``--json``), so the JSON rows are compared with
  their text output of the same round;
* a sparse week (2027-06-06, after the data: nothing to show at any size), for "flat in the
  size of the practice": its cost at the largest size over its cost at 1k;
* first paint: launch in a private tmux server until the whole week frame shows (title, the
  slot cursor, events, the key bar, no "loading…"), next to an empty Textual app
  (``bench/hello_textual.py``) launched the same way, alternately; then the peak RSS of each
  (VmHWM of the pane's processes, 1 s after the paint);
* key to frame: ``n`` sent through tmux until the next week's complete frame is captured (the
  header shows the next Sunday, the title changed, no "loading…"), ``--presses`` times.

Every measure alternates the tools (ours, khal, calcurse, ours, ...) within one run; the load
average is recorded next to each measure. The output is the issue's table for this tree, then
each goal of issue 18 with the measured ratio. Written to ``<cache>/results/run-<time>.{md,json}``.
Run it under ``nice -n 19`` on a shared machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sessions_tui.domain.periods import range_title

HERE = Path(__file__).resolve().parent
GEN_ICS = HERE / "gen_ics.py"
EMPTY_APP = HERE / "hello_textual.py"
SEED = 42
TZ = "America/Chicago"
NOW = "2026-11-25T16:30:00Z"  # Wednesday 10:30 in Chicago: the week of Nov 22
# Issue 29's week (a dense mid-year one); ISO for us and khal, mm/dd/yyyy for calcurse.
WEEK = ("2026-06-08", "06/08/2026", 7)
MONTH = ("2026-06-01", "06/01/2026", 30)
SPARSE = ("2027-06-06", "06/06/2027", 7)  # after the generated year: nothing at any size
TITLE = "Nov 22 – 28, 2026"
CURSOR = "▶10:30"

LOGIN = pwd.getpwuid(os.getuid()).pw_name
"""The practice's admin and practitioner: the OS login running the bench (the CLI acts as the
OS login; ``--user`` naming anyone else is refused)."""

OURS, KHAL, CALCURSE, EMPTY = "sessions-tui", "khal", "calcurse", "empty Textual app"
PYTHON = "python -c pass"
"""The floor of any Python command: this interpreter (the venv's, with its site) doing nothing."""
FLOOR = "SQLite floor"
"""A raw ``executemany`` of the imported rows, every trigger and index (bench/sqlite_floor.py)."""
HERE_FLOOR = HERE / "sqlite_floor.py"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sessions-tui-bench"


def progress(msg: str) -> None:
    load = os.getloadavg()[0]
    print(f"[{time.strftime('%H:%M:%S')} load {load:.1f}] {msg}", file=sys.stderr, flush=True)


# --- running processes ----------------------------------------------------------------------


@dataclass
class Sample:
    seconds: float  # wall clock, as a user waits
    rss_mib: float
    lines: int
    cpu: float = 0.0  # user + system seconds: much less sensitive to the machine's load


class RunFailed(RuntimeError):
    pass


TIME = shutil.which("time", path="/usr/bin:/bin")
RSS_MARK = "BENCH_MAXRSS_KB="


def run(cmd: Sequence[str], env: dict[str, str], stdout: Path | None = None) -> Sample:
    """Wall time, CPU time and peak RSS of one whole process.

    The peak comes from ``/usr/bin/time -f %M`` when it is installed: a child's ``ru_maxrss``
    includes the pages it shared with its parent before ``exec``, so read through ``wait4`` here
    it could not go below this script's own size (~20 MiB); ``time`` is a small parent."""
    if TIME:
        cmd = [TIME, "-f", f"{RSS_MARK}%M", *cmd]
    out_path = stdout or Path(tempfile.mktemp(prefix="bench-out-"))
    with open(out_path, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.PIPE,
            env={**os.environ, **env},
        )
        assert proc.stderr is not None
        err = proc.stderr.read()
        _pid, status, usage = os.wait4(proc.pid, 0)
        took = time.perf_counter() - t0
    with open(out_path, "rb") as produced:
        lines = sum(1 for _ in produced)
    if stdout is None:
        out_path.unlink()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        said = err.decode(errors="replace").strip().splitlines()
        tail = [line for line in said if not line.startswith(RSS_MARK)][-3:]
        raise RunFailed(f"{cmd[0]} exited {code}: {' | '.join(tail)}")
    rss_kb = float(usage.ru_maxrss)
    for line in reversed(err.decode(errors="replace").splitlines()):
        if line.startswith(RSS_MARK):
            rss_kb = float(line[len(RSS_MARK) :])
            break
    return Sample(took, rss_kb / 1024, lines, usage.ru_utime + usage.ru_stime)


def dir_size(path: Path) -> int:
    if not path.exists():
        return 0
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --- the tools ------------------------------------------------------------------------------


@dataclass
class Tool:
    name: str
    prepare: Callable[[], None]
    import_cmd: Callable[[Path], list[str]]
    agenda_cmd: Callable[[tuple[str, str, int], bool], list[str] | None]  # (period, json?)
    store: Callable[[], Path]
    env: dict[str, str] = field(default_factory=dict)


def ours(workdir: Path) -> Tool:
    exe = shutil.which("sessions-tui", path=str(Path(sys.executable).parent)) or "sessions-tui"
    template, db = workdir / "ours-empty.db", workdir / "ours.db"
    env = {"SESSIONS_TUI_NOW": NOW, "SESSIONS_TUI_CONFIG": str(workdir / "no-config.toml")}
    for var in ("SESSIONS_TUI_DB", "SESSIONS_TUI_USER", "SESSIONS_TUI_TZ"):
        os.environ.pop(var, None)
    os.environ.pop("SESSIONS_TUI_NO_FAST_READ", None)
    roles = ["--role", "admin", "--role", "practitioner"]
    subprocess.run(  # the OS login is the actor (issue 15): the practice's admin is this login
        [exe, "staff", "add", LOGIN, "--name", "Ada Admin", *roles, "--db", str(template)],
        check=True,
        capture_output=True,
        env={**os.environ, **env},
    )

    def prepare() -> None:
        for s in ("", "-wal", "-shm"):
            Path(f"{db}{s}").unlink(missing_ok=True)
        shutil.copyfile(template, db)

    def agenda(period: tuple[str, str, int], as_json: bool) -> list[str]:
        cmd = [exe, "agenda", "--from", period[0], "--days", str(period[2]), "--db", str(db)]
        cmd += ["--user", LOGIN, "--tz", TZ]
        return cmd + (["--format", "json"] if as_json else [])

    return Tool(
        OURS,
        prepare,
        lambda ics: [
            *(exe, "ics", "import", str(ics), "--practitioner", LOGIN),
            *("--db", str(db), "--user", LOGIN, "--tz", TZ),
        ],
        agenda,
        lambda: db,
        env,
    )


def khal(workdir: Path, exe: str) -> Tool:
    cal, conf, db = workdir / "khal-cal", workdir / "khal.conf", workdir / "khal.db"
    conf.write_text(
        f"[calendars]\n[[practice]]\npath = {cal}\n"
        f"[locale]\nlocal_timezone = {TZ}\ndefault_timezone = {TZ}\ntimeformat = %H:%M\n"
        "dateformat = %Y-%m-%d\nlongdateformat = %Y-%m-%d\n"
        "datetimeformat = %Y-%m-%d %H:%M\nlongdatetimeformat = %Y-%m-%d %H:%M\n"
        f"[sqlite]\npath = {db}\n"
    )

    def prepare() -> None:
        shutil.rmtree(cal, ignore_errors=True)
        db.unlink(missing_ok=True)
        cal.mkdir()

    def agenda(period: tuple[str, str, int], as_json: bool) -> list[str] | None:
        if as_json:
            return None
        return [exe, "-c", str(conf), "list", period[0], f"{period[2]}d"]

    return Tool(
        KHAL,
        prepare,
        lambda ics: [exe, "-c", str(conf), "import", "--batch", "-a", "practice", str(ics)],
        agenda,
        lambda: workdir / "khal-store",
        {"HOME": str(workdir), "TZ": TZ},
    )


def calcurse(workdir: Path, exe: str) -> Tool:
    data = workdir / "calcurse"

    def prepare() -> None:
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir()

    def agenda(period: tuple[str, str, int], as_json: bool) -> list[str] | None:
        if as_json:
            return None
        return [exe, "-D", str(data), "-Q", "--from", period[1], "--days", str(period[2])]

    return Tool(
        CALCURSE,
        prepare,
        lambda ics: [exe, "-D", str(data), "-i", str(ics)],
        agenda,
        lambda: data,
        {"HOME": str(workdir), "TZ": TZ},
    )


def ours_tool(tools: list[Tool]) -> Tool:
    return next(t for t in tools if t.name == OURS)


def store_size(tool: Tool, workdir: Path) -> float:
    if tool.name == KHAL:
        return (dir_size(workdir / "khal-cal") + dir_size(workdir / "khal.db")) / 2**20
    path = tool.store()
    extra = [Path(f"{path}-wal")] if tool.name == OURS else []
    return (dir_size(path) + sum(dir_size(p) for p in extra)) / 2**20


def find_khal() -> str | None:
    return shutil.which("khal") or next(
        (
            str(p)
            for p in (Path("/tmp/sessions-tui-khal-venv/bin/khal"),)
            if p.exists()  # the ICS tests' own khal
        ),
        None,
    )


def bytecode() -> None:
    """Measure what an installed copy costs: with ``PYTHONDONTWRITEBYTECODE`` set (as on the
    project's machines) an editable install never caches bytecode, and every run would compile
    the package's modules again (~25 ms of an agenda, more for the calendar). Compile them once
    here; the measured processes may then write what is still missing."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    import importlib.util

    spec = importlib.util.find_spec("sessions_tui")
    if spec is not None and spec.submodule_search_locations:
        for where in spec.submodule_search_locations:
            subprocess.run([sys.executable, "-m", "compileall", "-q", where], check=False)


# --- the data -------------------------------------------------------------------------------


def ensure_ics(size: int, cache: Path) -> Path:
    """``gen_ics.py size`` with the seed, generated once per size into the cache."""
    out = cache / "ics" / f"practice-{size}-seed{SEED}.ics"
    if out.exists() and out.stat().st_size > 0:
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    progress(f"{size}: generating {out.name} (once)")
    tmp = out.with_suffix(".part")
    subprocess.run(
        [sys.executable, str(GEN_ICS), str(size), str(tmp), "--seed", str(SEED)], check=True
    )
    tmp.rename(out)
    return out


# --- measures -------------------------------------------------------------------------------


@dataclass
class Row:
    measure: str
    size: int
    unit: str  # "s", "ms", "MiB", "x"
    values: dict[str, float] = field(default_factory=dict)
    runs: dict[str, int] = field(default_factory=dict)
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average at start and end
    note: str = ""
    cpu: dict[str, float] = field(default_factory=dict)  # median user+sys s (process rows)


def alternate(
    jobs: dict[str, Callable[[], Sample]], runs: int, slow_cap: float
) -> dict[str, list[Sample]]:
    """``runs`` rounds of every job in turn; a job slower than ``slow_cap`` on its first go
    runs only once; a failing job is dropped with its message."""
    got: dict[str, list[Sample]] = {k: [] for k in jobs}
    dead: set[str] = set()
    for n in range(runs):
        for name, job in jobs.items():
            if name in dead or (n and got[name] and got[name][0].seconds > slow_cap):
                continue
            try:
                got[name].append(job())
            except RunFailed as exc:
                print(f"  {name}: {exc}", file=sys.stderr)
                dead.add(name)
    return {k: v for k, v in got.items() if v}


def row_from(
    measure: str, size: int, res: dict[str, list[Sample]], keys: dict[str, str], attr: str
) -> Row:
    """A table row: for each column name, the median of the samples of job ``keys[column]``."""
    unit = "MiB" if attr == "rss_mib" else "s"
    row = Row(measure, size, unit)
    for column, job in keys.items():
        if job in res:
            row.values[column] = statistics.median(getattr(s, attr) for s in res[job])
            row.runs[column] = len(res[job])
            if attr == "seconds":
                row.cpu[column] = statistics.median(s.cpu for s in res[job])
    return row


def measure_cli(size: int, ics: Path, tools: list[Tool], args: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    progress(f"{size}: import ({', '.join(t.name for t in tools)})")
    load0 = os.getloadavg()[0]

    def importer(t: Tool) -> Callable[[], Sample]:
        def job() -> Sample:
            t.prepare()
            return run(t.import_cmd(ics), t.env)

        return job

    res = alternate({t.name: importer(t) for t in tools}, args.import_runs, args.slow_cap)
    load = (load0, os.getloadavg()[0])
    names = {t.name: t.name for t in tools}
    for measure, attr in (("import", "seconds"), ("peak memory, import", "rss_mib")):
        r = row_from(measure, size, res, names, attr)
        r.load = load
        rows.append(r)
    sizes = Row("store on disk after import", size, "MiB", load=load)
    for t in tools:
        if t.name in res:
            sizes.values[t.name] = store_size(t, Path(t.store()).parent)
    rows.append(sizes)
    alive = [t for t in tools if t.name in res]
    imported = rows[0] if rows and OURS in res else None
    if imported is not None:
        # SQLite's own work for the same rows: what is left of the import once Python is out.
        db = Path(ours_tool(tools).store())
        cmd = [sys.executable, str(HERE_FLOOR), str(db), str(db.with_name("ours-empty.db"))]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode == 0:
            got = dict(kv.split("=") for kv in done.stdout.split())
            imported.values[FLOOR] = float(got["wall_s"])
            imported.cpu[FLOOR] = float(got["cpu_s"])
            imported.runs[FLOOR] = 1
        else:
            print(f"  {FLOOR}: {done.stderr.strip()[-200:]}", file=sys.stderr)

    periods = [("one week", WEEK), ("one month", MONTH), ("sparse week", SPARSE)]
    for label, period in periods:
        progress(f"{size}: {label} agenda")
        jobs: dict[str, Callable[[], Sample]] = {}
        for t in alive:
            for as_json in (False, True) if period is not SPARSE else (False,):
                cmd = t.agenda_cmd(period, as_json)
                if cmd is None:
                    continue
                jobs[f"{t.name}{' json' if as_json else ''}"] = lambda cmd=cmd, env=t.env: run(
                    cmd, env
                )
        if period is WEEK:  # the floor of any Python command, in the same alternation
            jobs[PYTHON] = lambda: run([sys.executable, "-c", "pass"], {})
        for job in jobs.values():  # warm-up, untimed: page cache, .pyc files
            with contextlib.suppress(RunFailed):
                job()
        load0 = os.getloadavg()[0]
        res_l = alternate(jobs, args.runs, args.slow_cap)
        load = (load0, os.getloadavg()[0])
        lines = ", ".join(f"{k} {v[0].lines}" for k, v in res_l.items())
        for fmt in ("text", "JSON") if period is not SPARSE else ("text",):
            suffix = " json" if fmt == "JSON" else ""
            keys = {OURS: OURS + suffix, KHAL: KHAL, CALCURSE: CALCURSE, PYTHON: PYTHON}
            r = row_from(f"{label}, {fmt}", size, res_l, keys, "seconds")
            r.load, r.note = load, f"lines: {lines}"
            rows.append(r)
        if period is WEEK:
            r = row_from("peak memory, one week", size, res_l, names, "rss_mib")
            r.load = load
            rows.append(r)
    return rows


def measure_start(args: argparse.Namespace, khal_exe: str | None, calcurse_exe: str | None) -> Row:
    """``--version`` of each tool next to ``python -c pass``, alternating: start-up alone."""
    progress("start-up: --version")
    exe = shutil.which("sessions-tui", path=str(Path(sys.executable).parent)) or "sessions-tui"
    cmds = {OURS: [exe, "--version"], PYTHON: [sys.executable, "-c", "pass"]}
    if khal_exe:
        cmds[KHAL] = [khal_exe, "--version"]
    if calcurse_exe:
        cmds[CALCURSE] = [calcurse_exe, "--version"]
    jobs: dict[str, Callable[[], Sample]] = {
        k: (lambda cmd=cmd: run(cmd, {})) for k, cmd in cmds.items()
    }
    for job in jobs.values():  # warm-up, untimed
        with contextlib.suppress(RunFailed):
            job()
    load0 = os.getloadavg()[0]
    res = alternate(jobs, max(args.runs, 11), args.slow_cap)
    row = row_from("--version", 0, res, {k: k for k in cmds}, "seconds")
    row.load = (load0, os.getloadavg()[0])
    return row


# --- the terminal ---------------------------------------------------------------------------


class Tmux:
    """A private tmux server (own socket, no config); an idle session keeps it up, so a launch
    pays for a new pane, not for a server start."""

    def __init__(self, width: int = 120, height: int = 40) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="bench-tmux-"))
        self.cmd = ["tmux", "-S", str(self.dir / "sock"), "-f", "/dev/null"]
        self.size = ["-x", str(width), "-y", str(height)]
        subprocess.run([*self.cmd, "new-session", "-d", "-s", "idle", *self.size, "sleep 86400"])

    def capture(self, name: str) -> str:
        return subprocess.run(
            [*self.cmd, "capture-pane", "-p", "-t", name], capture_output=True, text=True
        ).stdout

    def start(self, name: str, command: str) -> float:
        t0 = time.perf_counter()
        new = [*self.cmd, "new-session", "-d", "-s", name, *self.size, command]
        subprocess.run(new, check=True)
        return t0

    def wait(
        self, name: str, t0: float, ready: Callable[[str], bool], timeout: float = 60
    ) -> float:
        while True:
            screen = self.capture(name)
            now = time.perf_counter()
            if ready(screen):
                return now - t0
            if now - t0 > timeout:
                raise RunFailed(f"{name}: no complete frame in {timeout:.0f} s:\n{screen}")
            time.sleep(0.002)

    def peak_rss_mib(self, name: str) -> float:
        """Largest VmHWM among the pane's process and its descendants."""
        out = subprocess.run(
            [*self.cmd, "display-message", "-p", "-t", name, "#{pane_pid}"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        if not out:
            return float("nan")
        kids: dict[int, list[int]] = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    stat = Path(f"/proc/{d}/stat").read_text()
                    kids.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(d))
                except OSError:
                    pass
        best, todo = 0.0, [int(out)]
        while todo:
            pid = todo.pop()
            todo += kids.get(pid, [])
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        best = max(best, int(line.split()[1]) / 1024)
            except OSError:
                pass
        return best

    def stop(self, name: str) -> None:
        subprocess.run([*self.cmd, "kill-session", "-t", name], capture_output=True)

    def close(self) -> None:
        subprocess.run([*self.cmd, "kill-server"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def week_frame(screen: str) -> bool:
    """The opening week, whole: title, header, slot cursor, events, legend, the key bar, and
    no "loading…"."""
    # Ada's letter in the legend comes from her login (the OS login running the bench: "A" for
    # admin, "R" for root), so it is read off the legend.
    legend = re.search(r"(\S) Ada Admin", screen)
    return (
        TITLE in screen
        and CURSOR in screen
        and "│Sun 22" in screen
        and legend is not None  # the legend
        and f"│{legend.group(1)}" in screen  # an event of Ada's at a cell's left edge
        and "n Next" in screen
        and "loading…" not in screen
    )


def measure_tui(size: int, db: Path, workdir: Path, args: argparse.Namespace) -> list[Row]:
    exe = shutil.which("sessions-tui", path=str(Path(sys.executable).parent)) or "sessions-tui"
    env = f"TERM=xterm-256color TZ={TZ} SESSIONS_TUI_NOW={NOW} "
    env += f"SESSIONS_TUI_CONFIG={workdir / 'no-config.toml'}"
    app = f"{env} {exe} --db {db} --user {LOGIN} --tz {TZ}"
    empty = f"TERM=xterm-256color {sys.executable} {EMPTY_APP}"
    rows: list[Row] = []
    tmux = Tmux()
    try:
        progress(f"{size}: first paint ({args.launches} launches each, alternating)")
        load0 = os.getloadavg()[0]
        paint: dict[str, list[float]] = {OURS: [], EMPTY: []}
        rss: dict[str, list[float]] = {OURS: [], EMPTY: []}
        launches = [(OURS, app, week_frame), (EMPTY, empty, lambda s: "Hello sessions-tui" in s)]
        for n in range(args.launches + 1):  # the first round warms caches, untimed
            for name, command, ready in launches:
                session = f"p{n}{name[0]}"
                t0 = tmux.start(session, command)
                try:
                    took = tmux.wait(session, t0, ready)
                    time.sleep(1.0)
                    mem = tmux.peak_rss_mib(session)
                finally:
                    tmux.stop(session)
                if n:
                    paint[name].append(took)
                    rss[name].append(mem)
        load = (load0, os.getloadavg()[0])
        rows.append(
            Row(
                "first paint, week view",
                size,
                "s",
                {k: statistics.median(v) for k, v in paint.items()},
                {k: len(v) for k, v in paint.items()},
                load,
            )
        )
        rows.append(
            Row(
                "TUI peak memory after first paint",
                size,
                "MiB",
                {k: statistics.median(v) for k, v in rss.items()},
                {k: len(v) for k, v in rss.items()},
                load,
            )
        )

        progress(f"{size}: key to frame ({args.presses} presses of n)")
        load0 = os.getloadavg()[0]
        t0 = tmux.start("keys", app)
        tmux.wait("keys", t0, week_frame)
        time.sleep(2.0)
        first = date(2026, 11, 22)
        samples: list[float] = []
        for i in range(args.presses):
            want = first + timedelta(days=7 * (i + 1))
            head = f"│Sun {want.day}"
            title = range_title(want, want + timedelta(days=6))

            # Found by content, not by line: practitioner alerts (issue 20) may stand above
            # the title (at 100k one practitioner has several sessions starting at once).
            def next_week(screen: str, head: str = head, title: str = title) -> bool:
                return (
                    f" {title} " in screen
                    and any(line.startswith("       " + head) for line in screen.splitlines())
                    and "loading…" not in screen
                )

            t = time.perf_counter()
            subprocess.run([*tmux.cmd, "send-keys", "-t", "keys", "n"], check=True)
            samples.append(tmux.wait("keys", t, next_week, timeout=30))
            time.sleep(args.gap)
        tmux.stop("keys")
        load = (load0, os.getloadavg()[0])
        ms = sorted(s * 1000 for s in samples)
        for label, value in (("p50", statistics.median(ms)), ("p95", p95(ms))):
            rows.append(
                Row(f"key n to next week's frame, {label}", size, "ms", {OURS: value}, load=load)
            )
        floor = key_floor(tmux, args.presses)
        rows[-1].note = f"harness floor (cat echo) p50 {floor:.1f} ms"
    except RunFailed as exc:
        print(f"TUI measure failed: {exc}", file=sys.stderr)
    finally:
        tmux.close()
    return rows


def key_floor(tmux: Tmux, presses: int) -> float:
    """What send-keys plus capture-pane cost by themselves: a key echoed by ``cat``."""
    t0 = tmux.start("floor", "stty -icanon; cat")
    tmux.wait("floor", t0, lambda s: True)
    took = []
    for i in range(presses):
        mark = f"k{i:02d}"
        t = time.perf_counter()
        subprocess.run([*tmux.cmd, "send-keys", "-t", "floor", "-l", mark], check=True)
        took.append(tmux.wait("floor", t, lambda s, m=mark: m in s) * 1000)
    tmux.stop("floor")
    return statistics.median(took)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# --- the table and the goals ----------------------------------------------------------------


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"
    if unit == "ms":
        return f"{value:.1f} ms"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:.1f} MiB"


def table(rows: list[Row]) -> str:
    tools = (OURS, KHAL, CALCURSE, PYTHON, FLOOR, EMPTY)
    head = ["measure", "events", *tools, "load avg (start–end)"]
    out = ["| " + " | ".join(head) + " |", "|---|---:|" + "---:|" * (len(tools) + 1)]
    for r in rows:
        cells = [r.measure, f"{r.size:,}" if r.size else "–"]
        for tool in tools:
            v = r.values.get(tool)
            once = "¹" if r.runs.get(tool) == 1 and r.unit == "s" else ""
            cpu = f" (cpu {fmt(r.cpu[tool], 's')})" if tool in r.cpu else ""
            cells.append(fmt(v, r.unit) + once + cpu)
        cells.append(f"{r.load[0]:.1f}–{r.load[1]:.1f}")
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def find(rows: list[Row], measure: str, size: int) -> Row | None:
    return next((r for r in rows if r.measure == measure and r.size == size), None)


def goals(rows: list[Row]) -> str:
    """Each goal of issue 18 as measured: the ratio, the limit, and met or by how much not."""
    out = [
        "| goal | events | measured, wall (cpu) | limit | verdict (on wall time) |",
        "|---|---:|---:|---:|---|",
    ]

    def add(
        goal: str, size: int, value: float | None, limit: float, how: str, cpu: float = 0.0
    ) -> None:
        if value is None or value != value:  # missing or NaN
            return
        verdict = "met" if value <= limit else f"**missed** ({value / limit:.2f}x over the limit)"
        shown = how.format(value) + (f" (cpu {how.format(cpu)})" if cpu else "")
        out.append(f"| {goal} | {size:,} | {shown} | {limit:g} | {verdict} |")

    def cpu_ratio(r: Row, a: str, b: str) -> float:
        return r.cpu[a] / r.cpu[b] if a in r.cpu and r.cpu.get(b) else 0.0

    sizes = sorted({r.size for r in rows})
    for size in sizes:
        for period in ("one week", "one month"):
            for f in ("text", "JSON"):
                r = find(rows, f"{period}, {f}", size)
                if r is None or OURS not in r.values or CALCURSE not in r.values:
                    continue
                limit = 1.5 if size < 100_000 else 0.5
                add(
                    f"{period} agenda ({f}) ÷ calcurse",
                    size,
                    r.values[OURS] / r.values[CALCURSE],
                    limit,
                    "{:.2f}x",
                    cpu_ratio(r, OURS, CALCURSE),
                )
    small = find(rows, "sparse week, text", 1000)
    for size in sizes:
        big = find(rows, "sparse week, text", size)
        if small and big and size > 1000 and OURS in small.values and OURS in big.values:
            add(
                "sparse week at N ÷ the same at 1k (flat)",
                size,
                big.values[OURS] / small.values[OURS],
                1.2,
                "{:.2f}x",
                big.cpu.get(OURS, 0.0) / small.cpu[OURS] if small.cpu.get(OURS) else 0.0,
            )
    for size in sizes:
        imp, mem = find(rows, "import", size), find(rows, "peak memory, import", size)
        if imp and OURS in imp.values:
            if size == 10_000 and CALCURSE in imp.values:
                add(
                    "import ÷ calcurse's",
                    size,
                    imp.values[OURS] / imp.values[CALCURSE],
                    1.0,
                    "{:.2f}x",
                    cpu_ratio(imp, OURS, CALCURSE),
                )
            if size == 100_000:
                add("import time (s)", size, imp.values[OURS], 8.0, "{:.1f} s", imp.cpu[OURS])
                if mem and OURS in mem.values:
                    add("import peak memory (MiB)", size, mem.values[OURS], 150, "{:.0f} MiB")
        paint = find(rows, "first paint, week view", size)
        if paint and OURS in paint.values and EMPTY in paint.values:
            limit = 2.0 if size >= 1_000_000 else 1.5
            add(
                "first paint ÷ empty Textual app",
                size,
                paint.values[OURS] / paint.values[EMPTY],
                limit,
                "{:.2f}x",
            )
        key = find(rows, "key n to next week's frame, p95", size)
        if key and OURS in key.values:
            add("key to frame p95 (ms; goal at 100k)", size, key.values[OURS], 50, "{:.0f} ms")
        mem_tui = find(rows, "TUI peak memory after first paint", size)
        if mem_tui and OURS in mem_tui.values and EMPTY in mem_tui.values:
            add(
                "TUI memory ÷ empty Textual app (goal at 100k)",
                size,
                mem_tui.values[OURS] / mem_tui.values[EMPTY],
                2.0,
                "{:.2f}x",
            )
    return "\n".join(out)


def goals_29(rows: list[Row]) -> str:
    """Each command-line goal of issue 29, on CPU time (the box is shared: CPU is the figure
    that least depends on the load), with wall time beside it."""
    out = [
        "| goal (issue 29) | events | measured, cpu (wall) | limit | verdict (on CPU time) |",
        "|---|---:|---:|---:|---|",
    ]

    def ratio(r: Row | None, a: str, b: str, goal: str, limit: float) -> None:
        if r is None or a not in r.cpu or not r.cpu.get(b):
            return
        value = r.cpu[a] / r.cpu[b]
        wall = r.values[a] / r.values[b] if r.values.get(b) else float("nan")
        verdict = "met" if value <= limit else f"**missed** ({value / limit:.2f}x over)"
        size = f"{r.size:,}" if r.size else "–"
        out.append(f"| {goal} | {size} | {value:.2f}x ({wall:.2f}x) | {limit:g}x | {verdict} |")

    def seconds(r: Row | None, goal: str, limit: float, unit: str = "s") -> None:
        if r is None or OURS not in r.values:
            return
        value = r.cpu.get(OURS, r.values[OURS]) if unit == "s" else r.values[OURS]
        verdict = "met" if value < limit else f"**missed** ({value / limit:.2f}x over)"
        wall = f" ({r.values[OURS]:.2f} s)" if unit == "s" else ""
        floor = f"; SQLite floor {r.cpu[FLOOR]:.2f} s" if unit == "s" and FLOOR in r.cpu else ""
        shown = f"{value:.2f} {unit}{wall}{floor}"
        out.append(f"| {goal} | {r.size:,} | {shown} | {limit:g} {unit} | {verdict} |")

    ratio(find(rows, "--version", 0), OURS, PYTHON, "`--version` ÷ `python -c pass`", 1.5)
    for size in sorted({r.size for r in rows}):
        week = find(rows, "one week, text", size)
        ratio(week, OURS, PYTHON, "one-week agenda ÷ `python -c pass` (goal at 1k)", 2.0)
        ratio(week, OURS, CALCURSE, "one-week agenda ÷ calcurse (goal at 10k)", 1.5)
        ratio(find(rows, "one month, text", size), OURS, CALCURSE, "one-month ÷ calcurse", 1.2)
        imp = find(rows, "import", size)
        if size == 1_000:
            seconds(imp, "import CPU", 0.4)
        if size >= 100_000:
            seconds(imp, "import CPU", 8.0)
            seconds(find(rows, "peak memory, import", size), "import peak memory", 150, "MiB")
    return "\n".join(out)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for exe, flag in (("khal", "--version"), ("calcurse", "--version"), ("tmux", "-V")):
        if shutil.which(exe):
            text = subprocess.run([exe, flag], capture_output=True, text=True).stdout
            versions.append(text.splitlines()[0].split(" --")[0] if text else exe)
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {sys.version.split()[0]}, "
        f"{', '.join(versions)}, niceness {os.nice(0)}"
    )


DOCS = HERE.parent / "docs" / "PERFORMANCE.md"
BEGIN, END = "<!-- run_all: begin -->", "<!-- run_all: end -->"


def write_docs(report: str) -> None:
    """Replace the text between the markers of docs/PERFORMANCE.md with ``report``."""
    text = DOCS.read_text()
    if BEGIN not in text or END not in text:
        text += f"\n## The latest run of `bench/run_all.py`\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _old, tail = rest.split(END, 1)
    DOCS.write_text(f"{head}{BEGIN}\n{report}\n{END}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="event counts (default 1000,10000)")
    parser.add_argument("--peers", action="store_true", help="khal and calcurse alongside")
    parser.add_argument(
        "--peer-sizes",
        help="sizes at which the peers run (default: every size below 100,000; khal's import "
        "of 100k takes ~8 min, calcurse's ~5)",
    )
    parser.add_argument(
        "--without", action="append", default=[], choices=[KHAL, CALCURSE], help="skip a peer"
    )
    parser.add_argument("--runs", type=int, default=5, help="rounds per agenda measure")
    parser.add_argument("--import-runs", type=int, default=3, help="rounds of the import")
    parser.add_argument("--launches", type=int, default=5, help="TUI launches per app")
    parser.add_argument("--presses", type=int, default=20, help="n presses for key to frame")
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between presses")
    parser.add_argument("--no-tui", action="store_true", help="skip the terminal measures")
    parser.add_argument("--no-cli", action="store_true", help="only the terminal measures")
    parser.add_argument(
        "--slow-cap", type=float, default=30.0, help="a job whose first run takes longer runs once"
    )
    parser.add_argument("--cache-dir", type=Path, default=default_cache_dir())
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="also put the report into docs/PERFORMANCE.md, between its run_all markers",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    peer_sizes = (
        {int(s) for s in args.peer_sizes.split(",") if s}
        if args.peer_sizes
        else {s for s in sizes if s < 100_000}
    )
    cache: Path = args.cache_dir
    cache.mkdir(parents=True, exist_ok=True)
    khal_exe = find_khal() if args.peers and KHAL not in args.without else None
    calcurse_exe = shutil.which("calcurse") if args.peers and CALCURSE not in args.without else None
    if args.peers and not args.without and not (khal_exe and calcurse_exe):
        print("khal or calcurse is not installed; measuring without it", file=sys.stderr)
    if not args.no_tui and not shutil.which("tmux"):
        print("tmux is not installed: the terminal measures are skipped", file=sys.stderr)
        args.no_tui = True

    bytecode()
    files = {size: ensure_ics(size, cache) for size in sizes}
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    header = (
        f"sessions-tui, {started}; data: gen_ics.py N --seed {SEED}; {machine()}; "
        f"load average at start {os.getloadavg()[0]:.2f}"
    )
    print(header, flush=True)
    rows: list[Row] = []
    if not args.no_cli:
        rows.append(measure_start(args, khal_exe, calcurse_exe))
    for size in sizes:
        workdir = Path(tempfile.mkdtemp(prefix=f"bench-{size}-", dir=cache))
        try:
            tools = [ours(workdir)]
            if size in peer_sizes:
                tools += [khal(workdir, khal_exe)] if khal_exe else []
                tools += [calcurse(workdir, calcurse_exe)] if calcurse_exe else []
            if args.no_cli:  # the calendar's measures only: one untimed import for its data
                tools[0].prepare()
                run(tools[0].import_cmd(files[size]), tools[0].env)
            else:
                rows += measure_cli(size, files[size], tools, args)
            if not args.no_tui:
                rows += measure_tui(size, tools[0].store(), workdir, args)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    out_dir = cache / "results"
    out_dir.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out_dir / f"run-{stamp}.json").write_text(
        json.dumps({"header": header, "rows": [vars(r) for r in rows]}, indent=1)
    )
    text, goal_text = table(rows), goals(rows) + "\n\n" + goals_29(rows)
    notes = (
        f"Medians of {args.runs} alternating rounds (import {args.import_runs}, TUI launches "
        f"{args.launches}, {args.presses} key presses); ¹ run once (first run over "
        f"{args.slow_cap:.0f} s). The peers have no JSON output: the JSON rows show their text "
        f"times of the same rounds."
    )
    extra = [f"- {r.measure} @ {r.size:,}: {r.note}" for r in rows if r.note]
    report = "\n\n".join([header, text, notes, "\n".join(extra), goal_text])
    print()
    print(report)
    (out_dir / f"run-{stamp}.md").write_text(report + "\n")
    print(f"\nwritten to {out_dir / f'run-{stamp}.md'}")
    if args.write_docs:
        write_docs(report)
        print(f"and into {DOCS} (between its run_all markers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
