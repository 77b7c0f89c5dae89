"""The time grid's words, as pure functions: the markers before an event, labels, wrapped text.

Nothing is told by colour alone, so what an event is shows in text too: its practitioner's
letter, then ``◇`` (a secondary Google calendar), ``⇣`` (a read-only subscription), ``✗``
(cancelled), ``✔`` (confirmed by the client) and ``○`` (free) (:func:`event_markers`); time
outside office hours is :data:`SHADE`. A block's text is wrapped to its width and rows
(:func:`block_text`); a cluster too crowded to lay side by side lists first names instead
(:func:`fit_names`). No Textual and no styles here: the styles are
:mod:`sessions_tui.widgets.grid_paint`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from typing import TypeVar
from zoneinfo import ZoneInfo

from sessions_tui.domain.events import Status
from sessions_tui.domain.holds import HOLD_MARK
from sessions_tui.domain.subscriptions import MARK as SUBSCRIPTION_MARK
from sessions_tui.domain.subscriptions import is_subscribed
from sessions_tui.domain.text import safe_text
from sessions_tui.services.agenda_item import AgendaItem

S = TypeVar("S")

SHADE = "░"
"""Drawn in empty cells outside office hours (visible with NO_COLOR as well)."""
MIN_BLOCK = 7
"""Narrowest side-by-side block that still reads (a letter, a space, five of a name); below
it, a slot's overlapping events are listed by first name across the whole column instead."""
CONFIRMED_MARK = "✔"
"""Marks a session the client confirmed from a reminder's link (issue 20)."""
SECONDARY_MARK = "◇"
"""Marks events pulled from a secondary Google calendar (with a style, never colour alone)."""


def first_name(title: str) -> str:
    """The first word of an event's title ("Ava Thompson" → "Ava"; initials stay whole)."""
    words = title.split()
    return words[0] if words else "?"


def name_forms(name: str) -> list[str]:
    """A person's name, then ever shorter forms of it for a narrow column header:
    "Dr. Alice Moreno", "Dr. Alice M.", "Alice M.", "Alice" (a title such as "Dr." goes
    before the first name does)."""
    words = name.split()
    if not words:
        return [name]
    core = [w for w in words if not (w.endswith(".") and len(w) <= 4)] or words
    forms = [" ".join(words)]
    if len(words) >= 2:
        forms.append(" ".join([*words[:-1], words[-1][0] + "."]))
    if len(core) >= 2:
        forms.append(" ".join([*core[:-1], core[-1][0] + "."]))
    forms.append(core[0])
    return list(dict.fromkeys(forms))


