"""Small forms of the hours screens: an interval, a date override, a time zone.

Each form checks what was typed before it closes and shows the error in words under the
fields; escape closes it and changes nothing.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from datetime import date, time
from functools import lru_cache
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.timeutil import parse_date
from sessions_tui.widgets.hours_editor import parse_clock, span_text

Span = tuple[time, time]

_FORM_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 64; max-width: 96%; height: auto; max-height: 96%;
    border: thick $accent; background: $surface; padding: 0 1;
}}
{name} .form-title {{ text-style: bold; padding: 0 0 1 0; }}
{name} .form-hint {{ color: $text-muted; }}
{name} Input {{ width: 1fr; }}
{name} .form-error {{ color: $error; text-style: bold; height: auto; }}
"""


def parse_spans(text: str) -> tuple[Span, ...]:
    """``09:00-12:00, 13:00-17:00`` (``-`` or ``–``); empty text is no hours at all.

    Raises:
        ValidationError: a part is not ``HH:MM-HH:MM``, or its end is not after its start.
    """
    spans: list[Span] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        pieces = re.split(r"\s*[-–]\s*", part)
        if len(pieces) != 2:
            raise ValidationError(
                f"hours: {part!r} is not HH:MM-HH:MM (e.g. 09:00-12:00)", field="hours"
            )
        start = parse_clock(pieces[0], "Start")
        end = parse_clock(pieces[1], "End", allow_24=True)
        if end != time(0) and end <= start:
            raise ValidationError(
                f"hours: {span_text(start, end)}: end must be after start", field="hours"
            )
        spans.append((start, end))
    return tuple(sorted(spans))


class IntervalModal(ModalScreen[Span | None]):
    """Type the start and end (HH:MM) of an interval; enter saves, escape cancels.

    | Key | Action |
    | --- | --- |
    | enter | Next field; on the last one, check and save |
    | escape | Close, nothing changes |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="interval.cancel",
            tooltip="Close without changing anything",
        ),
    ]

    DEFAULT_CSS = _FORM_CSS.format(name="IntervalModal")

    def __init__(
        self, title: str, start: str, end: str, check: Callable[[time, time], str | None]
    ) -> None:
        super().__init__(id="interval-form")
        self.title_text = title
        self.start_text = start
        self.end_text = end
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="form-title")
            yield Label("Start (HH:MM)", classes="form-hint")
            yield Input(self.start_text, placeholder="09:00", id="interval-start")
            yield Label("End (HH:MM; 24:00 is midnight)", classes="form-hint")
            yield Input(self.end_text, placeholder="17:00", id="interval-end")
            yield Label("", id="interval-error", classes="form-error")

    def on_mount(self) -> None:
        self.query_one("#interval-start", Input).focus()

    @on(Input.Submitted, "#interval-start")
    def _next(self) -> None:
        self.query_one("#interval-end", Input).focus()

    @on(Input.Submitted, "#interval-end")
    def _submit(self) -> None:
        error = self.query_one("#interval-error", Label)
        try:
            start = parse_clock(self.query_one("#interval-start", Input).value, "Start")
            end = parse_clock(self.query_one("#interval-end", Input).value, "End", allow_24=True)
        except ValidationError as exc:
            error.update(str(exc))
            return
        problem = self.check(start, end)
        if problem:
            error.update(problem)
            return
        self.dismiss((start, end))

    def action_cancel(self) -> None:
        self.dismiss(None)


class OverrideModal(ModalScreen[tuple[date, tuple[Span, ...]] | None]):
    """A date and its hours instead of the weekly ones; empty hours = out of office.

    | Key | Action |
    | --- | --- |
    | enter | Next field; on the last one, check and save |
    | escape | Close, nothing changes |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="override.cancel",
            tooltip="Close without changing anything",
        ),
    ]

    DEFAULT_CSS = _FORM_CSS.format(name="OverrideModal")

    def __init__(
        self,
        title: str,
        day: str,
        hours: str,
        check: Callable[[date, tuple[Span, ...]], str | None],
        *,
        fixed_day: bool = False,
    ) -> None:
        super().__init__(id="override-form")
        self.title_text = title
        self.day_text = day
        self.hours_text = hours
        self.check = check
        self.fixed_day = fixed_day

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="form-title")
            yield Label("Date (YYYY-MM-DD)", classes="form-hint")
            yield Input(
                self.day_text, placeholder="2026-12-24", id="override-day", disabled=self.fixed_day
            )
            yield Label(
                "Hours, e.g. 09:00-12:00, 13:00-15:00 (empty = out of office)", classes="form-hint"
            )
            yield Input(self.hours_text, placeholder="empty = out of office", id="override-hours")
            yield Label("", id="override-error", classes="form-error")

    def on_mount(self) -> None:
        target = "#override-hours" if self.fixed_day else "#override-day"
        self.query_one(target, Input).focus()

    @on(Input.Submitted, "#override-day")
    def _next(self) -> None:
        self.query_one("#override-hours", Input).focus()

    @on(Input.Submitted, "#override-hours")
    def _submit(self) -> None:
        error = self.query_one("#override-error", Label)
        try:
            day = parse_date(self.query_one("#override-day", Input).value)
            spans = parse_spans(self.query_one("#override-hours", Input).value)
        except ValidationError as exc:
            error.update(str(exc))
            return
        problem = self.check(day, spans)
        if problem:
            error.update(problem)
            return
        self.dismiss((day, spans))

    def action_cancel(self) -> None:
        self.dismiss(None)


