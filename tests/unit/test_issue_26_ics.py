"""Issue 26: real-world calendars in and out (one test per failure the issue lists)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from sessions_tui.services import scheduling
from sessions_tui.services.context import Context
from sessions_tui.store.tables import EventRow
from sessions_tui.sync.ics import IcsError, export_calendar, import_calendar

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


def _titles(ctx: Context) -> list[str]:
    with ctx.db.session() as s:
        return sorted(s.execute(select(EventRow.title)).scalars())


GOOD = "UID:good\nDTSTART:20261201T150000Z\nDTEND:20261201T160000Z\nSUMMARY:Good"


def test_issue_26_one_bad_event_is_skipped_with_a_line_not_the_calendar(
    admin_ctx: Context,
) -> None:
    data = _cal(
        GOOD,
        "UID:bad\nDTSTART:20261202T150000Z\nDTEND:20261202T140000Z\nSUMMARY:Backwards",
    )
    report = _import(admin_ctx, data, name="cal.ics")
    assert _titles(admin_ctx) == ["Good"]
    assert report.notes.skipped == [
        "cal.ics line 10 (UID bad): DTEND is before DTSTART; event skipped"
    ]
    assert "1 event skipped" in report.summary()
    # --strict keeps all or nothing.
    strict = data.replace(b"UID:good", b"UID:other")
    with pytest.raises(IcsError, match=r"line 10 \(UID bad\)"):
        _import(admin_ctx, strict, name="cal.ics", strict=True)
    assert _titles(admin_ctx) == ["Good"]


def test_issue_26_unused_properties_never_refuse(admin_ctx: Context) -> None:
    data = _cal(
        GOOD + "\nCREATED:00001231T000000Z\nDTSTAMP:202103206T200210Z\nSUMMARY=oops",
    )
    report = _import(admin_ctx, data)
    assert _titles(admin_ctx) == ["Good"]
    assert report.notes.skipped_count == 0


def test_issue_26_recoverable_shapes_are_recovered(admin_ctx: Context) -> None:
    data = _cal(
        "UID:h\nDTSTART;VALUE=DATE:20261225\nSUMMARY:Holiday\nRRULE:",
        "UID:f\nDTSTART:20261201T150000Z\nDURATION:PT1H\nSUMMARY:Fastmail\n"
        "RRULE:FREQ=DAILY;COUNT=3\nRRULE:FREQ=DAILY;COUNT=3",
        "DTSTART:20261210T150000Z\nDURATION:PT1H\nSUMMARY:No uid",
        "UID:t\nSEQUENCE:2\nDTSTART:20261211T150000Z\nDURATION:PT1H\nSUMMARY:Thunderbird new",
        "UID:t\nSEQUENCE:1\nDTSTART:20261211T140000Z\nDURATION:PT1H\nSUMMARY:Thunderbird old",
    )
    report = _import(admin_ctx, data)
    assert report.notes.skipped_count == 0
    assert report.notes.recovered_count == 4
    lo, hi = datetime(2026, 11, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    starts = _starts(admin_ctx, lo, hi)
    assert starts.count(date(2026, 12, 25)) == 1
    assert datetime(2026, 12, 3, 15, tzinfo=UTC) in starts  # one daily series, three days
    assert _titles(admin_ctx).count("Fastmail") == 1
    assert "Thunderbird new" in _titles(admin_ctx)
    assert "Thunderbird old" not in _titles(admin_ctx)
    assert len(starts) == 1 + 3 + 1 + 1
    again = _import(admin_ctx, data)
    assert (again.added, again.updated) == (0, 0), again.summary()


def test_issue_26_a_subscription_skips_one_odd_event_not_the_feed() -> None:
    from sessions_tui.domain.subscriptions import BusyMode
    from sessions_tui.sync.ics import ReadNotes
    from sessions_tui.sync.subscription_store import parse_feed

    body = _cal(
        GOOD,
        "UID:bad\nDTSTART:20261202T150000Z\nDTEND:20261202T140000Z\nSUMMARY:Backwards",
        "UID:r\nDTSTART:20261203T150000Z\nDURATION:PT1H\nSUMMARY:Empty rule\nRRULE:",
    )
    notes = ReadNotes()
    items = parse_feed(
        body,
        practitioner_id=1,
        floating_tz="UTC",
        busy=next(iter(BusyMode)),
        locations={},
        name="feed",
        notes=notes,
    )
    assert sorted(i.event.title for i in items) == ["Empty rule", "Good"]
    assert notes.skipped == ["feed line 10 (UID bad): DTEND is before DTSTART; event skipped"]


def test_issue_26_rdate_without_rrule_gives_every_date(admin_ctx: Context) -> None:
    data = _cal(
        "UID:r\nDTSTART;VALUE=DATE:20150812\nDTEND;VALUE=DATE:20150813\nSUMMARY:Four days\n"
        "RDATE;VALUE=DATE:20150812,20150813,20150814,20150815"
    )
    _import(admin_ctx, data)
    lo, hi = datetime(2015, 8, 1, tzinfo=UTC), datetime(2015, 9, 1, tzinfo=UTC)
    assert _starts(admin_ctx, lo, hi) == [date(2015, 8, d) for d in (12, 13, 14, 15)]


def test_issue_26_all_day_series_moved_by_a_date_time_recurrence_id(admin_ctx: Context) -> None:
    from .realworld_diff import CORPUS, reference

    path = CORPUS / "rie__issue_28_rrule_with_UTC_endinginZ.ics"  # Exchange, GMT Standard Time
    data = path.read_bytes()
    want, span = reference(data, UTCZ)
    _import(admin_ctx, data)
    got = _starts(admin_ctx, *span)
    assert len(got) == sum(want.values()) == 24
    exported = export_calendar(admin_ctx, practitioner_id=admin_ctx.require_actor().id)
    again = _import(admin_ctx, exported, name="export.ics")
    assert (again.added, again.updated, again.removed) == (0, 0, 0), again.summary()
    assert _starts(admin_ctx, *span) == got


def test_issue_26_windows_zone_names_without_vtimezone(admin_ctx: Context) -> None:
    data = _cal(
        'UID:s\nDTSTART;TZID="(GMT+10:00) Canberra, Melbourne, Sydney":20261201T133000\n'
        "DURATION:PT1H\nSUMMARY:Sydney",
        "UID:c\nDTSTART;TZID=Central Standard Time:20261201T133000\nDURATION:PT1H\nSUMMARY:Chi",
        "UID:u\nDTSTART;TZID=Nowhere/Special:20261201T133000\nDURATION:PT1H\nSUMMARY:Unknown",
    )
    report = _import(admin_ctx, data)
    lo, hi = datetime(2026, 11, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    starts = _starts(admin_ctx, lo, hi)
    assert datetime(2026, 12, 1, 2, 30, tzinfo=UTC) in starts  # 13:30 AEDT
    assert datetime(2026, 12, 1, 19, 30, tzinfo=UTC) in starts  # 13:30 CST
    assert any("'Nowhere/Special' is not a zone we know" in w for w in report.notes.warnings)


def test_issue_26_windows_1252_file_is_read_with_a_warning(admin_ctx: Context) -> None:
    title = "Caf\u00e9 \u2013 Fr\u00fchst\u00fcck"
    data = _cal(f"UID:w\nDTSTART:20261201T150000Z\nDURATION:PT1H\nSUMMARY:{title}")
    report = _import(admin_ctx, data.decode().encode("cp1252"), name="win.ics")
    assert _titles(admin_ctx) == ["Caf\u00e9 \u2013 Fr\u00fchst\u00fcck"]
    assert report.notes.warnings == [
        "win.ics line 8: not UTF-8 text (invalid continuation byte); read as Windows-1252"
    ]


def test_issue_26_vtimezone_with_two_tzids_does_not_crash(admin_ctx: Context) -> None:
    zone_text = (
        "BEGIN:VTIMEZONE\nTZID:America/Chicago\nTZID:America/Chicago\n"
        "BEGIN:STANDARD\nDTSTART:20201101T020000\nTZOFFSETFROM:-0500\nTZOFFSETTO:-0600\n"
        "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\nEND:STANDARD\n"
        "BEGIN:DAYLIGHT\nDTSTART:20200308T020000\nTZOFFSETFROM:-0600\nTZOFFSETTO:-0500\n"
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\nEND:DAYLIGHT\nEND:VTIMEZONE\n"
    )
    data = _cal(
        "UID:x\nDTSTART;TZID=America/Chicago:20261201T100000\nDURATION:PT1H\nSUMMARY:School",
        head=zone_text.replace("\n", "\r\n"),
    )
    _import(admin_ctx, data)
    lo, hi = datetime(2026, 11, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    assert _starts(admin_ctx, lo, hi) == [datetime(2026, 12, 1, 16, tzinfo=UTC)]


def test_issue_26_no_override_equal_to_its_occurrence_is_exported(admin_ctx: Context) -> None:
    data = _cal(
        "UID:s\nDTSTART:20261201T150000Z\nDTEND:20261201T160000Z\nSUMMARY:Weekly\n"
        "RRULE:FREQ=WEEKLY;COUNT=4",
        "UID:s\nRECURRENCE-ID:20261208T150000Z\nDTSTART:20261208T150000Z\n"
        "DTEND:20261208T160000Z\nSUMMARY:Weekly",
        "UID:s\nRECURRENCE-ID:20261215T150000Z\nDTSTART:20261215T170000Z\n"
        "DTEND:20261215T180000Z\nSUMMARY:Weekly",
    )
    _import(admin_ctx, data)
    exported = export_calendar(admin_ctx, practitioner_id=admin_ctx.require_actor().id)
    assert exported.count(b"RECURRENCE-ID") == 1  # only the moved one
    lo, hi = datetime(2026, 11, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    before = _starts(admin_ctx, lo, hi)
    again = _import(admin_ctx, exported, name="export.ics")
    assert (again.added, again.updated, again.removed) == (0, 0, 0), again.summary()
    assert _starts(admin_ctx, lo, hi) == before


def _cli(tmp_path, *args: str):  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from sessions_tui.cli.main import cli

    runner = CliRunner()
    db = "sqlite:///" + str(tmp_path / "p.db")
    add = ["staff", "add", "admin", "--name", "Ada", "--role", "admin", "--db", db]
    runner.invoke(cli, [*add, "--role", "practitioner"])
    return runner.invoke(cli, ["ics", "import", *args, "--practitioner", "admin", "--db", db])


def test_issue_26_dev_zero_ends_with_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = _cli(tmp_path, "/dev/zero")
    assert result.exit_code == 1
    message = str(result.exception)  # the CLI's entry point prints it as one line
    assert "\n" not in message
    assert "zero line 1: a line longer than 4 MB" in message


def test_issue_26_size_limit_and_silent_progress_when_piped(tmp_path) -> None:  # type: ignore[no-untyped-def]
    events = [
        f"UID:e{i}\nDTSTART:20261201T150000Z\nDURATION:PT1H\nSUMMARY:{'x' * 200}"
        for i in range(6000)
    ]
    path = tmp_path / "big.ics"
    path.write_bytes(_cal(*events))
    assert path.stat().st_size > 1 << 20
    result = _cli(tmp_path, str(path), "--max-size", "1")
    assert result.exit_code == 1
    assert "big.ics is larger than 1 MB: not read" in str(result.exception)
    result = _cli(tmp_path, str(path))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Imported 6000 events into 'big': 6000 added, 0 updated, 0 unchanged."
    ]  # no progress bar when stderr is not a terminal


def test_issue_26_this_and_future_applies_to_the_later_occurrences(admin_ctx: Context) -> None:
    data = _cal(
        "UID:d\nDTSTART:20261201T100000Z\nDURATION:PT1H\nSUMMARY:A\nRRULE:FREQ=DAILY;COUNT=10\n"
        "EXDATE:20261209T100000Z",
        "UID:d\nRECURRENCE-ID;RANGE=THISANDFUTURE:20261204T100000Z\n"
        "DTSTART:20261204T120000Z\nDURATION:PT2H\nSUMMARY:B",
        "UID:d\nRECURRENCE-ID:20261206T100000Z\nDTSTART:20261206T150000Z\nDURATION:PT1H\n"
        "SUMMARY:B moved",
        "UID:d\nRECURRENCE-ID;RANGE=THISANDFUTURE:20261208T100000Z\n"
        "DTSTART:20261208T080000Z\nDURATION:PT1H\nSUMMARY:C",
    )
    _import(admin_ctx, data)
    pid = admin_ctx.require_actor().id
    lo, hi = datetime(2026, 11, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    got = sorted(
        (o.start, o.event.title)
        for o in scheduling.occurrences_in(admin_ctx, lo, hi, UTCZ, practitioner_ids=[pid])
    )

    def at(day: int, hour: int) -> datetime:
        return datetime(2026, 12, day, hour, tzinfo=UTC)

    assert got == [
        (at(1, 10), "A"),
        (at(2, 10), "A"),
        (at(3, 10), "A"),
        (at(4, 12), "B"),
        (at(5, 12), "B"),
        (at(6, 15), "B moved"),
        (at(7, 12), "B"),
        (at(8, 8), "C"),
        (at(10, 8), "C"),  # the 9th is an EXDATE of the series
    ]
    again = _import(admin_ctx, data)
    assert (again.added, again.updated, again.removed) == (0, 0, 0), again.summary()
    exported = export_calendar(admin_ctx, practitioner_id=pid)
    back = _import(admin_ctx, exported, name="export.ics")
    assert (back.added, back.updated, back.removed) == (0, 0, 0), back.summary()


def test_issue_26_google_birthdays_calendar_is_read(admin_ctx: Context) -> None:
    data = _cal(
        "UID:BIRTHDAY_a\nDTSTART;VALUE=DATE:16040315\nDTEND;VALUE=DATE:16040316\n"
        "RRULE:FREQ=YEARLY\nSUMMARY:Ann's birthday",  # no year known: Google writes 1604
        "UID:BIRTHDAY_b\nDTSTART;VALUE=DATE:19800704\nRRULE:FREQ=YEARLY\nSUMMARY:Bob's birthday",
        head="X-WR-CALNAME:Birthdays\r\n",
    )
    report = _import(admin_ctx, data)
    assert report.notes.skipped_count == 0
    lo, hi = datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)
    assert _starts(admin_ctx, lo, hi) == [date(2027, 3, 15), date(2027, 7, 4)]