def ellipsis(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, ending in ``…`` when it was cut."""
    if len(text) <= width:
        return text
    return text[: width - 1] + "…" if width >= 1 else ""


def fit_labels(forms: Sequence[Sequence[str]], widths: Sequence[int]) -> list[str]:
    """One label per column from each column's ``forms`` (longest first), never cut mid-word
    without a mark.

    The same level of shortening for the whole row when it fits every column (so "Ben O."
    never stands beside "Carmen Liu"); otherwise each column takes its longest form that fits,
    and a column too narrow for any ends in ``…``.
    """
    levels = max((len(f) for f in forms), default=0)
    for level in range(levels):
        labels = [f[min(level, len(f) - 1)] for f in forms]
        if all(len(label) <= w for label, w in zip(labels, widths, strict=True)):
            return labels
    out = []
    for f, w in zip(forms, widths, strict=True):
        fitting = [label for label in f if len(label) <= w]
        out.append(fitting[0] if fitting else ellipsis(f[-1], w))
    return out


def event_markers(item: AgendaItem, letter: str, secondary: bool = False) -> str:
    """Text markers shown before an event: practitioner letter, ``?`` a booking request's hold,
    ``◇`` from a secondary Google calendar, ``⇣`` from a read-only ICS subscription, ``✗``
    cancelled, ``✔`` confirmed by the client, ``○`` free."""
    out = letter
    if item.hold is not None:
        out += HOLD_MARK  # an online-booking request's held time, not an event (issue 24)
    if secondary:
        out += SECONDARY_MARK
    if is_subscribed(item.event.source_calendar):
        out += SUBSCRIPTION_MARK
    if item.event.is_cancelled:
        out += "✗"
    elif item.event.status is Status.CONFIRMED:
        out += CONFIRMED_MARK
    if not item.event.busy:
        out += "○"
    return out


def hour_label(hour: int, hours12: bool) -> str:
    """The gutter's label of an hour row: `` 09:00 `` or ``  9am ``, ``  12pm``."""
    if not hours12:
        return f" {hour:02d}:00 "
    return f"{(hour - 1) % 12 + 1:>3}{'am' if hour < 12 else 'pm'} "


def clock_label(at: time, hours12: bool) -> str:
    """The now row's time after its ``▶``: ``10:41 `` or ``10:41a`` (six characters)."""
    if not hours12:
        return f"{at:%H:%M} "
    return f"{(at.hour - 1) % 12 + 1:>2}:{at.minute:02d}{'a' if at.hour < 12 else 'p'}"


def dense_name(item: AgendaItem, title: str) -> str:
    """An event's name in a crowded cluster: its first name, after ``✗`` or ``✔``."""
    name = first_name(title)
    if item.hold is not None:
        return HOLD_MARK + name
    if item.event.is_cancelled:
        return "✗" + name
    if item.event.status is Status.CONFIRMED:
        return CONFIRMED_MARK + name
    return name


def most_names(inner: int, rows: int) -> int:
    """More names than ``rows`` rows of ``inner`` characters can hold (each takes a character
    and a space): a cluster passes :func:`fit_names` only that many, however large it is."""
    return rows * ((inner + 1) // 2) + 1


def fit_names(
    names: Sequence[tuple[str, S]], inner: int, rows: int, plain: S, total: int | None = None
) -> list[list[tuple[str, S]]]:
    """A crowded cluster's names as ``rows`` rows of ``inner`` styled characters.

    The count first, then each name in its own style ("4: Ava Zoe Chloé +1"), wrapped over the
    rows; what does not fit is counted in a ``+N`` at the end. ``plain`` styles the count, the
    spaces and the ``+N``. ``total`` is the cluster's size when ``names`` holds only its first
    :func:`most_names` (the rest could not be shown anyway).
    """
    tokens = [(text[:inner], style) for text, style in names]
    total = len(tokens) if total is None else total
    lines: list[list[tuple[str, S]]] = [[(ch, plain) for ch in f"{total}:"]]
    for k, (text, style) in enumerate(tokens):
        line = lines[-1]
        room = inner - len(line) - (1 if line else 0)
        if len(text) > room and len(lines) < rows:
            lines.append([])
            line = lines[-1]
            room = inner
        if len(text) <= room:
            if line:
                line.append((" ", plain))
            line.extend((ch, style) for ch in text)
            continue
        more = f"+{total - k}"
        while line and inner - len(line) < len(more) + 1:
            line.pop()  # make room for "+N" at the end of the last row
        if line:
            line.append((" ", plain))
        line.extend((ch, plain) for ch in more[: inner - len(line)])
        break
    out: list[list[tuple[str, S]]] = []
    for line in lines + [[] for _ in range(rows - len(lines))]:
        out.append((line + [(" ", plain)] * inner)[:inner])
    return out


def wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap that breaks long words (``textwrap`` is too slow per cell)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        while len(word) > width:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:width])
            word = word[width:]
        if not word:
            continue
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines or [""]


def block_text(
    item: AgendaItem,
    letter: str,
    title: str,
    tz: ZoneInfo,
    width: int,
    rows: int,
    *,
    secondary: bool = False,
) -> list[str]:
    """An event's text wrapped into its block: markers, time (when wide), title, location."""
    marks = event_markers(item, letter, secondary)
    words: list[str] = []
    if marks:
        words.append(marks)
    if width >= 16 and isinstance(item.start, datetime):
        words.append(f"{item.start.astimezone(tz):%H:%M}")
    words.append(title)
    if item.location is not None:
        words.append(f"@ {safe_text(item.location.name)}")
    if width <= 0:
        return []
    lines = wrap(" ".join(words), width)
    lines = lines[:rows]
    lines += ["┊"] * (rows - len(lines))
    return lines
