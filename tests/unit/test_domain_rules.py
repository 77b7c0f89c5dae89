"""Every domain rule refuses bad events with a clear ValidationError naming the rule; services
refuse the same events and store nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.events import Event, EventKind, validate_event
from sessions_tui.domain.model import parse_roles, validate_login
from sessions_tui.domain.recurrence import normalize_rrule
from sessions_tui.domain.timeutil import parse_aware, parse_date, zone
from sessions_tui.services import scheduling
from sessions_tui.services.context import Context
from sessions_tui.store.tables import EventRow

from ._helpers import edit_event

T0 = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def session(**kw: object) -> Event:
    base: dict[str, object] = {
        "kind": EventKind.SESSION,
        "start": T0,
        "end": T0 + HOUR,
        "tzid": "America/Chicago",
        "practitioner_id": 1,
        "client_id": 1,
    }
    base.update(kw)
    return Event(**base)  # type: ignore[arg-type]


def other(**kw: object) -> Event:
    base: dict[str, object] = {
        "kind": EventKind.OTHER,
        "title": "Lunch",
        "start": T0,
        "end": T0 + HOUR,
        "tzid": "UTC",
    }
    base.update(kw)
    return Event(**base)  # type: ignore[arg-type]


BAD = [
    pytest.param(session(end=T0 - HOUR), "end", "end must be after start", id="end-before-start"),
    pytest.param(session(end=T0), "end", "end must be after start", id="end-equals-start"),
    pytest.param(
        other(all_day=True, start=date(2026, 11, 26), end=date(2026, 11, 26)),
        "end",
        "end must be after start",
        id="all-day-zero-days",
    ),
    pytest.param(
        session(all_day=True, start=date(2026, 11, 25), end=date(2026, 11, 26)),
        "all_day",
        "client session cannot be all-day",
        id="session-all-day",
    ),
    pytest.param(
        session(practitioner_id=None),
        "practitioner",
        "needs a practitioner",
        id="session-no-practitioner",
    ),
    pytest.param(session(client_id=None), "client", "needs a client", id="session-no-client"),
    pytest.param(
        other(all_day=True), "start", "all-day event has dates, not times", id="all-day-with-times"
    ),
    pytest.param(
        other(start=date(2026, 11, 25), end=date(2026, 11, 26)),
        "start",
        "timed event needs a start and end time",
        id="timed-with-dates",
    ),
    pytest.param(
        other(start=datetime(2026, 11, 25, 9), end=datetime(2026, 11, 25, 10)),
        "start",
        "start time has no time zone",
        id="naive-start",
    ),
    pytest.param(
        other(end=datetime(2026, 11, 25, 17)), "end", "end time has no time zone", id="naive-end"
    ),
    pytest.param(
        other(tzid="Mars/Olympus_Mons"),
        None,
        "unknown time zone 'Mars/Olympus_Mons'",
        id="unknown-zone",
    ),
    pytest.param(other(tzid=""), None, "unknown time zone", id="empty-zone"),
    pytest.param(other(title="   "), "title", "needs a title", id="other-without-title"),
    pytest.param(
        other(rrule="FREQ=FORTNIGHTLY"),
        "rrule",
        "unsupported recurrence frequency",
        id="rrule-bad-freq",
    ),
    pytest.param(other(rrule="BYDAY=MO"), "rrule", "needs FREQ", id="rrule-no-freq"),
    pytest.param(
        other(rrule="FREQ=WEEKLY;COUNT=2;UNTIL=20270101T000000Z"),
        "rrule",
        "both COUNT and UNTIL",
        id="rrule-count-and-until",
    ),
    pytest.param(
        other(rrule="FREQ=WEEKLY;BYDAY=XX"), "rrule", "bad BYDAY value", id="rrule-bad-byday"
    ),
    pytest.param(
        other(rrule="FREQ=WEEKLY;UNTIL=yesterday"), "rrule", "bad UNTIL", id="rrule-bad-until"
    ),
    pytest.param(
        other(rrule="FREQ=WEEKLY;UNTIL=20200101T000000Z"),
        "rrule",
        "produces no occurrence",
        id="rrule-until-before-start",
    ),
    pytest.param(
        other(rrule="FREQ=MINUTELY"),
        "rrule",
        "unsupported recurrence frequency",
        id="rrule-minutely",
    ),
    pytest.param(other(rrule="FREQ"), "rrule", "bad recurrence rule part", id="rrule-garbage"),
    pytest.param(other(rrule=""), "rrule", "empty recurrence rule", id="rrule-empty"),
]


@pytest.mark.parametrize(("event", "field", "message"), BAD)
def test_validate_event_refuses(event: Event, field: str | None, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as info:
        validate_event(event)
    assert info.value.field == field
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("event", "field", "message"), BAD)
def test_create_event_refuses_and_stores_nothing(
    admin_ctx: Context, event: Event, field: str | None, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        scheduling.create_event(admin_ctx, event)
    with admin_ctx.db.session() as s:
        assert s.execute(select(func.count()).select_from(EventRow)).scalar_one() == 0


def test_valid_events_are_normalised_to_utc() -> None:
    chicago = zone("America/Chicago")
    ev = validate_event(
        other(
            start=datetime(2026, 11, 25, 9, tzinfo=chicago),
            end=datetime(2026, 11, 25, 10, tzinfo=chicago),
            tzid="America/Chicago",
            rrule="rrule:freq=weekly;until=20261231",
        )
    )
    assert ev.start == datetime(2026, 11, 25, 15, tzinfo=UTC)
    assert isinstance(ev.start, datetime)
    assert ev.start.tzinfo is UTC
    # A date UNTIL on a timed series means the end of that local day, stored in UTC.
    assert ev.rrule == "FREQ=WEEKLY;UNTIL=20270101T055959Z"


def test_update_to_end_before_start_is_refused_and_nothing_changes(admin_ctx: Context) -> None:
    ev = scheduling.create_event(admin_ctx, other())
    assert ev.id is not None
    with pytest.raises(ValidationError, match="end must be after start"):
        edit_event(admin_ctx, ev.id, end=T0 - HOUR)
    assert scheduling.get_event(admin_ctx, ev.id) == ev


def test_session_for_unknown_practitioner_is_refused(admin_ctx: Context) -> None:
    from sessions_tui.domain.errors import NotFoundError

    with pytest.raises(NotFoundError, match="no practitioner with id 999"):
        scheduling.create_event(admin_ctx, session(practitioner_id=999))


@pytest.mark.parametrize("name", ["Not/A_Zone", "America/Chicag", "../etc/passwd", "/UTC", " UTC"])
def test_zone_refuses_unknown_names(name: str) -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        zone(name)


def test_zone_accepts_iana_names() -> None:
    assert zone("Australia/Lord_Howe").key == "Australia/Lord_Howe"


def test_parsers_refuse_with_clear_messages() -> None:
    with pytest.raises(
        ValidationError, match=r"bad --from date '2026-13-01': month must be in 1\.\.12"
    ):
        parse_date("2026-13-01", "--from date")
    with pytest.raises(ValidationError, match=r"bad date '2027-02-30': day is out of range"):
        parse_date("2027-02-30")  # the right shape: say what is wrong with the day
    with pytest.raises(ValidationError, match="needs an offset"):
        parse_aware("2026-11-25T10:00:00")
    with pytest.raises(ValidationError, match="expected ISO 8601"):
        parse_aware("tomorrow")


def test_login_and_roles_rules() -> None:
    with pytest.raises(ValidationError, match="bad login"):
        validate_login("has space")
    with pytest.raises(ValidationError, match="unknown role 'doctor'"):
        parse_roles("practitioner,doctor")
    with pytest.raises(ValidationError, match="at least one role"):
        parse_roles(" , ")


def test_normalize_rrule_keeps_a_valid_rule() -> None:
    ev = other()
    assert normalize_rrule("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=4", ev) == (
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=4"
    )
