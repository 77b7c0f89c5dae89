"""CalDAV resources ↔ local event families.

One CalDAV resource is one iCalendar object: a one-off VEVENT, or a series' master VEVENT (RRULE,
EXDATE) with its overridden occurrences (VEVENTs of the same UID with a RECURRENCE-ID). Locally
that is a *family*: the one-off or master row and its override rows.

- :func:`parse_resource` reads a resource into local events through the one mapping of external
  events (:func:`sessions_tui.domain.external.to_local`), as an .ics import or Google does.
- :func:`render` writes a family as a resource: times in the event's own IANA zone with its
  VTIMEZONE (so a series keeps its wall-clock time across DST), EXDATE and RECURRENCE-ID in that
  zone, TRANSP from busy/free, the pushed title (:func:`sessions_tui.sync.engine.pushed_title`).
- :func:`family_hash` is what both sides are compared by: the synced fields of a family in one
  form, computed from local events, so a local family and a parsed resource compare equal when
  they say the same thing.
"""

from __future__ import annotations

import functools
import hashlib
import json
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.events import Event, Instant
from sessions_tui.domain.external import ExternalEvent, to_local
from sessions_tui.store.queries import recurrence_key
from sessions_tui.sync.engine import LOCKED_NOTE

PRODID = "-//sessions-tui//CalDAV sync//EN"


@dataclass(frozen=True)
class Family:
    """A one-off or a series master, with the series' overridden occurrences."""

    master: Event
    overrides: tuple[Event, ...] = ()


@dataclass(frozen=True)
class RemoteFamily:
    """A parsed resource: its UID, the local version of its master (``None`` when the resource
    holds only overrides) and of its overrides, and when it was last changed there."""

    uid: str
    master: Event | None
    overrides: tuple[Event, ...]
    last_modified: datetime | None


# --- reading --------------------------------------------------------------------------------


def _zone_name(value: Any) -> str | None:
    if not isinstance(value, datetime) or value.tzinfo is None:
        return None
    if value.tzinfo is UTC or getattr(value.tzinfo, "key", None) == "UTC":
        return "UTC"
    key = getattr(value.tzinfo, "key", None)
    if isinstance(key, str):
        return key
    name = value.tzname()
    return "UTC" if name in ("UTC", "Z") else None


def _values(prop: Any) -> list[Any]:
    """The date/date-time values of an EXDATE-like property (one or several lines)."""
    out: list[Any] = []
    props = prop if isinstance(prop, list) else [prop]
    for p in props:
        dts = getattr(p, "dts", None)
        if dts is None:
            out.append(getattr(p, "dt", p))
        else:
            out.extend(d.dt for d in dts)
    return out


def _external(ve: Any) -> ExternalEvent:
    start = ve.get("dtstart")
    if start is None:
        raise ValidationError("event has no DTSTART")
    end = ve.get("dtend")
    duration = ve.get("duration")
    rrule = ve.get("rrule")
    rid = ve.get("recurrence-id")
    exdates = _values(ve.get("exdate")) if ve.get("exdate") is not None else []
    return ExternalEvent(
        start=start.dt,
        end=end.dt if end is not None else None,
        duration=duration.dt if duration is not None and end is None else None,
        summary=str(ve.get("summary") or ""),
        tzid=_zone_name(start.dt),
        rrule=rrule.to_ical().decode() if rrule is not None else None,
        exdates=tuple(exdates),
        transparent=str(ve.get("transp") or "").upper() == "TRANSPARENT",
        cancelled=str(ve.get("status") or "").upper() == "CANCELLED",
        recurrence_id=rid.dt if rid is not None else None,
        sequence=int(ve.get("sequence") or 0),
        names=("DTSTART", "DTEND"),
    )


def parse_resource(
    text: str, *, practitioner_id: int, calendar_url: str, fallback_tz: str
) -> RemoteFamily:
    """The local version of one resource (every VEVENT of one UID).

    Raises:
        ValidationError: not iCalendar, no VEVENT, several UIDs, or an event the mapping
            refuses.
    """
    import icalendar

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cal = icalendar.Calendar.from_ical(text)
    except ValueError as exc:
        raise ValidationError(f"not valid iCalendar: {str(exc).splitlines()[0:1]}") from None
    vevents = [c for c in cal.walk("VEVENT")]
    if not vevents:
        raise ValidationError("the resource holds no VEVENT")
    uids = {str(v.get("uid") or "") for v in vevents}
    if len(uids) != 1 or not next(iter(uids)):
        raise ValidationError("a resource must hold one UID")
    master: Event | None = None
    overrides: list[Event] = []
    changed: datetime | None = None
    for ve in vevents:
        ext = _external(ve)
        ev = to_local(
            ext,
            practitioner_id=practitioner_id,
            source_calendar=calendar_url,
            fallback_tz=fallback_tz,
        )
        for name in ("last-modified", "dtstamp"):
            stamp = ve.get(name)
            if stamp is not None and isinstance(stamp.dt, datetime):
                at = stamp.dt if stamp.dt.tzinfo else stamp.dt.replace(tzinfo=UTC)
                changed = at if changed is None or at > changed else changed
                break
        if ext.recurrence_id is None:
            master = ev
        else:
            overrides.append(ev)
    if master is not None and master.rrule is None:
        overrides = []  # overrides of a one-off: nothing to override
    return RemoteFamily(next(iter(uids)), master, tuple(overrides), changed)


