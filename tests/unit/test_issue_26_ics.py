"""Issue 26: real-world calendars in and out (one test per failure the issue lists)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from sessions_tui.services import scheduling
from sessions_tui.services.context import Context
from sessions_tui.store.tables import EventRow
from sessions_tui.sync.ics import export_calendar, import_calendar

UTCZ = ZoneInfo("UTC")


def _cal(*events: str, head: str = "") -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\n{e.strip()}\r\nEND:VEVENT\r\n" for e in events)
    text = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{head}{body}END:VCALENDAR\r\n"
    return text.replace("\n", "\r\n").replace("\r\r\n", "\r\n").encode()


def _starts(ctx: Context, lo: datetime, hi: datetime) -> list[object]:
    pid = ctx.require_actor().id
    return sorted(
        (o.start for o in scheduling.occurrences_in(ctx, lo, hi, UTCZ, practitioner_ids=[pid])),
        key=str,
    )


def _import(ctx: Context, data: bytes, **kw: object):  # type: ignore[no-untyped-def]
    return import_calendar(ctx, data, practitioner_id=ctx.require_actor().id, **kw)  # type: ignore[arg-type]


def test_issue_26_reimport_keeps_calendar_label(admin_ctx: Context) -> None:
    data = _cal(
        "UID:a\nDTSTART:20261201T150000Z\nDTEND:20261201T160000Z\nSUMMARY:Dentist",
        head="X-WR-CALNAME:Home\r\n",
    )
    _import(admin_ctx, data)
    exported = export_calendar(admin_ctx, practitioner_id=admin_ctx.require_actor().id)
    report = _import(admin_ctx, exported, name="export.ics")
    assert (report.added, report.updated) == (0, 0), report.summary()
    with admin_ctx.db.session() as s:
        assert s.execute(select(EventRow.source_calendar)).scalars().all() == ["Home"]
