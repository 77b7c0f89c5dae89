"""A keyboard editor of weekly hours: one row per weekday, several intervals per row.

Used by the office hours and the availability screens. The editor holds a
:class:`~sessions_tui.domain.officehours.WeeklyHours`; adding or changing an interval is asked of
the screen (:class:`HoursEditor.IntervalRequested`, it opens a small form), removing one happens
here. Every change is posted as :class:`HoursEditor.Changed` with the new hours, already checked
by the domain (overlaps refused), and the screen saves it.

Nothing is told by colour alone: the cursor row starts with ``▸`` and the chosen interval is
drawn in reverse video between brackets; a day with no hours says ``closed``.

| Key | Action |
| --- | --- |
| up / down | Previous / next weekday |
| left / right | Previous / next interval of the day |
| a | Add an interval to the day |
| enter / e | Change the interval under the cursor (adds one on a closed day) |
| x / delete | Remove the interval under the cursor |
"""

from __future__ import annotations

import re
from datetime import time
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.officehours import WEEKDAYS, WeeklyHours, WeeklyInterval

_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def parse_clock(text: str, what: str, *, allow_24: bool = False) -> time:
    """Parse ``HH:MM`` typed by a person; ``24:00`` (``allow_24``) is midnight at the end.

    Raises:
        ValidationError: a one-line message in words naming ``what`` and what was typed.
    """
    if not text.strip():
        raise ValidationError(f"{what}: type a time as HH:MM, e.g. 09:00", field=what.lower())
    match = _CLOCK.match(text)
    if match is None:
        raise ValidationError(
            f"{what}: {text.strip()!r} is not HH:MM (e.g. 09:00 or 17:30)", field=what.lower()
        )
    hour, minute = int(match.group(1)), int(match.group(2))
    if allow_24 and hour == 24 and minute == 0:
        return time(0)
    if hour > 23 or minute > 59:
        top = "24:00" if allow_24 else "23:59"
        raise ValidationError(
            f"{what}: {text.strip()} is not a time of day (00:00 to {top})", field=what.lower()
        )
    return time(hour, minute)


def clock_text(value: time, *, end: bool = False) -> str:
    """``09:00``; an end at midnight is ``24:00``."""
    return "24:00" if end and value == time(0) else f"{value:%H:%M}"


def span_text(start: time, end: time) -> str:
    """An interval as ``09:00–17:00`` (an end at midnight reads ``24:00``)."""
    return f"{clock_text(start)}–{clock_text(end, end=True)}"


