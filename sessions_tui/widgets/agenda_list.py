"""The agenda view: a plain list of days and their events, the most screen-reader-friendly view.

Each line is the same text the ``agenda`` command prints (``services.render``), so what a
screen reader speaks here matches what scripts see.

| Key | Action |
| --- | --- |
| up / down | Previous / next line |
| enter | Open the highlighted event |
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from sessions_tui.domain.subscriptions import MARK as SUBSCRIPTION_MARK
from sessions_tui.domain.subscriptions import is_subscribed
from sessions_tui.services.agenda_item import AgendaItem
from sessions_tui.services.calendar import is_secondary
from sessions_tui.services.render import describe, item_days


def agenda_rows(
    items: Sequence[AgendaItem],
    tz: ZoneInfo,
    first: date,
    days: int,
    *,
    privacy: bool,
    secondary: frozenset[tuple[int, str]] = frozenset(),
    hours12: bool = False,
) -> list[tuple[str, AgendaItem | None, date]]:
    """``(text, item or None for headings, day)`` rows, as ``render.agenda_lines`` lays them out.

    Events from a secondary Google calendar (``secondary``) start with ``◇``, those of a
    read-only ICS subscription with ``⇣``.
    """
    by_day: dict[date, list[AgendaItem]] = {}
    for it in items:
        for d in item_days(it, tz):
            by_day.setdefault(d, []).append(it)
    rows: list[tuple[str, AgendaItem | None, date]] = []
    for n in range(days):
        d = first + timedelta(days=n)
        rows.append((f"{d:%A, %b} {d.day}, {d.year}", None, d))
        todays = by_day.get(d, [])
        if not todays:
            rows.append(("  (nothing scheduled)", None, d))
        rows.extend(
            (
                "  "
                + ("◇ " if is_secondary(it, secondary) else "")
                + (f"{SUBSCRIPTION_MARK} " if is_subscribed(it.event.source_calendar) else "")
                + describe(it, tz, privacy=privacy, hours12=hours12),
                it,
                d,
            )
            for it in todays
        )
    return rows


class AgendaList(OptionList):
    """Days as headings, events as selectable lines."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "select",
            "Open",
            id="agenda.select",
            show=False,
            tooltip="Open the highlighted event",
        ),
    ]

    DEFAULT_CSS = """
    AgendaList { height: 1fr; border: none; padding: 0 1; }
    AgendaList:focus { border: none; }
    """

    class EventSelected(Message):
        """Enter was pressed on an event line."""

        def __init__(self, agenda: AgendaList, item: AgendaItem) -> None:
            super().__init__()
            self.agenda = agenda
            self.item = item

        @property
        def control(self) -> AgendaList:
            return self.agenda

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[tuple[str, AgendaItem | None, date]] = []
        self.secondary: frozenset[tuple[int, str]] = frozenset()
        """``(practitioner id, calendar id)`` of secondary Google calendars (``◇``, underlined)."""

    hours12 = False
    """Times on a 12-hour clock (set by the calendar from the user's config)."""

    def set_secondary(self, secondary: frozenset[tuple[int, str]]) -> None:
        """Mark events from these secondary Google calendars (applies from the next ``show``)."""
        self.secondary = secondary

    def show(
        self,
        items: Sequence[AgendaItem] | None,
        tz: ZoneInfo,
        first: date,
        days: int,
        *,
        privacy: bool,
        focus_day: date,
    ) -> None:
        """Fill the list; ``items=None`` shows a loading line."""
        if items is None:
            self.rows = [("Loading…", None, first)]
        else:
            self.rows = agenda_rows(
                items,
                tz,
                first,
                days,
                privacy=privacy,
                secondary=self.secondary,
                hours12=self.hours12,
            )
        self.clear_options()
        # Text, not markup: "[cancelled]" and "[free]" must show as written.
        self.add_options(
            [
                Option(
                    Text(
                        text,
                        style="underline"
                        if item is not None
                        and (
                            is_secondary(item, self.secondary)
                            or is_subscribed(item.event.source_calendar)
                        )
                        else "",
                    ),
                    id=str(n),
                    disabled=item is None,
                )
                for n, (text, item, _d) in enumerate(self.rows)
            ]
        )
        target = next(
            (n for n, (_t, it, d) in enumerate(self.rows) if it is not None and d >= focus_day),
            None,
        )
        if target is None:
            target = next((n for n, (_t, it, _d) in enumerate(self.rows) if it is not None), None)
        self.highlighted = target

    @property
    def current_item(self) -> AgendaItem | None:
        if self.highlighted is None or not 0 <= self.highlighted < len(self.rows):
            return None
        return self.rows[self.highlighted][1]

    def action_select(self) -> None:
        item = self.current_item
        if item is not None:
            self.post_message(self.EventSelected(self, item))