# --- writing --------------------------------------------------------------------------------


def _when(value: Instant, tzid: str) -> Instant:
    if isinstance(value, datetime):
        return value.astimezone(ZoneInfo(tzid))
    return value


def render(family: Family, title: Callable[[Event], str], *, uid: str, stamp: datetime) -> str:
    """The resource text of ``family`` (UID ``uid``), titled by ``title``."""
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    master = family.master
    for ev in (master, *sorted(family.overrides, key=lambda e: _sort(e.recurrence_id))):
        ve = icalendar.Event()
        ve.add("uid", uid)
        ve.add("dtstamp", stamp.astimezone(UTC))
        ve.add("summary", title(ev))
        ve.add("dtstart", _when(ev.start, ev.tzid))
        ve.add("dtend", _when(ev.end, ev.tzid))
        if ev.recurrence_id is not None:
            ve.add("recurrence-id", _when(ev.recurrence_id, master.tzid))
        elif ev.rrule:
            ve.add("rrule", icalendar.vRecur.from_ical(ev.rrule))
            if ev.exdates:
                ve.add("exdate", [_when(x, ev.tzid) for x in sorted(ev.exdates, key=_sort)])
        ve.add("sequence", ev.sequence)
        ve.add("transp", "OPAQUE" if ev.busy else "TRANSPARENT")
        if ev.is_session:
            ve.add("class", "PRIVATE")
            ve.add("description", LOCKED_NOTE)
        cancelled = ev.is_cancelled and not ev.is_session
        ve.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        cal.add_component(ve)
    year = master.start.year
    for tzid in sorted({e.tzid for e in (master, *family.overrides) if not e.all_day} - {"UTC"}):
        component = _vtimezone(tzid, year)
        if component is not None:
            cal.add_component(component)
    return str(cal.to_ical().decode("utf-8"))


@functools.lru_cache(maxsize=256)
def _vtimezone(tzid: str, year: int) -> Any:
    """The VTIMEZONE of an IANA zone from ``year`` on (three years of transitions, as
    ``add_missing_timezones`` would write for one event; clients know the zone by its name),
    made once per zone and year: icalendar takes ~10 ms to build one, which a first sync of
    thousands of events would otherwise spend most of its time on."""
    import icalendar

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return icalendar.Timezone.from_tzid(
                tzid, first_date=date(year, 1, 1), last_date=date(year + 2, 12, 31)
            )
        except ValueError:
            return None


def _sort(value: Instant | None) -> str:
    return recurrence_key(value) if value is not None else ""


# --- comparing ------------------------------------------------------------------------------


def _canon_event(ev: Event, title: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "title": title,
        "start": recurrence_key(ev.start),
        "end": recurrence_key(ev.end),
        "busy": ev.busy,
        "cancelled": ev.is_cancelled and not ev.is_session,
    }
    if ev.rrule:
        out["rrule"] = ev.rrule
        out["tz"] = ev.tzid  # a series keeps its wall-clock time in this zone
        out["exdates"] = sorted(recurrence_key(x) for x in ev.exdates)
    return out


def family_canon(
    master: Event, overrides: Iterable[Event], title: Callable[[Event], str]
) -> dict[str, Any]:
    """The synced fields of a family, in one comparable form."""
    return {
        "master": _canon_event(master, title(master)),
        "overrides": sorted(
            (
                [recurrence_key(o.recurrence_id), _canon_event(o, title(o))]
                for o in overrides
                if o.recurrence_id is not None
            ),
            key=lambda pair: str(pair[0]),
        )
        if master.rrule
        else [],
    }


def family_hash(master: Event, overrides: Iterable[Event], title: Callable[[Event], str]) -> str:
    """A stable hash of a series and its overrides as pushed, to tell whether it changed."""
    text = json.dumps(family_canon(master, overrides, title), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def remote_title(ev: Event) -> str:
    """A parsed resource's events carry the provider's own titles."""
    return ev.title


def resource_name(uid: str) -> str:
    """The file name of a new resource: derived from the UID, so a retried create hits the
    same href (and answers 412) instead of making a second copy."""
    return hashlib.sha1(uid.encode()).hexdigest()[:32] + ".ics"
