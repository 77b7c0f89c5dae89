"""Client reminders: when they are due, and what they say. Pure rules, no store.

**When.** The practice lists offsets before a session (``48,24`` hours). For an occurrence
starting at ``start``, the offset ``h`` falls due at ``start - h``. At a given moment only the
*latest* offset that has fallen due counts (the smallest ``h`` with ``start - h <= now``): a
worker that was down when the 48-hour reminder fell due and comes back after the 24-hour one
fell due sends the 24-hour reminder only, never two at once. An offset is never due for a
session booked after it (booked 30 hours before: the 24-hour reminder only), nor once the
session has started.

**What.** The subject and body are templates with a fixed set of placeholders
(:data:`PLACEHOLDERS`); anything else in braces is refused when the template is saved, so a
template can never reach a field the practice did not put in it (notes, diagnosis, another
client). The values are the client's preferred name (else first name), the date and time in the
practice's zone, the practitioner's name, the location (or telehealth link) and the
confirm/cancel link.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sessions_tui.domain.errors import ValidationError

PLACEHOLDERS: dict[str, str] = {
    "name": "the client's preferred name, else their first name",
    "date": "the session's date in the practice's zone (Thursday 26 November 2026)",
    "time": "the session's start time in the practice's zone (09:00)",
    "zone": "the practice's zone (America/Chicago)",
    "practitioner": "the practitioner's name",
    "location": "the location's name, or the telehealth link",
    "link": "the page where the client confirms (or cancels) the session",
    "practice": "the practice's name",
}
"""Every placeholder a template may use, and what it becomes."""

DEFAULT_SUBJECT = "Reminder: your session on {date} at {time}"
DEFAULT_BODY = (
    "Hello {name},\n\n"
    "This is a reminder of your session with {practitioner} on {date} at {time} ({zone}), "
    "{location}.\n\n"
    "Please confirm that you are coming: {link}\n\n"
    "{practice}\n"
)
MAX_OFFSETS = 5
MAX_HOURS = 24 * 14
_FIELD = re.compile(r"\{([^{}]*)\}")


def parse_hours(text: str) -> tuple[int, ...]:
    """``"48,24"`` → ``(2880, 1440)`` minutes, largest first; ``""``/``off`` → none.

    Whole hours, 1 to 336 (two weeks), at most five, no repeats.
    """
    text = text.strip().lower()
    if text in ("", "off", "none"):
        return ()
    out: list[int] = []
    for part in text.split(","):
        part = part.strip().removesuffix("h").strip()
        if not part.isdigit() or not 1 <= int(part) <= MAX_HOURS:
            raise ValidationError(
                f"bad reminder hours {part!r}: whole hours from 1 to {MAX_HOURS}, "
                "comma-separated (48,24), or off",
                field="hours",
            )
        minutes = int(part) * 60
        if minutes in out:
            raise ValidationError(f"reminder hours repeat {part}", field="hours")
        out.append(minutes)
    if len(out) > MAX_OFFSETS:
        raise ValidationError(f"at most {MAX_OFFSETS} reminder times", field="hours")
    return tuple(sorted(out, reverse=True))


def hours_text(offsets: Sequence[int]) -> str:
    """``(2880, 1440)`` → ``"48,24"``."""
    return ",".join(str(m // 60) for m in offsets)


def check_template(text: str, what: str) -> str:
    """Refuse a template naming an unknown placeholder (or with unbalanced braces)."""
    if len(text) > 4000:
        raise ValidationError(f"the reminder {what} is longer than 4000 characters", field=what)
    if what == "subject" and ("\n" in text or "\r" in text):
        raise ValidationError("the reminder subject must be one line", field=what)
    for name in _FIELD.findall(text):
        if name not in PLACEHOLDERS:
            raise ValidationError(
                f"unknown placeholder {{{name}}} in the reminder {what} "
                f"(placeholders: {', '.join('{' + p + '}' for p in PLACEHOLDERS)})",
                field=what,
            )
    rest = _FIELD.sub("", text)
    if "{" in rest or "}" in rest:
        raise ValidationError(f"unbalanced brace in the reminder {what}", field=what)
    return text


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill ``template``'s placeholders from ``values`` (only :data:`PLACEHOLDERS`)."""
    return _FIELD.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def values_for(
    *,
    first_name: str,
    preferred_name: str | None,
    start: datetime,
    tzid: str,
    practitioner: str,
    location: str,
    link: str,
    practice: str,
) -> dict[str, str]:
    """The placeholders' values for one reminder (and nothing else)."""
    local = start.astimezone(ZoneInfo(tzid))
    return {
        "name": (preferred_name or "").strip() or first_name,
        "date": f"{local:%A} {local.day} {local:%B %Y}",
        "time": f"{local:%H:%M}",
        "zone": tzid,
        "practitioner": practitioner,
        "location": location,
        "link": link,
        "practice": practice,
    }


@dataclass(frozen=True)
class Due:
    """The reminder an occurrence is due for now: its offset (minutes) and start."""

    offset_minutes: int
    start: datetime


def due_offset(
    start: datetime, booked_at: datetime, now: datetime, offsets: Sequence[int]
) -> Due | None:
    """The offset due now for a session at ``start`` booked at ``booked_at`` (module rules)."""
    if now >= start:
        return None
    fallen = [m for m in offsets if start - timedelta(minutes=m) <= now]
    eligible = [m for m in fallen if booked_at <= start - timedelta(minutes=m)]
    if not fallen or not eligible:
        return None
    latest = min(fallen)
    if latest not in eligible:
        return None
    return Due(latest, start)
