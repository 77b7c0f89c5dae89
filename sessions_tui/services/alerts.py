"""Practitioner alerts and "what is next", without Textual: which alerts are due, how they read.

The calendar alerts the person at the keyboard N minutes before each of *their* events (the
config's ``alerts``, several offsets allowed). The rules, all here so they are tested without a
terminal (the Textual side, ``screens/alerts.py``, only reads, times and draws):

* An occurrence is alerted when ``start - offset <= now < start``: never before its offset,
  and not once it has started (the alert is withdrawn then).
* Each ``(occurrence, start, offset)`` fires once per running app (:class:`AlertBook` keeps
  what fired): a redraw, a re-read or a dismissal never brings it back. The start is part of
  the key, so an event moved after its alert fired is alerted again for its new time, and the
  alert of the old time is withdrawn; a cancelled or deleted occurrence is withdrawn and never
  alerted.
* Several offsets due at once (the app opened five minutes before a session, alerts at 60 and
  10) make one alert, the nearest offset; a later offset shows the occurrence again even after
  an earlier alert of it was dismissed.
* All-day events have no time to be warned of, and cancelled events happen to no one: neither
  is alerted, nor named by ``agenda --next``.

Text: the time, the client as privacy mode shows them (initials when on, as the calendar draws
them) or the event's title, and the location; never notes. :func:`escape_sequence` is the same
alert as a terminal's desktop-notification escape (OSC 9 or OSC 777).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sessions_tui.domain.events import EventKind, Status
from sessions_tui.domain.text import safe_text
from sessions_tui.services.agenda_item import AgendaItem, agenda_items

if TYPE_CHECKING:
    from sessions_tui.store.reader import Reader

OccurrenceKey = tuple[int, str | None]
"""An occurrence: its stored event and, in a series, its original start (ISO text)."""


def occurrence_key(item: AgendaItem) -> OccurrenceKey:
    """The (event id, original start) pair that names one occurrence of an agenda item."""
    rid = item.recurrence_id
    return (item.id, rid.isoformat() if rid is not None else None)


def timed_start(item: AgendaItem) -> datetime | None:
    """The start of a timed, not cancelled occurrence; ``None`` for the others."""
    if item.event.all_day or item.status is Status.CANCELLED:
        return None
    start = item.start
    return start if isinstance(start, datetime) else None


def upcoming(items: Iterable[AgendaItem], after: datetime) -> list[AgendaItem]:
    """Timed, not cancelled occurrences starting at or after ``after``, soonest first."""
    found = [(s, i) for i in items if (s := timed_start(i)) is not None and s >= after]
    found.sort(key=lambda pair: (pair[0], pair[1].id))
    return [i for _, i in found]


def read_upcoming(
    reader: Reader,
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    *,
    practitioner_ids: Sequence[int] | None = None,
    location_ids: Sequence[int] | None = None,
) -> list[AgendaItem]:
    """:func:`upcoming` over what ``reader`` holds in ``[start, end)``."""
    items = agenda_items(
        reader, start, end, tz, practitioner_ids=practitioner_ids, location_ids=location_ids
    )
    return upcoming(items, start)


def next_event(
    reader: Reader,
    after: datetime,
    horizon: timedelta,
    tz: ZoneInfo,
    *,
    practitioner_ids: Sequence[int] | None = None,
    location_ids: Sequence[int] | None = None,
) -> AgendaItem | None:
    """The first timed, not cancelled occurrence starting at or after ``after`` and before
    ``after + horizon`` (``sessions-tui agenda --next``).

    Read a day, then a week, then a month at a time: a status bar asks every few seconds, and
    the next event is nearly always close, so a large practice is never read 90 days deep for it.
    """
    end = after + horizon
    lo = after
    step = timedelta(days=1)
    while lo < end:
        hi = min(end, lo + step)
        found = read_upcoming(
            reader, lo, hi, tz, practitioner_ids=practitioner_ids, location_ids=location_ids
        )
        if found:
            return found[0]
        lo, step = hi, min(step * 7, timedelta(days=31))
    return None


@dataclass(frozen=True)
class Alert:
    """One alert: an occurrence, the offset (minutes) that fired, and its start."""

    item: AgendaItem
    offset: int
    start: datetime

    @property
    def key(self) -> OccurrenceKey:
        """The occurrence this alert is for."""
        return occurrence_key(self.item)


def who(item: AgendaItem, *, privacy: bool) -> str:
    """The client as the calendar shows them (initials in privacy mode), else the title."""
    if item.event.kind is EventKind.SESSION and item.client is not None:
        return safe_text(item.client.initials if privacy else item.client.full_name)
    return safe_text(item.event.title)


def until(start: datetime, now: datetime) -> str:
    """``in 10 min``, ``in 1 h 5 min``, ``now``: whole minutes, rounded up."""
    minutes = math.ceil((start - now).total_seconds() / 60)
    if minutes <= 0:
        return "now"
    if minutes < 60:
        return f"in {minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"in {hours} h {rest} min" if rest else f"in {hours} h"


def alert_text(alert: Alert, tz: ZoneInfo, now: datetime, *, privacy: bool) -> str:
    """``13:00–13:50 M.N. @ Main St Clinic, in 10 min`` (one line, no control characters)."""
    start = alert.start.astimezone(tz)
    end = alert.item.end
    span = f"{start:%H:%M}"
    if isinstance(end, datetime):
        span += f"–{end.astimezone(tz):%H:%M}"
    day = start.date()
    if day != now.astimezone(tz).date():
        span = f"{start:%a} {span}"
    text = f"{span} {who(alert.item, privacy=privacy)}"
    if alert.item.location is not None:
        text += f" @ {safe_text(alert.item.location.name)}"
    return f"{text}, {until(alert.start, now)}"


class AlertBook:
    """What fired and what is shown, for one running app (see the module docstring).

    Args:
        offsets: Minutes before an event's start at which it is alerted.
    """

    def __init__(self, offsets: Iterable[int]) -> None:
        self.offsets = tuple(sorted(set(offsets), reverse=True))
        self._fired: set[tuple[OccurrenceKey, datetime, int]] = set()
        self.shown: dict[OccurrenceKey, Alert] = {}
        """The alerts on screen, by occurrence, in the order they fired."""

    @property
    def horizon(self) -> timedelta:
        """How far ahead an alert can be due (the largest offset)."""
        return timedelta(minutes=max(self.offsets, default=0))

    def update(self, items: Iterable[AgendaItem], now: datetime) -> list[Alert]:
        """Bring the book up to ``now`` over ``items`` (the user's occurrences, read lately).

        Withdraws shown alerts whose occurrence has started, moved, or is gone from ``items``
        (cancelled or deleted), then fires what became due. Returns the alerts fired now.
        """
        current: dict[OccurrenceKey, tuple[AgendaItem, datetime]] = {}
        for item in items:
            start = timed_start(item)
            if start is not None:
                current[occurrence_key(item)] = (item, start)
        for key, alert in list(self.shown.items()):
            seen = current.get(key)
            if seen is None or seen[1] != alert.start or alert.start <= now:
                del self.shown[key]
        fired: list[Alert] = []
        for key, (item, start) in sorted(current.items(), key=lambda kv: kv[1][1]):
            if start <= now:
                continue
            due = [
                o
                for o in self.offsets
                if start - timedelta(minutes=o) <= now and (key, start, o) not in self._fired
            ]
            if not due:
                if key in self.shown:  # the same occurrence, read again: the newest details
                    self.shown[key] = Alert(item, self.shown[key].offset, start)
                continue
            self._fired.update((key, start, o) for o in due)
            alert = Alert(item, min(due), start)
            self.shown.pop(key, None)
            self.shown[key] = alert
            fired.append(alert)
        return fired

    def expire(self, now: datetime) -> bool:
        """Withdraw the alerts whose occurrence has started; whether any was."""
        gone = [k for k, a in self.shown.items() if a.start <= now]
        for key in gone:
            del self.shown[key]
        return bool(gone)

    def dismiss(self) -> list[Alert]:
        """Take every shown alert off the screen (they stay fired)."""
        dismissed = list(self.shown.values())
        self.shown.clear()
        return dismissed


ESCAPES = ("osc9", "osc777")


def escape_sequence(kind: str, title: str, body: str, *, tmux: bool = False) -> str:
    """A terminal's desktop-notification escape for one alert.

    ``osc9`` is ``ESC ] 9 ; message BEL`` (iTerm2, kitty, WezTerm, Ghostty, ...), ``osc777``
    is ``ESC ] 777 ; notify ; title ; body BEL`` (rxvt-unicode, foot, WezTerm, Ghostty, VTE
    terminals that carry the notification patch). The text is made safe first: a control
    character would end the escape early and let a title from outside drive the terminal, and
    a ``;`` would split OSC 777's fields, so each becomes visible or a comma. Inside tmux
    (``tmux=True``) the escape is wrapped for tmux's passthrough (``allow-passthrough on``).
    """
    title = safe_text(title).replace(";", ",")
    body = safe_text(body).replace(";", ",")
    if kind == "osc9":
        seq = f"\x1b]9;{title}: {body}\x07"
    elif kind == "osc777":
        seq = f"\x1b]777;notify;{title};{body}\x07"
    else:
        raise ValueError(f"unknown terminal notification {kind!r} (osc9|osc777)")
    if tmux:
        seq = "\x1bPtmux;" + seq.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    return seq
