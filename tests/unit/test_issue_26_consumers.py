"""Issue 26: what we export reads the same in independent consumers.

An export of series in America/Chicago, Europe/London and Australia/Lord_Howe (open-ended,
starting before a DST change, with an EXDATE) is read back by vobject and by ical.js (through
node), which both trust our VTIMEZONEs rather than their own zone data; each must give the
same occurrences as our agenda from before the first event to past 2040.

ical.js comes from the npm registry, installed by ``.ci/run`` into
:data:`ICALJS_HOME` (``$SESSIONS_TUI_NODE_MODULES``, else ``~/.cache/sessions-tui/node``);
without it (or node) that half skips, saying why.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import vobject  # type: ignore[import-untyped]

from sessions_tui.services import scheduling
from sessions_tui.services.context import Context
from sessions_tui.sync.ics import export_calendar, import_calendar

ICALJS_HOME = Path(
    os.environ.get("SESSIONS_TUI_NODE_MODULES")
    or Path.home() / ".cache" / "sessions-tui" / "node" / "node_modules"
)
ICALJS = ICALJS_HOME / "ical.js" / "dist" / "ical.js"

LO = datetime(2026, 9, 1, tzinfo=UTC)
HI = datetime(2041, 6, 1, tzinfo=UTC)

SOURCE = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
UID:chi\r
DTSTART;TZID=America/Chicago:20261020T090000\r
DTEND;TZID=America/Chicago:20261020T100000\r
RRULE:FREQ=WEEKLY\r
EXDATE;TZID=America/Chicago:20261103T090000\r
SUMMARY:Chicago weekly\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:lon\r
DTSTART;TZID=Europe/London:20261015T183000\r
DURATION:PT1H\r
RRULE:FREQ=MONTHLY;BYMONTHDAY=15\r
SUMMARY:London monthly\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:lhi\r
DTSTART;TZID=Australia/Lord_Howe:20260920T080000\r
DURATION:PT30M\r
RRULE:FREQ=MONTHLY;BYDAY=3SU\r
SUMMARY:Lord Howe monthly\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:day\r
DTSTART;VALUE=DATE:20261224\r
DTEND;VALUE=DATE:20261225\r
RRULE:FREQ=YEARLY\r
SUMMARY:Closed\r
END:VEVENT\r
END:VCALENDAR\r
"""

Key = tuple[str, object]


def _ours(ctx: Context) -> list[Key]:
    pid = ctx.require_actor().id
    out = []
    for o in scheduling.occurrences_in(ctx, LO, HI, ZoneInfo("UTC"), practitioner_ids=[pid]):
        start = o.start.astimezone(UTC) if isinstance(o.start, datetime) else o.start
        out.append((o.event.title, start))
    return sorted(out, key=str)


@pytest.fixture
def exported(admin_ctx: Context) -> tuple[bytes, list[Key]]:
    import_calendar(admin_ctx, SOURCE.encode(), practitioner_id=admin_ctx.require_actor().id)
    data = export_calendar(admin_ctx, practitioner_id=admin_ctx.require_actor().id)
    ours = _ours(admin_ctx)
    assert len(ours) > 700  # the expansion really reaches 2041
    return data, ours


def _in_range(start: object) -> bool:
    if isinstance(start, datetime):
        return LO <= start < HI
    assert isinstance(start, date)
    return LO.date() <= start < HI.date()


def test_issue_26_vobject_reads_our_export_as_our_agenda(
    exported: tuple[bytes, list[Key]],
) -> None:
    data, ours = exported
    # vobject resolves IANA names through pytz; renamed, it must use our VTIMEZONEs' rules.
    text = re.sub(r"TZID([:=])(\w+/\w+)", r"TZID\1Exported-\2", data.decode())
    assert "TZID=Exported-Europe/London" in text
    for zone in vobject.readOne(text).vtimezone_list:  # registered before the events are read
        vobject.icalendar.registerTzid(zone.tzid.value, zone.gettzinfo())
    cal = vobject.readOne(text)
    got: list[Key] = []
    for ev in cal.vevent_list:
        title = ev.summary.value
        all_day = not isinstance(ev.dtstart.value, datetime)
        rules = ev.getrruleset(addRDate=True)
        if all_day:
            starts = [d.date() for d in rules.between(datetime(2026, 1, 1), datetime(2042, 1, 1))]
        else:
            starts = [d.astimezone(UTC) for d in rules.between(LO, HI, inc=True)]
        got.extend((title, s) for s in starts if _in_range(s))
    assert sorted(got, key=str) == ours


def test_issue_26_icaljs_reads_our_export_as_our_agenda(
    exported: tuple[bytes, list[Key]], tmp_path: Path
) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (ical.js runs under node)")
    if not ICALJS.is_file():
        pytest.skip(
            f"ical.js is not installed in {ICALJS_HOME} (.ci/run installs it from the npm "
            "registry; set SESSIONS_TUI_NODE_MODULES to another node_modules)"
        )
    data, ours = exported
    (tmp_path / "export.ics").write_bytes(data)
    script = tmp_path / "expand.mjs"
    script.write_text(
        f"import ICAL from {json.dumps(ICALJS.as_uri())};\n"
        "import {readFileSync} from 'node:fs';\n"
        "const comp = new ICAL.Component(ICAL.parse(readFileSync(process.argv[2], 'utf8')));\n"
        "for (const tz of comp.getAllSubcomponents('vtimezone')) {\n"
        "  ICAL.TimezoneService.register(new ICAL.Timezone(tz));\n"
        "}\n"
        "const hi = ICAL.Time.fromJSDate(new Date(process.argv[3]), true);\n"
        "const out = [];\n"
        "for (const v of comp.getAllSubcomponents('vevent')) {\n"
        "  const ev = new ICAL.Event(v);\n"
        "  const it = ev.iterator();\n"
        "  let next;\n"
        "  while ((next = it.next()) && next.compare(hi) < 0) {\n"
        "    out.push([ev.summary, next.isDate ? next.toString() : next.toUnixTime()]);\n"
        "  }\n"
        "}\n"
        "console.log(JSON.stringify(out));\n"
    )
    run = subprocess.run(
        [node, str(script), str(tmp_path / "export.ics"), HI.isoformat()],
        capture_output=True,
        text=True,
        check=True,
    )
    got: list[Key] = []
    for title, value in json.loads(run.stdout):
        start: object = (
            date.fromisoformat(value)
            if isinstance(value, str)
            else datetime.fromtimestamp(value, tz=UTC)
        )
        if _in_range(start):
            got.append((title, start))
    assert sorted(got, key=str) == ours
