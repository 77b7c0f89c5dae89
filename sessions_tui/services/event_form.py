"""Turning what a person typed into an event: field-by-field errors in words.

The editor screen holds an :class:`EventForm` of plain strings and choices; :func:`build_event`
returns the :class:`Event` or raises :class:`FormErrors` naming each bad field. A wall-clock time
that does not exist in the zone (clocks jump forward) is an error; one that happens twice (clocks
fall back) raises :class:`AmbiguousTime` so the form can ask which is meant, then call again with
``fold`` set.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sessions_tui.domain.errors import SessionsError, ValidationError
from sessions_tui.domain.events import Event, EventKind, Status, validate_event
from sessions_tui.domain.recurrence import MAX_COUNT
from sessions_tui.domain.rrule_text import (
    REPEAT_CHOICES,
    Repeat,
    preset_rule,
    repeat_of,
)
from sessions_tui.domain.timeutil import is_ambiguous, is_nonexistent, zone

RECURRENCE_CHOICES = REPEAT_CHOICES
"""The "Repeats" field's values (``domain.rrule_text.repeat_options`` labels them)."""


class FormErrors(SessionsError):
    """Errors by field name; ``str()`` lists them all."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in errors.items()))
        self.errors = errors


class AmbiguousTime(SessionsError):
    """The start (or end) happens twice on that day in the zone; ask which."""

    def __init__(self, field_name: str, wall: datetime, tzid: str) -> None:
        tz = zone(tzid)
        first = wall.replace(tzinfo=tz, fold=0)
        second = wall.replace(tzinfo=tz, fold=1)
        self.field_name = field_name
        self.choices = (
            (0, f"{wall:%H:%M} {first.tzname()} (the first time, before clocks go back)"),
            (1, f"{wall:%H:%M} {second.tzname()} (the second time, after clocks go back)"),
        )
        super().__init__(
            f"{wall:%H:%M} on {wall:%b %d} happens twice in {tzid}: which one?", field=field_name
        )


@dataclass
class EventForm:
    """The editor's fields, as typed."""

    kind: EventKind = EventKind.SESSION
    tzid: str = "UTC"
    client_id: int | None = None
    practitioner_id: int | None = None
    location_id: int | None = None
    title: str = ""
    all_day: bool = False
    busy: bool = True
    date: str = ""
    start: str = ""
    end_date: str = ""
    end: str = ""
    minutes: str = "50"
    recurrence: str = "none"
    custom_rrule: str = ""
    ends: str = "never"
    count: str = ""
    until: str = ""
    loaded_rrule: str | None = None
    """The rule the edited event had: saved as it was while the preset, its end and the date
    are unchanged (``FREQ=WEEKLY;BYDAY=MO`` stays that, not the preset's ``FREQ=WEEKLY``)."""
    loaded_repeat: Repeat | None = None
    loaded_date: str = ""
    notes_completed: bool = False
    status: Status = Status.SCHEDULED
    fold: dict[str, int] = field(default_factory=dict)


def form_day(form: EventForm) -> date:
    """The form's date, for the labels that name its weekday (2000-01-03 while it is not a
    date yet: the labels then change when it becomes one)."""
    try:
        return date.fromisoformat(form.date.strip())
    except ValueError:
        return date(2000, 1, 3)


def _date(text: str, name: str, errors: dict[str, str]) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        errors[name] = f"{text.strip() or 'nothing'!r} is not a date (YYYY-MM-DD)"
        return None


def _time(text: str, name: str, errors: dict[str, str]) -> time | None:
    from sessions_tui.domain.timeutil import parse_clock

    try:
        return parse_clock(text)  # 14:30, 1430, 2:30pm, 2pm: either clock
    except ValueError:
        errors[name] = f"{text.strip() or 'nothing'!r} is not a time (14:30 or 2:30pm)"
        return None


