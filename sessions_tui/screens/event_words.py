"""How the calendar's questions and notices name an event: who or what, the day, the time, and
for a series how many occurrences an answer touches.

"Cancel a recurring event" with "Saved (cancel this event)" after it named nobody: on a slot of
three sessions the scheduler could not tell whose was cancelled. Every question and notice of
the appointment keys (:mod:`~sessions_tui.screens.event_actions`) is worded here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sessions_tui.domain.events import Instant
from sessions_tui.services.agenda_item import AgendaItem
from sessions_tui.services.calendar import display_title

if TYPE_CHECKING:  # the services behind the questions load when a question is asked
    from sessions_tui.services.appointments import Scope
    from sessions_tui.services.series_counts import SeriesCounts


def when(value: Instant, tz: ZoneInfo) -> str:
    """``Mon 23 Nov 09:00`` (a time in ``tz``), or ``Thu 26 Nov`` for a date."""
    if isinstance(value, datetime):
        local = value.astimezone(tz)
        return f"{local:%a} {local.day} {local:%b %H:%M}"
    assert isinstance(value, date)
    return f"{value:%a} {value.day} {value:%b}"


def short_when(value: Instant, tz: ZoneInfo) -> str:
    """``Wed 25 14:30`` (the move notice: the day of the week and of the month, the time)."""
    if isinstance(value, datetime):
        local = value.astimezone(tz)
        return f"{local:%a} {local.day} {local:%H:%M}"
    assert isinstance(value, date)
    return f"{value:%a} {value.day} {value:%b}"


def title(item: AgendaItem, *, privacy: bool) -> str:
    """The client (initials in privacy mode) or the title; never empty."""
    found = display_title(item, privacy=privacy)
    return found or ("a session" if item.event.is_session else "an event")


def name(item: AgendaItem, tz: ZoneInfo, *, privacy: bool) -> str:
    """``Ava Bennett, Mon 23 Nov 09:00``: who or what, and when."""
    return f"{title(item, privacy=privacy)}, {when(item.start, tz)}"


def noun(item: AgendaItem, count: int | None = None) -> str:
    """``session``/``sessions`` for a client session, else ``event``/``events``."""
    word = "session" if item.event.is_session else "event"
    return word if count == 1 else word + "s"


def scope_labels(
    item: AgendaItem, counts: SeriesCounts | None, tz: ZoneInfo, *, privacy: bool
) -> list[str]:
    """The three answers of the this / following / all question, each saying what it touches:
    ``This and following: 6 sessions of Ava Bennett, Mon 23 Nov 09:00 on``."""
    who = title(item, privacy=privacy)
    at = when(item.start, tz)
    following = counts.following if counts else None
    total = counts.total if counts else None
    this = f"This {noun(item, 1)} only: {who}, {at}"
    if following is None:
        after = f"This and following: every {noun(item, 1)} of {who} from {at} on"
    else:
        after = f"This and following: {following} {noun(item, following)} of {who}, {at} on"
    if total is None:
        every = f"All: every {noun(item, 1)} of the series of {who} (it has no end)"
    else:
        every = f"All {total} {noun(item, total)} of the series of {who}"
    return [this, after, every]


def touched(item: AgendaItem, scope: Scope, counts: SeriesCounts | None) -> str:
    """What a done change touched, for its notice: ``this session only``, ``6 sessions``…"""
    if scope == "this" or counts is None:
        return f"this {noun(item, 1)} only"
    n = counts.following if scope == "following" else counts.total
    if n is None:
        return f"every {noun(item, 1)} from then on" if scope == "following" else "the series"
    return f"{n} {noun(item, n)}"


def scope_text(
    item: AgendaItem, scope: Scope, counts: SeriesCounts | None, tz: ZoneInfo, *, privacy: bool
) -> str:
    """What an answer touches, named: ``Ava Bennett, Mon 23 Nov 09:00`` (one event, or this
    one of a series), ``6 sessions of Ava Bennett, Mon 23 Nov 09:00 on``, ``all 8 sessions
    of Ava Bennett``."""
    if not counts or scope == "this":
        return name(item, tz, privacy=privacy)
    who = title(item, privacy=privacy)
    at = when(item.start, tz)
    if scope == "following":
        n = counts.following
        if n is None:
            return f"every {noun(item, 1)} of {who} from {at} on"
        return f"{n} {noun(item, n)} of {who}, {at} on"
    if counts.total is None:
        return f"every {noun(item, 1)} of the series of {who}"
    return f"all {counts.total} {noun(item, counts.total)} of the series of {who}"


def whose(items: Sequence[AgendaItem], *, privacy: bool) -> str:
    """``Ava Bennett (Alice Moreno), Chloe Brennan (Dana Ortiz)``: events and their people."""
    parts = []
    for item in items:
        person = item.practitioner.name if item.practitioner is not None else "nobody's"
        parts.append(f"{title(item, privacy=privacy)} ({person})")
    return ", ".join(parts)
