"""The hand-written ICS reading and writing: folding, escaping, line ends, line numbers, and
agreement with icalendar (the reference) on every VEVENT of the producer fixtures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from sessions_tui.domain.events import Event, EventKind
from sessions_tui.services import scheduling
from sessions_tui.services.context import Context
from sessions_tui.store.tables import EventRow
from sessions_tui.sync.ics import IcsError, export_calendar, import_calendar
from sessions_tui.sync.ics_read import (
    FastReader,
    from_icalendar,
    iter_vevents,
    prescan,
    register_timezones,
)
from sessions_tui.sync.ics_text import (
    escape_text,
    fold_line,
    iter_content_lines,
    split_content_line,
    unescape_text,
)

DATA = Path(__file__).parent.parent / "data"


# --- folding and escaping -----------------------------------------------------------------------


@given(st.text(min_size=0, max_size=400))
def test_fold_line_keeps_75_octets_and_whole_characters(text: str) -> None:
    line = "SUMMARY:" + escape_text(text)
    folded = fold_line(line)
    assert folded.endswith("\r\n")
    physical = folded[:-2].split("\r\n")
    for i, piece in enumerate(physical):
        assert len(piece.encode("utf-8")) <= 75
        if i:
            assert piece.startswith(" ")
    # Unfolding (remove CRLF + one space) gives the line back.
    assert folded[:-2].replace("\r\n ", "") == line


def test_fold_line_does_not_split_multibyte_characters() -> None:
    line = "SUMMARY:" + "é" * 30 + "日本語のテキスト" * 5 + "🙂" * 10
    folded = fold_line(line)
    for piece in folded[:-2].split("\r\n"):
        encoded = piece.encode("utf-8")  # would raise on a split character
        assert len(encoded) <= 75
    assert folded[:-2].replace("\r\n ", "") == line
    assert fold_line("SHORT:x") == "SHORT:x\r\n"


@given(st.text(min_size=0, max_size=80))
def test_escape_then_unescape_is_identity(text: str) -> None:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    escaped = escape_text(text)
    assert "\n" not in escaped
    for ch in ";,":
        assert escaped.count(ch) == escaped.count("\\" + ch)
    assert unescape_text(escaped) == text
    # icalendar reads our escaping the same way.
    ev = icalendar.Event.from_ical(f"BEGIN:VEVENT\r\nSUMMARY:{escaped}\r\nEND:VEVENT\r\n")
    assert str(ev["SUMMARY"]) == text


def test_escape_text_examples() -> None:
    assert escape_text("a\\b;c,d\ne") == "a\\\\b\\;c\\,d\\ne"
    assert unescape_text("a\\\\b\\;c\\,d\\ne\\Nf\\:g") == "a\\b;c,d\ne\nf:g"
    assert unescape_text("keep \\x") == "keep \\x"


def test_split_content_line_quoted_parameters() -> None:
    assert split_content_line('DTSTART;TZID="Odd: zone";VALUE=DATE-TIME:20261201T100000') == (
        "DTSTART",
        'TZID="Odd: zone";VALUE=DATE-TIME',
        "20261201T100000",
    )
    assert split_content_line("summary:a:b") == ("SUMMARY", "", "a:b")
    assert split_content_line("no colon here") is None
    assert split_content_line("BAD NAME:x") is None


def test_content_lines_with_crlf_lf_cr_and_folds() -> None:
    text = "A:1\r\nB:2\nC:3\rD:long\r\n  value\r\n\tmore\n\r\nE:5"
    assert list(iter_content_lines(text)) == [
        (1, "A:1"),
        (2, "B:2"),
        (3, "C:3"),
        (4, "D:long value" + "more"),
        (8, "E:5"),
    ]


# --- export writes correct text ---------------------------------------------------------------


def test_export_folds_escapes_and_reads_back(admin_ctx: Context) -> None:
    me = admin_ctx.require_actor()
    title = "Fortbildung: „Trauma; Bindung, Körper“ \\ Teil 2 – " + "日本語" * 12 + " 🙂 end"
    tz = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 12, 1, 9, tzinfo=tz)
    scheduling.create_event(
        admin_ctx,
        Event(
            kind=EventKind.OTHER,
            title=title,
            start=start,
            end=start + timedelta(hours=2),
            tzid="Europe/Berlin",
            practitioner_id=me.id,
            rrule="FREQ=WEEKLY;COUNT=3",
        ),
        uid="long;uid,with\\specials@test",
    )
    data = export_calendar(admin_ctx, practitioner_id=me.id)
    for raw in data.split(b"\r\n"):
        assert len(raw) <= 75
        raw.decode("utf-8")  # no character split across lines
    assert b"\n" not in data.replace(b"\r\n", b"")
    events = list(icalendar.Calendar.from_ical(data).walk("VEVENT"))
    (ev,) = [e for e in events if str(e["SUMMARY"]) == title]
    assert str(ev["UID"]) == "long;uid,with\\specials@test"
    assert ev.decoded("DTSTART") == start
    assert b"DTSTART;TZID=Europe/Berlin:20261201T090000\r\n" in data
    assert b"BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin" in data
    # And our own import reads the title back unchanged.
    import_calendar(admin_ctx, data, practitioner_id=me.id, name="back.ics")
    with admin_ctx.db.session() as s:
        titles = {r.title for r in s.execute(select(EventRow)).scalars()}
    assert title in titles


def test_export_utc_and_all_day_forms(admin_ctx: Context) -> None:
    me = admin_ctx.require_actor()
    start = datetime(2026, 12, 3, 15, tzinfo=UTC)
    scheduling.create_event(
        admin_ctx,
        Event(
            kind=EventKind.OTHER,
            title="In UTC",
            start=start,
            end=start + timedelta(hours=1),
            tzid="UTC",
            practitioner_id=me.id,
        ),
        uid="utc@test",
    )
    scheduling.create_event(
        admin_ctx,
        scheduling.all_day_event(
            "Off", date(2026, 12, 24), 2, practitioner_id=me.id, busy=False, tzid="UTC"
        ),
        uid="off@test",
    )
    data = export_calendar(admin_ctx, practitioner_id=me.id)
    assert b"DTSTART:20261203T150000Z\r\n" in data
    assert b"DTSTART;VALUE=DATE:20261224\r\nDTEND;VALUE=DATE:20261226\r\n" in data
    assert b"TZID:UTC" not in data  # UTC needs no VTIMEZONE
    assert icalendar.Calendar.from_ical(data).get_missing_tzids() == set()


# --- import: line ends, folds, errors with line numbers ---------------------------------------

MIXED = (
    "BEGIN:VCALENDAR\r\n"
    "VERSION:2.0\n"
    "X-WR-TIMEZONE:Europe/\r\n"
    " Berlin\r\n"
    "BEGIN:VEVENT\n"
    "UID:mixed-1@test\r\n"
    "DTSTART:20261201T100000\n"
    "DTEND:20261201T110000\r\n"
    "SUMMARY:Folded over\r\n"
    "  three\n"
    "\t lines\\, escaped\r\n"
    "END:VEVENT\n"
    "END:VCALENDAR\r\n"
)


def test_import_mixed_line_ends_and_folded_lines(admin_ctx: Context) -> None:
    me = admin_ctx.require_actor()
    report = import_calendar(admin_ctx, MIXED.encode(), practitioner_id=me.id, name="mixed.ics")
    assert report.added == 1
    with admin_ctx.db.session() as s:
        row = s.execute(select(EventRow)).scalars().one()
    assert row.title == "Folded over three lines, escaped"
    assert row.tzid == "Europe/Berlin"  # the folded X-WR-TIMEZONE, for a floating time
    assert row.start_utc == datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("bad_line", "expected"),
    [
        ("DTEND:20261301T110000", "mixed.ics line 5 (UID mixed-1@test): bad DTEND"),
        ("SEQUENCE:two", "mixed.ics line 5 (UID mixed-1@test): bad SEQUENCE"),
    ],
)
def test_malformed_event_reports_its_line(admin_ctx: Context, bad_line: str, expected: str) -> None:
    me = admin_ctx.require_actor()
    text = MIXED.replace("DTEND:20261201T110000\r\n", bad_line + "\r\n")
    good = MIXED.replace("mixed-1@test", "good@test").replace("VERSION:2.0\n", "")
    good_event = good[good.index("BEGIN:VEVENT") : good.index("END:VCALENDAR")]
    text = text.replace("BEGIN:VEVENT\n", good_event + "BEGIN:VEVENT\n", 1)
    # The good event comes first (8 physical lines from line 5), so the bad one is at line 13.
    expected = expected.replace("line 5 ", "line 13 ")
    with pytest.raises(IcsError) as info:
        import_calendar(admin_ctx, text, practitioner_id=me.id, name="mixed.ics", strict=True)
    assert str(info.value).startswith(expected)
    with admin_ctx.db.session() as s:
        assert s.execute(select(EventRow)).first() is None  # all or nothing


def test_structure_errors_name_the_line(admin_ctx: Context) -> None:
    me = admin_ctx.require_actor()
    text = MIXED.replace("END:VEVENT\n", "END:VTODO\n")
    with pytest.raises(IcsError, match=r"mixed.ics line 12: END:VTODO where END:VEVENT"):
        import_calendar(admin_ctx, text, practitioner_id=me.id, name="mixed.ics")
    with pytest.raises(IcsError, match=r"bad.ics line 2: not UTF-8"):
        import_calendar(
            admin_ctx, b"BEGIN:VCALENDAR\r\n\x81\xfe\r\n", practitioner_id=me.id, name="bad.ics"
        )


# --- the hand reader agrees with icalendar ------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["google.ics", "outlook.ics", "apple.ics", "thunderbird.ics", "holidays.ics"]
)
def test_fast_reader_matches_icalendar_on_producer_files(name: str) -> None:
    text = (DATA / name).read_bytes().decode("utf-8-sig")
    _calendars, zones = prescan(text)
    register_timezones(zones)
    fast = FastReader()
    events = list(iter_vevents(text))
    assert len(events) == text.count("BEGIN:VEVENT")
    by_hand = 0
    for raw in events:
        assert raw.lines[0].upper() == "BEGIN:VEVENT"
        assert text.splitlines()[raw.line - 1].strip().upper() == "BEGIN:VEVENT"
        mine = fast.read(raw)
        reference = from_icalendar(raw)
        if mine is not None:
            by_hand += 1
            assert mine == reference, raw.lines
    assert by_hand >= 1  # the common forms really take the fast path


def test_content_lines_do_not_depend_on_the_block_size(monkeypatch: pytest.MonkeyPatch) -> None:
    from sessions_tui.sync import ics_text

    text = (DATA / "outlook.ics").read_text() + MIXED
    whole = list(iter_content_lines(text))
    monkeypatch.setattr(ics_text, "_BLOCK", 7)
    assert list(iter_content_lines(text)) == whole
    assert len(whole) > 40