def _aware(
    form: EventForm, day: date, at: time, name: str, errors: dict[str, str]
) -> datetime | None:
    tz = zone(form.tzid)
    wall = datetime.combine(day, at)
    if is_nonexistent(wall, tz):
        errors[name] = (
            f"{at:%H:%M} does not exist on {day:%b %d} in {form.tzid} "
            "(clocks jump forward); pick another time"
        )
        return None
    if is_ambiguous(wall, tz) and name not in form.fold:
        raise AmbiguousTime(name, wall, form.tzid)
    return wall.replace(tzinfo=tz, fold=form.fold.get(name, 0))


def rrule_of(
    form: EventForm, day: date | None = None, errors: dict[str, str] | None = None
) -> str | None:
    """The RRULE the form's "Repeats" choice means for a series starting on ``day``: ``None``,
    a preset's rule with its end, or the custom text (``"custom"`` when left empty, which the
    rule check then refuses). A bad count or end date goes into ``errors`` (then ``None``).
    """
    errors = {} if errors is None else errors
    if form.recurrence == "none":
        return None
    if form.recurrence == "custom":
        return form.custom_rrule.strip() or "custom"
    if form.recurrence not in RECURRENCE_CHOICES:
        errors["recurrence"] = f"{form.recurrence!r} is not a choice"
        return None
    count, until = None, None
    if form.ends == "after":
        text = form.count.strip()
        if not text.isdigit() or not 1 <= int(text) <= MAX_COUNT:
            errors["count"] = f"ends after how many times? a whole number, 1 to {MAX_COUNT}"
            return None
        count = int(text)
    elif form.ends == "on":
        until = _date(form.until, "until", errors)
        if until is None:
            return None
        if day is not None and until < day:
            errors["until"] = "the series would end before it starts"
            return None
    if day is None:
        return None
    repeat = Repeat(form.recurrence, form.ends, count, until)
    if (
        form.loaded_rrule is not None
        and repeat == form.loaded_repeat
        and form.date.strip() == form.loaded_date
    ):
        return form.loaded_rrule
    return preset_rule(repeat, day)


def build_event(form: EventForm, base: Event | None = None) -> Event:
    """The event the form describes (``base`` keeps ids and other fields when editing).

    Raises:
        FormErrors: field name → what is wrong, in words.
        AmbiguousTime: a time that happens twice; set ``form.fold[field]`` and call again.
    """
    errors: dict[str, str] = {}
    try:
        zone(form.tzid)
    except ValidationError as exc:
        raise FormErrors({"tzid": exc.message}) from None
    if form.kind is EventKind.SESSION:
        if form.client_id is None:
            errors["client"] = "choose a client (type part of a name or internal ID)"
        if form.practitioner_id is None:
            errors["practitioner"] = "choose a practitioner"
        if form.all_day:
            errors["all_day"] = "a client session cannot be all-day"
    elif not form.title.strip():
        errors["title"] = "give the event a title"
    day = _date(form.date, "date", errors)
    start: datetime | date | None = None
    end: datetime | date | None = None
    if form.all_day and form.kind is EventKind.OTHER:
        last = _date(form.end_date or form.date, "end_date", errors)
        if day and last:
            if last < day:
                errors["end_date"] = "the last day is before the first"
            start, end = day, last + timedelta(days=1)
    else:
        at = _time(form.start, "start", errors)
        if day and at:
            start = _aware(form, day, at, "start", errors)
        if form.kind is EventKind.SESSION:
            try:
                minutes = int(form.minutes.strip())
                if not 5 <= minutes <= 24 * 60:
                    raise ValueError
            except ValueError:
                errors["minutes"] = "duration is a whole number of minutes, 5 to 1440"
                minutes = 0
            if isinstance(start, datetime) and minutes:
                end = start + timedelta(minutes=minutes)
        else:
            end_day = _date(form.end_date, "end_date", errors) if form.end_date.strip() else day
            end_at = _time(form.end, "end", errors)
            if end_day and end_at:
                end = _aware(form, end_day, end_at, "end", errors)
            if isinstance(start, datetime) and isinstance(end, datetime) and end <= start:
                errors["end"] = "end is before start" if end < start else "end equals start"
    rule = rrule_of(form, day, errors)
    if errors or start is None or end is None:
        raise FormErrors(errors or {"date": "incomplete"})
    fields = {
        # Times are typed in the display zone; an edited event keeps the zone it was made in,
        # so its series keeps its wall-clock time there.
        "kind": form.kind,
        "tzid": base.tzid if base is not None else form.tzid,
        "start": start,
        "end": end,
        "all_day": form.all_day and form.kind is EventKind.OTHER,
        "client_id": form.client_id if form.kind is EventKind.SESSION else None,
        "practitioner_id": form.practitioner_id,
        "location_id": form.location_id,
        "title": form.title.strip() if form.kind is EventKind.OTHER else "",
        "busy": form.busy if form.kind is EventKind.OTHER else True,
        "rrule": rule,
        "notes_completed": form.notes_completed,
        "status": form.status,
    }
    event = replace(base, **fields) if base is not None else Event(**fields)  # type: ignore[arg-type]
    try:
        return validate_event(event)
    except ValidationError as exc:
        name = exc.field or "form"
        if name == "rrule":  # under the field that made the rule: a preset's end, or the rule
            ends = {"after": "count", "on": "until"}.get(form.ends, "recurrence")
            name = "custom_rrule" if form.recurrence == "custom" else ends
        raise FormErrors({name: exc.message}) from None


