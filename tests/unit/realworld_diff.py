"""Differential check of one real-world calendar file against recurring-ical-events.

:func:`compare` imports a file into a fresh practice and compares, occurrence by occurrence
(UTC start or all-day date, with the title), what the agenda shows with what
recurring-ical-events expands from the same file; then exports, expands the export the same
way, and re-imports the export (which must change nothing). Used by
``test_issue_26_corpus.py``; ``python -m tests.unit.realworld_diff DIR`` prints the tally.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
import x_wr_timezone  # type: ignore[import-untyped]
from sqlalchemy import func, select

from sessions_tui.services import scheduling
from sessions_tui.services.context import Context
from sessions_tui.store.tables import EventRow
from sessions_tui.sync.ics import IcsError, export_calendar, import_calendar, practitioner_zone

CORPUS = Path(__file__).parent.parent / "data" / "realworld"
UTCZ = ZoneInfo("UTC")
Key = tuple[str, object]


@dataclass
class Outcome:
    """``status`` is agree, refused or disagree; ``detail`` says why (one line)."""

    status: str
    detail: str = ""


def _instant(value: Any, floating: ZoneInfo) -> object:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=floating)
        return value.astimezone(UTC)
    return value


def _span(cal: icalendar.Calendar, floating: ZoneInfo) -> tuple[datetime, datetime]:
    """From two days before the earliest start in the file to 400 days after the latest."""
    seen: list[datetime] = []
    for ev in cal.walk("VEVENT"):
        for name in ("DTSTART", "RECURRENCE-ID"):
            prop = ev.get(name)
            if prop is None:
                continue
            value = prop.dt
            if not isinstance(value, datetime):
                value = datetime(value.year, value.month, value.day, tzinfo=UTC)
            seen.append(_instant(value, floating))  # type: ignore[arg-type]
    if not seen:
        return datetime(2000, 1, 1, tzinfo=UTC), datetime(2001, 1, 1, tzinfo=UTC)
    return min(seen) - timedelta(days=2), max(seen) + timedelta(days=400)


def _in_span(start: object, span: tuple[datetime, datetime]) -> bool:
    if isinstance(start, datetime):
        return span[0] <= start < span[1]
    assert isinstance(start, date)
    return span[0].date() <= start < span[1].date()


def reference(data: bytes, floating: ZoneInfo, span: tuple[datetime, datetime] | None = None):  # type: ignore[no-untyped-def]
    """recurring-ical-events' occurrences of ``data`` (floating times in X-WR-TIMEZONE, else
    ``floating``) as a Counter of (title, UTC start or date), and the span used."""
    cal = x_wr_timezone.to_standard(icalendar.Calendar.from_ical(data))
    if span is None:
        span = _span(cal, floating)
    keys: Counter[Key] = Counter()
    for ev in recurring_ical_events.of(cal).between(span[0], span[1]):
        start = _instant(ev["DTSTART"].dt, floating)
        if _in_span(start, span):
            keys[(str(ev.get("SUMMARY", "")).strip() or "(no title)", start)] += 1
    return keys, span


def ours(ctx: Context, pid: int, span: tuple[datetime, datetime]) -> Counter[Key]:
    keys: Counter[Key] = Counter()
    for o in scheduling.occurrences_in(ctx, span[0], span[1], UTCZ, practitioner_ids=[pid]):
        if o.event.practitioner_id != pid:
            continue
        start = o.start.astimezone(UTC) if isinstance(o.start, datetime) else o.start
        if _in_span(start, span):
            keys[(o.event.title.strip(), start)] += 1
    return keys


def _diff(want: Counter[Key], got: Counter[Key]) -> str:
    missing = want - got
    extra = got - want
    parts = []
    if missing:
        parts.append(f"{sum(missing.values())} missing e.g. {sorted(missing, key=str)[:2]}")
    if extra:
        parts.append(f"{sum(extra.values())} extra e.g. {sorted(extra, key=str)[:2]}")
    return "; ".join(parts)


def compare(ctx: Context, path: Path) -> Outcome:
    """Import ``path`` into ``ctx``'s practice (fresh) and compare; see the module docstring."""
    pid = ctx.require_actor().id
    data = path.read_bytes()
    floating = ZoneInfo(practitioner_zone(ctx, pid))
    try:
        want, span = reference(data, floating)
    except Exception as exc:
        return Outcome("refused", f"reference cannot read it: {exc}")
    try:
        import_calendar(ctx, data, practitioner_id=pid, name=path.name)
    except IcsError as exc:
        with ctx.db.session() as s:
            rows = s.execute(select(func.count()).select_from(EventRow)).scalar_one()
        message = str(exc)
        assert "\n" not in message, message
        assert rows == 0, f"refused but {rows} rows written"
        return Outcome("refused", message)
    got = ours(ctx, pid, span)
    if got != want:
        return Outcome("disagree", "import: " + _diff(want, got))
    exported = export_calendar(ctx, practitioner_id=pid)
    back, _ = reference(exported, floating, span)
    if back != want:
        return Outcome("disagree", "export: " + _diff(want, back))
    report = import_calendar(ctx, exported, practitioner_id=pid, name="export.ics")
    if report.added or report.updated or report.removed:
        return Outcome("disagree", "re-import of the export: " + report.summary())
    if ours(ctx, pid, span) != want:
        return Outcome("disagree", "after re-import: " + _diff(want, ours(ctx, pid, span)))
    return Outcome("agree")


def main(argv: list[str]) -> int:  # pragma: no cover - a developer's tally
    from sessions_tui.clock import FixedClock
    from sessions_tui.domain.model import Role
    from sessions_tui.services import practice
    from sessions_tui.store.db import open_database

    folder = Path(argv[0]) if argv else CORPUS
    tally: Counter[str] = Counter()
    for path in sorted(folder.glob("*.ics")):
        with tempfile.TemporaryDirectory() as tmp:
            db = open_database(str(Path(tmp) / "p.db"))
            clock = FixedClock(datetime(2026, 11, 25, 16, tzinfo=UTC))
            admin = practice.add_staff(
                Context(db, clock, None), "admin", "Ada Admin", {Role.ADMIN, Role.PRACTITIONER}
            )
            try:
                out = compare(Context(db, clock, admin), path)
            except Exception as exc:
                out = Outcome("disagree", f"crash: {type(exc).__name__}: {exc}")
            db.dispose()
        tally[out.status] += 1
        print(f"{out.status:9} {path.name}: {out.detail[:300]}")
    print(dict(tally))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
