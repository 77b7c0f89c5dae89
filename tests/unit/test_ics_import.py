"""ICS import: producers' quirks, re-import by UID, all-or-nothing errors, round trips."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from sessions_tui.domain.errors import PermissionDenied
from sessions_tui.domain.events import Event, EventKind, Status
from sessions_tui.domain.officehours import WeeklyHours, WeeklyInterval
from sessions_tui.services import hours, practice, scheduling
from sessions_tui.services.context import Context, make_context
from sessions_tui.store.db import Database
from sessions_tui.store.tables import EventRow, ExdateRow
from sessions_tui.sync.ics import IcsError, export_calendar, import_calendar

DATA = Path(__file__).parent.parent / "data"
UTCZ = ZoneInfo("UTC")


def _count(ctx: Context) -> tuple[int, int]:
    with ctx.db.session() as s:
        return (
            s.execute(select(func.count()).select_from(EventRow)).scalar_one(),
            s.execute(select(func.count()).select_from(ExdateRow)).scalar_one(),
        )


def _occ(
    ctx: Context, start: datetime, end: datetime, pid: int
) -> list[tuple[object, object, str, str]]:
    return [
        (o.start, o.end, o.event.title, o.event.status.value)
        for o in scheduling.occurrences_in(ctx, start, end, UTCZ, practitioner_ids=[pid])
        if o.event.practitioner_id == pid
    ]


def _import(ctx: Context, name: str, pid: int, **kw: object) -> object:
    return import_calendar(ctx, (DATA / name).read_bytes(), practitioner_id=pid, name=name, **kw)  # type: ignore[arg-type]


WIN = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC))


def test_google_export(admin_ctx: Context) -> None:
    me = admin_ctx.require_actor()
    report = _import(admin_ctx, "google.ics", me.id)
    assert "Maya private" in report.summary()  # type: ignore[attr-defined]
    occ = _occ(admin_ctx, *WIN, me.id)
    chicago = ZoneInfo("America/Chicago")
    group = [o for o in occ if o[2].startswith("Peer consultation")]
    # Mondays 19 Oct .. 14 Dec = 9, minus the 2 Nov exdate; 16 Nov moved to 11:30.
    assert len(group) == 8
    starts = {o[0].astimezone(chicago) for o in group}  # type: ignore[attr-defined]
    assert datetime(2026, 11, 2, 9, tzinfo=chicago) not in starts
    assert datetime(2026, 11, 16, 11, 30, tzinfo=chicago) in starts
    assert all(s.time() in (time(9), time(11, 30)) for s in starts)  # across the DST change
    dentist = next(o for o in occ if o[2] == "Dentist")
    assert dentist[0] == datetime(2026, 12, 3, 15, tzinfo=UTC)
    ooo = next(o for o in occ if o[2] == "Out of office")
    assert (ooo[0], ooo[1]) == (date(2026, 12, 24), date(2026, 12, 28))
    webinar = next(o for o in occ if o[2] == "Webinar")
    assert webinar[3] == Status.CANCELLED.value
    with admin_ctx.db.session() as s:
        free = s.execute(
            select(EventRow.busy).where(EventRow.title == "Out of office")
        ).scalar_one()
        dentist_zone = s.execute(
            select(EventRow.tzid).where(EventRow.title == "Dentist")
        ).scalar_one()
    assert free is False
    assert dentist_zone == "America/Chicago"  # a UTC one-off takes X-WR-TIMEZONE


def test_outlook_windows_and_custom_zones(admin_ctx: Context) -> None:
    me = admin_ctx.require_actor()
    _import(admin_ctx, "outlook.ics", me.id)
    occ = _occ(admin_ctx, *WIN, me.id)
    berlin = ZoneInfo("Europe/Berlin")
    team = [o for o in occ if o[2] == "Teambesprechung"]
    assert len(team) == 5  # 6 Tuesdays minus the 3 Nov exdate
    assert {o[0].astimezone(berlin).time() for o in team} == {time(14)}  # type: ignore[attr-defined]
    call = next(o for o in occ if o[2] == "Call with insurer")
    assert call[0] == datetime(2026, 11, 10, 15, tzinfo=UTC)  # custom zone = US Eastern (EST)
    board = next(o for o in occ if o[2] == "Board meeting")
    assert board[0] == datetime(2026, 11, 12, 14, tzinfo=UTC)
    with admin_ctx.db.session() as s:
        zones: dict[str, str] = dict(s.execute(select(EventRow.title, EventRow.tzid)).all())
        busy: dict[str, bool] = dict(s.execute(select(EventRow.title, EventRow.busy)).all())
    assert zones["Teambesprechung"] == "Europe/Berlin"
    assert zones["Board meeting"] == "America/New_York"
    assert busy["Board meeting"] is False


def test_apple_all_day_floating_and_duration(admin_ctx: Context) -> None:
    me = admin_ctx.require_actor()
    _import(admin_ctx, "apple.ics", me.id)
    occ = _occ(admin_ctx, *WIN, me.id)
    london = ZoneInfo("Europe/London")
    leeds = next(o for o in occ if o[2] == "Conference in Leeds")
    assert (leeds[0], leeds[1]) == (date(2026, 11, 18), date(2026, 11, 21))
    anniversary = next(o for o in occ if o[2] == "Anniversary")
    assert (anniversary[0], anniversary[1]) == (date(2026, 12, 1), date(2026, 12, 2))
    yoga = next(o for o in occ if o[2] == "Yoga (floating)")
    assert yoga[0] == datetime(2026, 11, 22, 8, 30, tzinfo=london)  # X-WR-TIMEZONE
    choir = [o for o in occ if o[2] == "Choir"]
    assert len(choir) == 4  # 25 Nov .. 16 Dec (date UNTIL includes that day)
    assert all(o[1] - o[0] == timedelta(minutes=90) for o in choir)  # type: ignore[operator]


def test_thunderbird_vendor_tzid_rdate_and_cancelled_override(admin_ctx: Context) -> None:
    me = admin_ctx.require_actor()
    _import(admin_ctx, "thunderbird.ics", me.id)
    occ = _occ(admin_ctx, *WIN, me.id)
    sup = sorted((o for o in occ if o[2].startswith("Supervision")), key=lambda o: o[0])  # type: ignore[arg-type,return-value]
    berlin = ZoneInfo("Europe/Berlin")
    days = [(o[0].astimezone(berlin).date(), o[3]) for o in sup]  # type: ignore[attr-defined]
    assert days == [
        (date(2026, 10, 19), "scheduled"),
        (date(2026, 10, 26), "cancelled"),
        (date(2026, 11, 2), "scheduled"),
        (date(2026, 11, 9), "scheduled"),
        (date(2026, 11, 30), "scheduled"),  # the RDATE
    ]
    assert all(o[0].astimezone(berlin).time() == time(16) for o in sup)  # type: ignore[attr-defined]


def test_floating_times_use_the_practitioners_office_hours_zone(admin_ctx: Context) -> None:
    me = admin_ctx.require_actor()
    hours.set_hours(
        admin_ctx, WeeklyHours("Asia/Tokyo", (WeeklyInterval(0, time(9), time(17)),), me.id)
    )
    text = (DATA / "apple.ics").read_text().replace("X-WR-TIMEZONE:Europe/London\n", "")
    import_calendar(admin_ctx, text, practitioner_id=me.id, name="apple.ics")
    yoga = next(o for o in _occ(admin_ctx, *WIN, me.id) if o[2] == "Yoga (floating)")
    assert yoga[0] == datetime(2026, 11, 22, 8, 30, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_holidays_multi_day_and_reimport_adds_nothing(admin_ctx: Context) -> None:
    me = admin_ctx.require_actor()
    first = _import(admin_ctx, "holidays.ics", me.id, label="US holidays")
    counts = _count(admin_ctx)
    again = _import(admin_ctx, "holidays.ics", me.id, label="US holidays")
    assert _count(admin_ctx) == counts
    assert (first.added, again.added, again.updated, again.unchanged) == (3, 0, 0, 3)  # type: ignore[attr-defined]
    occ = _occ(
        admin_ctx, datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 5, tzinfo=UTC), me.id
    )
    brk = next(o for o in occ if o[2] == "Winter break")
    assert (brk[0], brk[1]) == (date(2026, 12, 23), date(2027, 1, 3))
    with admin_ctx.db.session() as s:
        labels = set(s.execute(select(EventRow.source_calendar)).scalars())
    assert labels == {"US holidays"}


def test_reimport_updates_by_uid(admin_ctx: Context) -> None:
    me = admin_ctx.require_actor()
    _import(admin_ctx, "google.ics", me.id)
    counts = _count(admin_ctx)
    text = (DATA / "google.ics").read_bytes().decode()
    changed = (
        text.replace("SUMMARY:Dentist", "SUMMARY:Dentist (rebooked)")
        .replace("DTSTART:20261203T150000Z", "DTSTART:20261203T160000Z")
        .replace("EXDATE;TZID=America/Chicago:20261102T090000\r\n", "")
    )
    report = import_calendar(admin_ctx, changed, practitioner_id=me.id, name="google.ics")
    assert report.added == 0
    assert report.updated == 1  # the dentist; the dropped EXDATE is not an event row
    assert _count(admin_ctx) == (counts[0], counts[1] - 1)
    occ = _occ(admin_ctx, *WIN, me.id)
    assert any(
        o[2] == "Dentist (rebooked)" and o[0] == datetime(2026, 12, 3, 16, tzinfo=UTC) for o in occ
    )
    assert not any(o[2] == "Dentist" for o in occ)
    assert len([o for o in occ if o[2].startswith("Peer consultation")]) == 9


def test_two_practitioners_import_the_same_file(demo_ctx: Context) -> None:
    ben = practice.find_practitioner(demo_ctx, "ben")
    dev = practice.find_practitioner(demo_ctx, "dev")
    _import(demo_ctx, "holidays.ics", ben.id)
    _import(demo_ctx, "holidays.ics", dev.id)
    for p in (ben, dev):
        titles = [
            o[2]
            for o in _occ(
                demo_ctx, datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 5, tzinfo=UTC), p.id
            )
        ]
        assert titles.count("Winter break") == 1
    # Exported, the UIDs are the file's own again.
    data = export_calendar(demo_ctx, practitioner_id=ben.id)
    assert b"UID:winter-break@holidays.example\r\n" in data


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20261201T100000Z\r\n",
            "line 27: BEGIN:VEVENT is never ended",
        ),
        (
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:2026-13-45\r\nEND:VEVENT\r\n"
            "END:VCALENDAR\r\n",
            "line 27 (UID a): bad DTSTART",
        ),
        (
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:b\r\nDTSTART:20261201T100000Z\r\n"
            "DTEND:20261201T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "DTEND is before DTSTART",
        ),
        (
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:c\r\nDTSTART:20261201T100000Z\r\n"
            "RRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "(UID c): unsupported",
        ),
        ("hello\r\n", "not an iCalendar file"),
        ("", "empty"),
    ],
)
def test_malformed_input_is_reported_and_changes_nothing(
    admin_ctx: Context, text: str, where: str
) -> None:
    me = admin_ctx.require_actor()
    good = (DATA / "holidays.ics").read_bytes().decode()
    # A good event first: it must not be stored when a later one is bad.
    bad = good.replace("END:VCALENDAR\r\n", "") + text.replace("BEGIN:VCALENDAR\r\n", "", 1)
    if not text.startswith("BEGIN:VCALENDAR"):
        bad = text
    before = _count(admin_ctx)
    with pytest.raises(IcsError) as info:
        import_calendar(admin_ctx, bad, practitioner_id=me.id, name="bad.ics", strict=True)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("bad.ics")
    assert where in message
    assert _count(admin_ctx) == before


def test_practitioner_may_not_import_into_another_calendar(
    demo_db: Database, clock: object
) -> None:
    ben_ctx = make_context(demo_db, clock, "ben")  # type: ignore[arg-type]
    carmen = practice.find_practitioner(ben_ctx, "carmen")
    with pytest.raises(PermissionDenied):
        _import(ben_ctx, "holidays.ics", carmen.id)


def test_cli_import_and_export(demo_db: Database, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from sessions_tui.cli.main import cli

    url = str(demo_db.url)
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "ics",
            "import",
            str(DATA / "google.ics"),
            "--practitioner",
            "ben",
            "--db",
            url,
            "--user",
            "alice",
        ],
        env={"SESSIONS_TUI_NOW": "2026-11-25T16:00:00+00:00"},
    )
    assert result.exit_code == 0, result.output
    assert "5 events" in result.output
    out = tmp_path / "ben.ics"
    result = runner.invoke(
        cli,
        ["ics", "export", "--practitioner", "ben", "-o", str(out), "--db", url, "--user", "ben"],
    )
    assert result.exit_code == 0, result.output
    assert b"Peer consultation group" in out.read_bytes()
    result = runner.invoke(
        cli, ["ics", "export", "--identifier", "full", "--db", url, "--user", "alice"]
    )
    assert result.exit_code != 0
    result = runner.invoke(
        cli, ["ics", "url", "--practitioner", "ben", "--db", url, "--user", "alice"]
    )
    assert result.exit_code == 0
    assert result.output.startswith("http://127.0.0.1:8765/feeds/")


# --- round trip: export -> import -> export -----------------------------------------------------

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"]
RULES = [
    None,
    "FREQ=DAILY;COUNT=5",
    "FREQ=WEEKLY;COUNT=10",
    "FREQ=MONTHLY;COUNT=4",
    "FREQ=WEEKLY;INTERVAL=2",
]
spec = st.tuples(
    st.sampled_from(ZONES),
    st.integers(0, 200),
    st.integers(4, 22),
    st.sampled_from([30, 50, 120]),
    st.sampled_from(RULES),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.text("abcXYZ é-", min_size=1, max_size=12),
)


def _normalize(data: bytes) -> list[tuple[str, ...]]:
    cal = icalendar.Calendar.from_ical(data)
    keep = (
        "UID",
        "DTSTART",
        "DTEND",
        "RRULE",
        "EXDATE",
        "RECURRENCE-ID",
        "SUMMARY",
        "STATUS",
        "TRANSP",
        "SEQUENCE",
        "LOCATION",
    )
    out = []
    for ev in cal.walk("VEVENT"):
        out.append(
            tuple(
                b",".join(
                    v.to_ical()  # type: ignore[misc]
                    for v in (ev[k] if isinstance(ev[k], list) else [ev[k]])
                ).decode()
                + str(sorted(ev[k].params.items()) if hasattr(ev[k], "params") else "")
                if k in ev
                else ""
                for k in keep
            )
        )
    return sorted(out)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=st.lists(spec, min_size=1, max_size=5))
def test_property_export_import_export_is_stable(
    tmp_path_factory: pytest.TempPathFactory,
    specs: list[tuple],  # type: ignore[type-arg]
) -> None:
    from sessions_tui.clock import FixedClock
    from sessions_tui.domain.model import Role
    from sessions_tui.store.db import open_database

    clock = FixedClock(datetime(2026, 11, 25, 16, tzinfo=UTC))

    def fresh() -> Context:
        db = open_database(str(tmp_path_factory.mktemp("rt") / "p.db"))
        ctx = Context(db, clock, None)
        admin = practice.add_staff(ctx, "admin", "Ada Admin", {Role.ADMIN, Role.PRACTITIONER})
        return Context(db, clock, admin)

    a = fresh()
    me = a.require_actor()
    for tzid, day, hour, minutes, rule, all_day, busy, cancelled, title in specs:
        first = date(2026, 9, 1) + timedelta(days=day)
        if all_day:
            ev = Event(
                kind=EventKind.OTHER,
                title=title,
                start=first,
                end=first + timedelta(days=1 + minutes // 60),
                tzid=tzid,
                all_day=True,
                practitioner_id=me.id,
                busy=busy,
                rrule=rule,
            )
        else:
            start = datetime.combine(first, time(hour), tzinfo=ZoneInfo(tzid))
            ev = Event(
                kind=EventKind.OTHER,
                title=title,
                start=start,
                end=start + timedelta(minutes=minutes),
                tzid=tzid,
                practitioner_id=me.id,
                busy=busy,
                rrule=rule,
            )
        if cancelled:
            ev = ev.with_changes(status=Status.CANCELLED)
        if not ev.title.strip():
            continue
        scheduling.create_event(a, ev)
    one = export_calendar(a, practitioner_id=me.id)
    b = fresh()
    import_calendar(b, one, practitioner_id=me.id, name="one.ics")
    two = export_calendar(b, practitioner_id=me.id)
    c = fresh()
    import_calendar(c, two, practitioner_id=me.id, name="two.ics")
    three = export_calendar(c, practitioner_id=me.id)
    assert _normalize(one) == _normalize(two)
    assert two == three
    for ctx in (a, b, c):
        ctx.db.dispose()