@lru_cache(maxsize=1)
def all_zones() -> tuple[str, ...]:
    """Every IANA zone name this machine knows, sorted (no legacy ``posix/``/``right/``)."""
    return tuple(
        sorted(
            z
            for z in zoneinfo.available_timezones()
            if not z.startswith(("posix/", "right/")) and z != "localtime"
        )
    )


def matching_zones(query: str, zones: tuple[str, ...] | None = None) -> list[str]:
    """Zones whose name contains every word of ``query`` (case-insensitive; space = ``_``)."""
    words = [w.replace(" ", "_") for w in query.lower().split()]
    pool = zones if zones is not None else all_zones()
    return [z for z in pool if all(w in z.lower() for w in words)]


class ZonePickerModal(ModalScreen[str | None]):
    """Search the time zones by typing; down moves into the list, enter picks.

    | Key | Action |
    | --- | --- |
    | (type) | Narrow the list (e.g. ``chicago``, ``europe lon``) |
    | down | Into the list |
    | enter | Pick the highlighted zone (the first match from the search field) |
    | escape | Close, nothing changes |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="zone.cancel", tooltip="Keep the current zone"),
    ]

    DEFAULT_CSS = (
        _FORM_CSS.format(name="ZonePickerModal")
        + """
    ZonePickerModal OptionList { height: 12; }
    """
    )

    def __init__(self, current: str) -> None:
        super().__init__(id="zone-picker")
        self.current = current
        self.shown: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Time zone of these hours (now {self.current})", classes="form-title")
            yield Input(placeholder="type to search, e.g. chicago", id="zone-search")
            yield OptionList(id="zone-list")
            yield Label("", id="zone-count", classes="form-hint")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#zone-search", Input).focus()

    def _fill(self, query: str) -> None:
        self.shown = matching_zones(query)
        options = self.query_one("#zone-list", OptionList)
        options.clear_options()
        options.add_options([Option(z, id=z) for z in self.shown])
        if self.shown:
            current = self.current
            options.highlighted = self.shown.index(current) if current in self.shown else 0
        self.query_one("#zone-count", Label).update(
            (f"{len(self.shown)} zones" if len(self.shown) != 1 else "1 zone")
            if self.shown
            else "No zone matches; try fewer letters"
        )

    @on(Input.Changed, "#zone-search")
    def _search(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#zone-search")
    def _pick_first(self) -> None:
        options = self.query_one("#zone-list", OptionList)
        index = options.highlighted
        if self.shown and index is not None:
            self.dismiss(self.shown[index])

    def on_key(self, event: events.Key) -> None:
        if event.key == "down" and self.query_one("#zone-search").has_focus:
            event.stop()
            self.query_one("#zone-list", OptionList).focus()

    @on(OptionList.OptionSelected, "#zone-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