def form_from_event(event: Event, occurrence_start: datetime | date, tzid: str) -> EventForm:
    """An editing form for one occurrence of ``event``, in the display zone ``tzid``."""
    tz = zone(tzid)
    form = EventForm(
        kind=event.kind,
        tzid=tzid,
        client_id=event.client_id,
        practitioner_id=event.practitioner_id,
        location_id=event.location_id,
        title=event.title,
        all_day=event.all_day,
        busy=event.busy,
        notes_completed=event.notes_completed,
        status=event.status,
    )
    if event.all_day:
        assert isinstance(occurrence_start, date)
        last = occurrence_start + event.duration - timedelta(days=1)
        form.date, form.end_date = occurrence_start.isoformat(), last.isoformat()
    else:
        assert isinstance(occurrence_start, datetime)
        local = occurrence_start.astimezone(tz)
        end = (occurrence_start + event.duration).astimezone(tz)
        form.date, form.start = local.date().isoformat(), f"{local:%H:%M}"
        form.end_date, form.end = end.date().isoformat(), f"{end:%H:%M}"
        form.minutes = str(int(event.duration.total_seconds() // 60))
        if local.fold:
            form.fold["start"] = 1
    if event.rrule:
        # The series' own first day and zone: a preset names the weekday the series has.
        first = event.start
        event_zone = None
        if isinstance(first, datetime):
            event_zone = zone(event.tzid)
            first = first.astimezone(event_zone).date()
        repeat = repeat_of(event.rrule, first, event_zone)
        form.recurrence = repeat.choice
        form.custom_rrule = event.rrule if repeat.choice == "custom" else ""
        form.ends = repeat.ends
        form.count = str(repeat.count) if repeat.count is not None else ""
        form.until = repeat.until.isoformat() if repeat.until is not None else ""
        form.loaded_rrule, form.loaded_repeat, form.loaded_date = event.rrule, repeat, form.date
    return form


def changed_fields(
    original: Event, new: Event, occurrence_start: datetime | date
) -> dict[str, Any]:
    """Fields the form changed, with start/end as the occurrence's new times."""
    out: dict[str, Any] = {}
    for name in (
        "title",
        "practitioner_id",
        "client_id",
        "location_id",
        "busy",
        "status",
        "notes_completed",
        "all_day",
        "rrule",
    ):
        if getattr(original, name) != getattr(new, name):
            out[name] = getattr(new, name)
    occurrence_end = occurrence_start + original.duration  # type: ignore[operator]
    if new.start != occurrence_start or new.end != occurrence_end:
        out["start"], out["end"] = new.start, new.end
    return out
