"""Issue 18: an import from a file reads it in blocks, never whole, and stores exactly what the
same bytes imported from memory store; a bad byte late in the file still names its line and
changes nothing."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sessions_tui.services.context import Context
from sessions_tui.store.tables import EventRow, ExdateRow
from sessions_tui.store.write_guard import writing
from sessions_tui.sync.ics import IcsError, import_calendar
from sessions_tui.sync.ics import parse as ics_parse
from sessions_tui.sync.ics.parse import file_blocks

_ZONE = """BEGIN:VTIMEZONE\r
TZID:Custom Central\r
BEGIN:STANDARD\r
DTSTART:19701101T020000\r
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r
TZOFFSETFROM:-0500\r
TZOFFSETTO:-0600\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:19700308T020000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r
TZOFFSETFROM:-0600\r
TZOFFSETTO:-0500\r
END:DAYLIGHT\r
END:VTIMEZONE\r
"""


def _event(n: int) -> str:
    day = 1 + n % 28
    # A long SUMMARY with multi-byte characters, folded over several lines.
    summary = f"Séance n°{n} — " + "Überweisung café " * 6
    folded = summary.encode()
    pieces = [folded[i : i + 60] for i in range(0, len(folded), 60)]
    text = "\r\n ".join(p.decode("utf-8", "ignore") for p in pieces)
    lines = [
        "BEGIN:VEVENT",
        f"UID:stream-{n}@test.invalid",
        f"DTSTART;TZID=Custom Central:202605{day:02d}T09{n % 60:02d}00",
        f"DTEND;TZID=Custom Central:202605{day:02d}T10{n % 60:02d}00",
        f"SUMMARY:{text}",
    ]
    if n % 10 == 0:
        lines += [
            "RRULE:FREQ=WEEKLY;COUNT=5",
            f"EXDATE;TZID=Custom Central:202606{day:02d}T09{n % 60:02d}00",
        ]
    lines.append("END:VEVENT")
    return "\r\n".join(lines) + "\r\n"


def _calendar(count: int) -> bytes:
    # The VTIMEZONE comes after the events (some producers write it last): the block reader
    # must still find it before the first event is read.
    body = "".join(_event(n) for n in range(count))
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//stream//EN\r\n"
        "X-WR-CALNAME:Streamed\r\n" + body + _ZONE + "END:VCALENDAR\r\n"
    )
    return b"\xef\xbb\xbf" + text.encode()


def _rows(ctx: Context) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    ev = EventRow.__table__  # type: ignore[attr-defined]
    ex = ExdateRow.__table__  # type: ignore[attr-defined]
    skip = {"id", "series_id", "created_at", "updated_at"}
    cols = [c for c in ev.c if c.name not in skip]
    with ctx.db.session() as s:
        events = sorted(tuple(r) for r in s.execute(select(*cols)))
        exdates = sorted(
            tuple(r)
            for r in s.execute(
                select(ev.c.uid, ex.c.recurrence_key).join(ev, ev.c.id == ex.c.series_id)
            )
        )
    return events, exdates


def _delete_all(ctx: Context) -> None:
    with writing(), ctx.db.session() as s:  # a clean slate between examples
        s.execute(ExdateRow.__table__.delete())  # type: ignore[attr-defined]
        s.execute(EventRow.__table__.delete())  # type: ignore[attr-defined]


def test_a_file_is_read_in_blocks_and_stores_what_its_bytes_store(
    admin_ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    me = admin_ctx.require_actor()
    data = _calendar(400)
    in_memory = import_calendar(admin_ctx, data, practitioner_id=me.id, name="s.ics")
    expected = _rows(admin_ctx)
    _delete_all(admin_ctx)

    size = 4096
    blocks: list[str] = []
    reads: list[int] = []

    def observed(fp: Any, name: str, _size: int = size, **kw: Any) -> Any:
        for block in file_blocks(fp, name, size, **kw):
            blocks.append(block)
            yield block

    class File(io.BytesIO):
        def read(self, n: int | None = -1, /) -> bytes:
            reads.append(-1 if n is None else n)
            return super().read(n)

    monkeypatch.setattr("sessions_tui.sync.ics.importer.file_blocks", observed)
    streamed = import_calendar(admin_ctx, File(data), practitioner_id=me.id, name="s.ics")

    assert streamed.summary() == in_memory.summary()
    assert _rows(admin_ctx) == expected
    # Read twice (zones and label first, then the events), in bounded reads, never whole:
    # every block is at most one read plus the content line it had to finish.
    longest = max(len(line) for line in data.decode("utf-8-sig").split("\r\n")) * 4
    assert reads
    assert all(0 < n <= size for n in reads)
    assert "".join(blocks) == 2 * data.decode("utf-8-sig")
    assert len(blocks) > 2 * (len(data) // (2 * size))
    assert max(len(b.encode()) for b in blocks) <= size + longest
    # Each block ends where a content line ends: never inside a fold.
    assert all(b.endswith("\r\n") for b in blocks)
    assert not any(b.startswith((" ", "\t")) for b in blocks)


def test_a_bad_byte_late_in_a_file_names_its_line_and_changes_nothing(
    admin_ctx: Context, tmp_path: Path
) -> None:
    me = admin_ctx.require_actor()
    text = _calendar(300)
    at = text.index(b"stream-250@")
    line = text.count(b"\n", 0, at) + 1
    bad = text[:at] + b"\x81" + text[at:]  # neither UTF-8 nor Windows-1252
    path = tmp_path / "bad.ics"
    path.write_bytes(bad)
    before = _rows(admin_ctx)
    with pytest.raises(IcsError) as caught, path.open("rb") as fp:
        import_calendar(admin_ctx, fp, practitioner_id=me.id, name="bad.ics")
    assert caught.value.message.startswith(f"bad.ics line {line}: not UTF-8 text")
    assert _rows(admin_ctx) == before
    # The same bytes from memory give the same line.
    with pytest.raises(IcsError) as again:
        import_calendar(admin_ctx, bad, practitioner_id=me.id, name="bad.ics")
    assert again.value.message == caught.value.message


def test_blocks_end_on_content_lines_for_every_read_size() -> None:
    data = _calendar(12)
    text = data.decode("utf-8-sig")
    for size in (1, 2, 3, 7, 64, 75, 76, 77, 500, 1 << 20):
        blocks = list(file_blocks(io.BytesIO(data), "x.ics", size))
        assert "".join(blocks) == text, size
        assert all(b.endswith("\n") for b in blocks[:-1]), size
        assert not any(b[:1] in (" ", "\t") for b in blocks), size


def test_the_cli_hands_the_open_file_to_the_import(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[object] = []
    real = ics_parse.file_blocks

    def spy(fp: Any, name: str, size: int = ics_parse._READ, **kw: Any) -> Any:
        seen.append(fp)
        return real(fp, name, size, **kw)

    monkeypatch.setattr("sessions_tui.sync.ics.importer.file_blocks", spy)
    from click.testing import CliRunner

    from sessions_tui.cli.main import cli

    runner = CliRunner()
    ics = tmp_path / "s.ics"
    ics.write_bytes(_calendar(5))
    db = "sqlite:///" + str(tmp_path / "p.db")
    add = ["staff", "add", "admin", "--name", "Ada", "--role", "admin", "--db", db]
    assert runner.invoke(cli, [*add, "--role", "practitioner"]).exit_code == 0
    result = runner.invoke(cli, ["ics", "import", str(ics), "--practitioner", "admin", "--db", db])
    assert result.exit_code == 0, result.output
    assert "5 added" in result.output
    assert seen
    assert all(not isinstance(fp, bytes | str) for fp in seen)


def _cal(*events: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
        + "".join(events)
        + ("END:VCALENDAR\r\n")
    )


def _ev(uid: str, *extra: str, start: str = "20260504T090000Z") -> str:
    end = f"{start[:9]}{int(start[9:11]) + 1:02d}{start[11:]}"
    lines = ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTART:{start}", f"DTEND:{end}", *extra]
    return "\r\n".join([*lines, "END:VEVENT"]) + "\r\n"


def _uids(ctx: Context) -> set[str]:
    ev = EventRow.__table__  # type: ignore[attr-defined]
    with ctx.db.session() as s:
        return set(s.execute(select(ev.c.uid)).scalars())


def test_the_same_event_twice_is_refused_naming_both_lines(admin_ctx: Context) -> None:
    me = admin_ctx.require_actor()
    one = _ev("a@t", "SUMMARY:first")
    cases = [
        (_cal(one, _ev("b@t"), _ev("a@t", "SUMMARY:again")), 0, 2),
        # An override given twice (an RDATE listing one date twice is one date: issue 26).
        (
            _cal(
                _ev("s@t", "RRULE:FREQ=DAILY;COUNT=3"),
                _ev("s@t", "RECURRENCE-ID:20260505T090000Z", start="20260505T110000Z"),
                _ev("s@t", "RECURRENCE-ID:20260505T090000Z", start="20260505T120000Z"),
            ),
            1,
            2,
        ),
    ]
    for text, first_at, again_at in cases:
        begins = [n for n, line in enumerate(text.split("\r\n"), 1) if line == "BEGIN:VEVENT"]
        first, again = begins[first_at], begins[again_at]
        with pytest.raises(IcsError) as caught:
            import_calendar(admin_ctx, text, practitioner_id=me.id, name="d.ics", strict=True)
        assert f"d.ics line {again} " in caught.value.message
        assert f"appears again (first at line {first})" in caught.value.message
        assert _uids(admin_ctx) == set()


def test_a_later_file_removes_the_overrides_and_rdates_it_no_longer_has(
    admin_ctx: Context,
) -> None:
    me = admin_ctx.require_actor()
    series = _ev("s@t", "RRULE:FREQ=DAILY;COUNT=5", "RDATE:20260601T090000Z")
    moved = _ev("s@t", "RECURRENCE-ID:20260505T090000Z", start="20260505T110000Z")
    other = _ev("o@t", "RRULE:FREQ=DAILY;COUNT=2", "RDATE:20260701T090000Z")
    first = import_calendar(
        admin_ctx, _cal(series, moved, other), practitioner_id=me.id, name="x.ics"
    )
    assert first.added == 5
    kept_apart = _uids(admin_ctx)
    # The second file keeps the series, without its override and its RDATE; the other
    # series (and its RDATE) is not in it and is left alone.
    again = import_calendar(
        admin_ctx, _cal(_ev("s@t", "RRULE:FREQ=DAILY;COUNT=5")), practitioner_id=me.id, name="x.ics"
    )
    assert again.removed == 2
    gone = kept_apart - _uids(admin_ctx)
    assert len(gone) == 2
    assert all(uid.startswith("s@t#") for uid in gone)
    assert {u for u in kept_apart if u.startswith("o@t")} <= _uids(admin_ctx)
