"""Google event items: ids, request bodies, the hash both sides compare, and parsing.

Pure functions, no database and no network: :func:`body_for` makes the body pushed for a local
event, :func:`canon` and :func:`content_hash` the form both versions are compared in, and
:func:`external_from_item` / :func:`event_from_item` read a Google item into a local event
through the one mapping of external events (:mod:`sessions_tui.domain.external`).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from sessions_tui.domain.events import Event, EventKind, Instant, validate_event
from sessions_tui.domain.external import ExternalEvent, to_local
from sessions_tui.domain.timeutil import zone
from sessions_tui.sync.engine import LOCKED_NOTE

PROP_UID = "sessionsTuiUid"
"""extendedProperties.private key holding the local uid of events this program made."""
PROP_KIND = "sessionsTuiKind"
PROP_APP = "sessionsTui"
"""Set to ``1`` on every event this program made: ``disconnect --remove-events`` finds them."""


def google_id(uid: str) -> str:
    """A valid Google event id (base32hex) derived from a local uid: inserts are idempotent."""
    digest = hashlib.sha1(uid.encode()).digest()
    return base64.b32hexencode(digest).decode().lower().rstrip("=")


def instance_suffix(rid: Instant) -> str:
    """The suffix of an instance's Google id (``<master id>_<suffix>``) for its recurrence id."""
    if isinstance(rid, datetime):
        return rid.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return rid.strftime("%Y%m%d")


def _utc_text(value: str) -> str:
    return (
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        .astimezone(UTC)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
    )


def _exdate_line(value: Instant) -> str:
    if isinstance(value, datetime):
        return "EXDATE:" + value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return "EXDATE;VALUE=DATE:" + value.strftime("%Y%m%d")


def body_for(event: Event, title: str, *, mine: bool) -> dict[str, Any]:
    """The Google event body for a local event (``mine``: made here, carries our uid)."""
    body: dict[str, Any] = {
        "summary": title,
        "transparency": "opaque" if event.busy else "transparent",
        "status": "confirmed",
    }
    if event.all_day:
        body["start"] = {"date": event.start.isoformat()}
        body["end"] = {"date": event.end.isoformat()}
    else:
        assert isinstance(event.start, datetime)
        assert isinstance(event.end, datetime)
        tz = zone(event.tzid)
        body["start"] = {"dateTime": event.start.astimezone(tz).isoformat(), "timeZone": event.tzid}
        body["end"] = {"dateTime": event.end.astimezone(tz).isoformat(), "timeZone": event.tzid}
    if event.rrule:
        body["recurrence"] = [
            "RRULE:" + event.rrule,
            *sorted(_exdate_line(x) for x in event.exdates),
        ]
    if event.is_session:
        body["visibility"] = "private"
        body["description"] = LOCKED_NOTE
    if mine and event.uid:
        body["extendedProperties"] = {
            "private": {PROP_APP: "1", PROP_UID: event.uid, PROP_KIND: event.kind.value}
        }
    return body


def canon(item: Mapping[str, Any], default_tz: str) -> dict[str, Any]:
    """The fields both sides sync, in one form, so local and Google versions compare equal."""
    out: dict[str, Any] = {
        "summary": item.get("summary") or "",
        "transparency": item.get("transparency") or "opaque",
        "status": item.get("status") or "confirmed",
    }
    for key in ("start", "end"):
        when = item.get(key) or {}
        if "date" in when:
            out[key] = when["date"]
        elif "dateTime" in when:
            out[key] = _utc_text(when["dateTime"])
            out["tz"] = (item.get("start") or {}).get("timeZone") or default_tz
    rec = item.get("recurrence")
    if rec:
        out["recurrence"] = sorted(rec)
    return out


def content_hash(item: Mapping[str, Any], default_tz: str) -> str:
    """A digest of :func:`canon` of an item or body: equal when both sides agree."""
    text = json.dumps(canon(item, default_tz), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def parse_when(when: Mapping[str, Any]) -> Instant:
    """A Google ``start``/``end``/``originalStartTime``: a date, or an aware time in UTC."""
    if "date" in when:
        return date.fromisoformat(when["date"])
    return datetime.fromisoformat(when["dateTime"].replace("Z", "+00:00")).astimezone(UTC)


def _parse_exdate(line: str) -> list[Instant]:
    """The values of one ``EXDATE`` line as written: dates, aware times, or floating times
    (read in the event's zone by :func:`~sessions_tui.domain.external.to_local`)."""
    head, _, values = line.partition(":")
    params = dict(p.split("=", 1) for p in head.split(";")[1:] if "=" in p)
    out: list[Instant] = []
    for v in values.split(","):
        v = v.strip()
        if not v:
            continue
        if params.get("VALUE") == "DATE" or "T" not in v:
            out.append(datetime.strptime(v[:8], "%Y%m%d").date())  # noqa: DTZ007 - a date
        elif v.endswith("Z"):
            out.append(datetime.strptime(v, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC))
        else:
            local = datetime.strptime(v, "%Y%m%dT%H%M%S")  # noqa: DTZ007 - zone attached next
            out.append(local.replace(tzinfo=zone(params["TZID"])) if "TZID" in params else local)
    return out


def external_from_item(item: Mapping[str, Any]) -> ExternalEvent:
    """The facts of a Google event, for the one mapping of external events."""
    start = item.get("start") or {}
    rrule = None
    exdates: list[Instant] = []
    for line in item.get("recurrence") or ():
        upper = line.upper()
        if upper.startswith("RRULE:"):
            rrule = line[6:]
        elif upper.startswith("EXDATE"):
            exdates.extend(_parse_exdate(line))
    original = item.get("originalStartTime")
    return ExternalEvent(
        start=parse_when(start),
        end=parse_when(item["end"]) if item.get("end") else None,
        summary=item.get("summary") or "",
        tzid=start.get("timeZone") or None,
        rrule=rrule,
        exdates=tuple(exdates),
        transparent=item.get("transparency") == "transparent",
        cancelled=item.get("status") == "cancelled",
        recurrence_id=parse_when(original) if original else None,
    )


def event_from_item(
    item: Mapping[str, Any],
    *,
    calendar_id: str,
    practitioner_id: int,
    default_tz: str,
    base: Event | None = None,
) -> Event:
    """The local version of a Google event (an *other* event unless ``base`` is a session).

    The facts are mapped by the one mapping of external events
    (:func:`~sessions_tui.domain.external.to_local`), as for an imported .ics file. With
    ``base`` (the linked local event), fields Google does not carry are kept; a client session
    keeps its title (locked) and stays a session.
    """
    mapped = to_local(
        # Google's "cancelled" is a delete, handled before mapping: never a cancelled event.
        replace(external_from_item(item), cancelled=False, recurrence_id=None),
        practitioner_id=practitioner_id,
        source_calendar=calendar_id,
        fallback_tz=default_tz,
    )
    if base is None:
        return mapped
    changes: dict[str, Any] = {
        "start": mapped.start,
        "end": mapped.end,
        "all_day": mapped.all_day,
        "tzid": mapped.tzid,
        "busy": mapped.busy,
    }
    if base.kind is EventKind.OTHER:
        changes["title"] = mapped.title
    if base.rrule is not None or base.series_id is None:
        changes["rrule"] = mapped.rrule
        changes["exdates"] = (
            frozenset(base.exdates | mapped.exdates) if mapped.rrule else frozenset()
        )
    return validate_event(replace(base, **changes))
