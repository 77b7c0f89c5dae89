"""Issue 17: a CalDAV sync process killed at random points, then run again, neither duplicates
nor loses anything on either side (Radicale on 127.0.0.1).

Each child process runs one sync and kills itself (``os._exit``, no clean-up, as SIGKILL) on
its N-th HTTP request, right after the server applied it or right before it is sent: the worst
moments, when the server has a write the database has not recorded, or the reverse.
"""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from caldav_harness import PASSWORD, S0_SERIES, T0, Practice, pr_fixture  # noqa: F401

from sessions_tui.services.appointments import OccurrenceRef, Scope, edit

ROUNDS = 5
CHILD = textwrap.dedent(
    """
    import os, sys
    from datetime import datetime
    from sessions_tui.clock import FixedClock
    from sessions_tui.store.db import open_database
    from sessions_tui.sync.caldav import CalDavEngine
    from sessions_tui.sync.caldav.dav import DavClient

    path, url, user, password, pid, limit, when = sys.argv[1:]
    limit, count = int(limit), [0]
    dav = DavClient(url, user, password)
    inner = dav._client
    send = inner._sync_request

    def killing(*args, **kwargs):
        count[0] += 1
        if count[0] >= limit and when == "before":
            os._exit(9)
        response = send(*args, **kwargs)
        if count[0] >= limit:
            os._exit(9)
        return response

    inner._sync_request = killing
    db = open_database(path)
    clock = FixedClock(datetime.fromisoformat("2026-11-25T16:00:00+00:00"))
    CalDavEngine(db, clock, int(pid), dav, multiget_size=2, write_batch=2).run()
    os._exit(0)
    """
)


def _phone_event(uid: str, day: int, summary: str, rrule: str = "") -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//phone//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20261125T120000Z\r\n"
        f"DTSTART;TZID=America/Chicago:202612{day:02d}T080000\r\n"
        f"DTEND;TZID=America/Chicago:202612{day:02d}T083000\r\n"
        + (f"RRULE:{rrule}\r\n" if rrule else "")
        + f"SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def test_issue_17_killed_at_random_points_and_rerun(pr: Practice, tmp_path: Path) -> None:
    for i in range(5):
        pr.session(start=T0 + timedelta(days=i, hours=i % 3))
    series = pr.session(pr.bob, start=S0_SERIES, rrule="FREQ=WEEKLY;COUNT=5")
    assert series.id is not None
    second = S0_SERIES + timedelta(weeks=1)
    edit(
        pr.ctx,
        OccurrenceRef(series.id, second),
        Scope.THIS,
        start=second + timedelta(hours=1),
        end=second + timedelta(hours=1, minutes=50),
    )
    pr.other("Supervision", start=T0 + timedelta(days=2, hours=5))
    phone = {f"Phone {i}": f"phone-{i}" for i in range(4)}
    for i, (summary, uid) in enumerate(phone.items()):
        pr.remote.add(
            pr.work, _phone_event(uid, i + 3, summary, "FREQ=DAILY;COUNT=3" if i == 0 else "")
        )
    local_families = 7

    rng = random.Random(17)
    db_path = str(tmp_path / "practice.db")
    killed = 0
    for round_no in range(ROUNDS):
        # Work on both sides each round, so every child has something to die in the middle of.
        pr.other(f"Local {round_no}", start=T0 + timedelta(days=10 + round_no))
        local_families += 1
        phone[f"Phone r{round_no}"] = f"phone-r{round_no}"
        pr.remote.add(
            pr.work, _phone_event(f"phone-r{round_no}", 20 + round_no, f"Phone r{round_no}")
        )
        limit = rng.randint(2, 8)
        when = rng.choice(["before", "after"])
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                CHILD,
                db_path,
                pr.server.url,
                pr.user,
                PASSWORD,
                str(pr.pat.id),
                str(limit),
                when,
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert done.returncode in (0, 9), done.stderr.decode()[-2000:]
        killed += done.returncode == 9
    assert killed >= ROUNDS - 1  # the kills happened mid-sync, not after a finished run
    report = pr.sync()
    assert report.errors == 0, report

    # The server: every local family once, every phone event once, nothing else.
    resources = pr.remote.resources(pr.work)
    uids = Counter(str(r.icalendar_instance.walk("VEVENT")[0]["uid"]) for r in resources)
    assert all(n == 1 for n in uids.values()), uids
    assert len(resources) == local_families + len(phone)
    # Here: every phone event once, every local event still here.
    events = pr.local_events()
    titles = Counter(e.title for e in events if not e.is_session and e.series_id is None)
    want = {**dict.fromkeys(phone, 1), "Supervision": 1}
    want.update({f"Local {i}": 1 for i in range(ROUNDS)})
    assert titles == Counter(want)
    assert sum(1 for e in events if e.is_session and e.series_id is None) == 6
    assert sum(1 for e in events if e.series_id == series.id) == 1  # the override
    # And the two sides agree: a further run has nothing to do.
    again = pr.sync()
    assert (again.pushed, again.pulled, again.deleted, again.conflicts) == (0, 0, 0, 0), again