class HoursEditor(Widget, can_focus=True):
    """Weekly hours, Monday to Sunday, edited with the keyboard."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "up",
            "move_day(-1)",
            "Prev day",
            id="hours.up",
            show=False,
            tooltip="Cursor to the previous weekday",
        ),
        Binding(
            "down",
            "move_day(1)",
            "Next day",
            id="hours.down",
            show=False,
            tooltip="Cursor to the next weekday",
        ),
        Binding(
            "left",
            "move_interval(-1)",
            "Prev interval",
            id="hours.left",
            show=False,
            tooltip="Cursor to the previous interval of the day",
        ),
        Binding(
            "right",
            "move_interval(1)",
            "Next interval",
            id="hours.right",
            show=False,
            tooltip="Cursor to the next interval of the day",
        ),
        Binding("a", "add", "Add", id="hours.add", tooltip="Add an interval to this weekday"),
        Binding(
            "enter",
            "edit",
            "Change",
            id="hours.edit",
            # Not in the footer: enter on what is highlighted needs no hint, and with it the
            # availability screen's footer did not fit 80 columns ("h Date ho", issue 14).
            show=False,
            tooltip="Change the interval under the cursor",
        ),
        Binding(
            "e",
            "edit",
            "Change",
            id="hours.edit-e",
            show=False,
            tooltip="Change the interval under the cursor (as enter)",
        ),
        Binding(
            "x",
            "remove",
            "Remove",
            id="hours.remove",
            tooltip="Remove the interval under the cursor",
        ),
        Binding(
            "delete",
            "remove",
            "Remove",
            id="hours.remove-delete",
            show=False,
            tooltip="Remove the interval under the cursor (as x)",
        ),
    ]

    COMPONENT_CLASSES = {
        "hours-editor--day",
        "hours-editor--cursor",
        "hours-editor--closed",
        "hours-editor--readonly",
    }

    DEFAULT_CSS = """
    HoursEditor { height: 7; width: 1fr; }
    HoursEditor > .hours-editor--day { text-style: bold; }
    HoursEditor > .hours-editor--cursor { text-style: reverse; }
    HoursEditor > .hours-editor--closed { color: $text-muted; text-style: italic; }
    HoursEditor > .hours-editor--readonly { color: $text-muted; }
    HoursEditor:focus > .hours-editor--cursor { text-style: reverse bold; }
    """

    class Changed(Message):
        """The user changed the hours; ``hours`` is the whole new week (domain-checked)."""

        def __init__(self, editor: HoursEditor, hours: WeeklyHours) -> None:
            super().__init__()
            self.editor = editor
            self.hours = hours

        @property
        def control(self) -> HoursEditor:
            return self.editor

    class IntervalRequested(Message):
        """Add (``index`` None) or change interval ``index`` of ``weekday``: the screen asks."""

        def __init__(self, editor: HoursEditor, weekday: int, index: int | None) -> None:
            super().__init__()
            self.editor = editor
            self.weekday = weekday
            self.index = index

        @property
        def control(self) -> HoursEditor:
            return self.editor

    class Refused(Message):
        """A change was asked for while the hours are read-only; ``reason`` says why."""

        def __init__(self, editor: HoursEditor, reason: str) -> None:
            super().__init__()
            self.editor = editor
            self.reason = reason

        @property
        def control(self) -> HoursEditor:
            return self.editor

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.hours = WeeklyHours("UTC")
        self.editable = False
        self.readonly_reason = "still loading"
        self.day = 0
        self.index = 0

    # --- data in and out ---------------------------------------------------------------------

    def show(self, hours: WeeklyHours, *, editable: bool, reason: str = "") -> None:
        """Show ``hours``; when not ``editable``, changes are refused with ``reason``."""
        self.hours = hours
        self.editable = editable
        self.readonly_reason = reason or "these hours are read-only"
        self.set_class(not editable, "-readonly")
        self._clamp()
        self.refresh()

    def day_intervals(self, weekday: int) -> list[WeeklyInterval]:
        return sorted(i for i in self.hours.intervals if i.weekday == weekday)

    def current(self) -> WeeklyInterval | None:
        """The interval under the cursor, if the day has any."""
        items = self.day_intervals(self.day)
        return items[self.index] if 0 <= self.index < len(items) else None

    def with_interval(self, weekday: int, index: int | None, start: time, end: time) -> WeeklyHours:
        """The hours with interval ``index`` of ``weekday`` replaced (None: one added).

        Raises:
            ValidationError: end not after start, or an overlap (the domain's message).
        """
        new = WeeklyInterval(weekday, start, end)
        items = list(self.hours.intervals)
        if index is not None:
            old = self.day_intervals(weekday)[index]
            items.remove(old)
        items.append(new)
        return WeeklyHours(self.hours.tzid, tuple(sorted(items)), self.hours.practitioner_id)

    def apply(self, hours: WeeklyHours, *, focus: WeeklyInterval | None = None) -> None:
        """Take ``hours`` as the user's change: redraw and post :class:`Changed`."""
        self.hours = hours
        if focus is not None:
            self.day = focus.weekday
            self.index = self.day_intervals(focus.weekday).index(focus)
        self._clamp()
        self.refresh()
        self.post_message(self.Changed(self, hours))

    # --- actions -----------------------------------------------------------------------------

    def _clamp(self) -> None:
        self.day = max(0, min(6, self.day))
        count = len(self.day_intervals(self.day))
        self.index = max(0, min(self.index, count - 1)) if count else 0

    def action_move_day(self, step: int) -> None:
        self.day = (self.day + step) % 7
        self._clamp()
        self.refresh()

    def action_move_interval(self, step: int) -> None:
        self.index += step
        self._clamp()
        self.refresh()

    def _refuse(self) -> bool:
        if self.editable:
            return False
        self.post_message(self.Refused(self, self.readonly_reason))
        return True

    def action_add(self) -> None:
        if not self._refuse():
            self.post_message(self.IntervalRequested(self, self.day, None))

    def action_edit(self) -> None:
        if self._refuse():
            return
        index = self.index if self.current() is not None else None
        self.post_message(self.IntervalRequested(self, self.day, index))

    def action_remove(self) -> None:
        if self._refuse():
            return
        item = self.current()
        if item is None:
            return
        items = tuple(i for i in self.hours.intervals if i != item)
        self.apply(WeeklyHours(self.hours.tzid, items, self.hours.practitioner_id))

    # --- drawing -----------------------------------------------------------------------------

    def render(self) -> Text:
        day_style = self.get_component_rich_style("hours-editor--day")
        cursor = self.get_component_rich_style("hours-editor--cursor")
        closed = self.get_component_rich_style("hours-editor--closed")
        muted = (
            self.get_component_rich_style("hours-editor--readonly")
            if not self.editable
            else Style()
        )
        out = Text(no_wrap=True, overflow="ellipsis")
        for weekday, name in enumerate(WEEKDAYS):
            on_row = weekday == self.day
            out.append("▸" if on_row else " ")
            out.append(f"{name}  ", day_style + muted)
            items = self.day_intervals(weekday)
            if not items:
                out.append("closed", closed + (cursor if on_row else Style()))
            for n, item in enumerate(items):
                text = span_text(item.start, item.end)
                if on_row and n == self.index:
                    out.append(f"[{text}]", muted + cursor)
                else:
                    out.append(f" {text} ", muted)
                out.append(" ")
            if weekday < 6:
                out.append("\n")
        return out
