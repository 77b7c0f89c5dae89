"""Manage availability: each practitioner's weekly online-booking hours and date overrides.

Booking availability is what clients may book (open slots = availability − overrides − busy
events); it is separate from office hours, which only shade the calendar. A date override
replaces the weekly hours of one date: no hours at all makes the date unavailable (out of
office). Each change is saved as it is made.

| Key | Action |
| --- | --- |
| up / down, left / right | Move between weekdays and intervals (weekly hours) |
| a / enter / x | Add / change / remove a weekly interval |
| z | Time zone of the hours |
| c | Copy the practice default to start the practitioner's own |
| o | Add a date out of office |
| h | Set the hours of one date |
| enter (override list) | Change the hours of that date |
| x / delete (override list) | Remove the override (the weekly hours apply again) |
| escape | Back (changes are already saved) |
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.officehours import DateOverride, WeeklyHours, WeeklyInterval
from sessions_tui.screens.hours_base import WeeklyHoursScreen
from sessions_tui.screens.hours_dialogs import OverrideModal, Span
from sessions_tui.services import hours as hours_service
from sessions_tui.services.context import Context
from sessions_tui.widgets.hours_editor import span_text


def override_text(item: DateOverride) -> str:
    """``Fri 2026-12-04  out of office`` or ``Mon 2026-12-07  10:00–14:00``."""
    hours = ", ".join(span_text(a, b) for a, b in item.intervals) or "out of office"
    return f"{item.day:%a %Y-%m-%d}  {hours}"


def check_spans(day: date, spans: tuple[Span, ...]) -> str | None:
    """The domain's words for overlapping hours on one date, or None when they are fine."""
    try:
        WeeklyHours("UTC", tuple(WeeklyInterval(day.weekday(), a, b) for a, b in spans))
    except ValidationError as exc:
        return f"{day:%Y-%m-%d}: {exc}"
    return None


class AvailabilityScreen(WeeklyHoursScreen):
    """Weekly booking hours per practitioner, and date overrides."""

    HELP = """Online-booking availability: the weekly hours clients may book, and dates that
differ (out of office, or other hours). Separate from office hours. Saved as you go."""

    KIND: ClassVar[str] = hours_service.AVAILABILITY
    HEADING: ClassVar[str] = "Manage availability · online-booking hours (not office hours)"
    NOUN: ClassVar[str] = "booking hours"
    OFFER_DEFAULT: ClassVar[bool] = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "leave",
            "Back",
            id="availability.back",
            tooltip="Back to the calendar; every change is already saved",
        ),
        Binding(
            "z",
            "zone",
            "Zone",
            id="availability.zone",
            tooltip="Choose the time zone the booking hours are kept in",
        ),
        Binding(
            "c",
            "copy_default",
            "Copy default",
            id="availability.copy-default",
            tooltip="Copy the practice default to start this practitioner's own hours",
        ),
        Binding(
            "o",
            "out_of_office",
            "Day off",
            id="availability.out-of-office",
            tooltip="Add a date out of office (no booking that day)",
        ),
        Binding(
            "h",
            "date_hours",
            "Date hours",
            id="availability.date-hours",
            tooltip="Set other booking hours for one date",
        ),
        Binding(
            "x",
            "remove_override",
            "Remove date",
            id="availability.remove-override",
            show=False,
            tooltip="Remove the highlighted date override",
        ),
        Binding(
            "delete",
            "remove_override",
            "Remove date",
            id="availability.remove-override-delete",
            show=False,
            tooltip="Remove the highlighted date override (as x)",
        ),
    ]

    DEFAULT_CSS = """
    AvailabilityScreen #overrides-title { width: 1fr; padding: 0 1; text-style: bold;
                                          margin: 1 0 0 0; }
    AvailabilityScreen #overrides { height: 1fr; min-height: 3; margin: 0 1; border: none;
                                    padding: 0; }
    """

    def __init__(self) -> None:
        super().__init__(id="availability")
        self.overrides: list[DateOverride] = []

    def compose_extra(self) -> ComposeResult:
        yield Label(
            "Date overrides  (o out of office · h hours of a date · x remove)", id="overrides-title"
        )
        yield OptionList(id="overrides")

    # --- loading -----------------------------------------------------------------------------

    def load_extra(self, ctx: Context, subject: int | None) -> list[DateOverride]:
        if subject is None:
            return []
        return hours_service.get_overrides(ctx, subject, kind=hours_service.AVAILABILITY)

    def show_extra(self, extra: Any) -> None:
        self.overrides = list(extra or [])
        options = self.query_one("#overrides", OptionList)
        previous = options.highlighted
        options.clear_options()
        if self.overrides:
            options.add_options(
                [Option(override_text(o), id=o.day.isoformat()) for o in self.overrides]
            )
            options.highlighted = min(previous or 0, len(self.overrides) - 1)
        else:
            note = (
                "None: the weekly hours apply on every date."
                if self.own is not None
                else "None. Dates can differ once the practitioner has hours of their own."
            )
            options.add_option(Option(note, disabled=True))

    # --- overrides ---------------------------------------------------------------------------

    def _may_override(self) -> bool:
        if not self.loaded or self.subject is None:
            return False
        if not self.may_edit:
            self.error(self.readonly_reason())
            return False
        if self.own is None:
            self.error(
                "Set weekly booking hours first (press c to copy the default, or a to "
                "add an interval); then dates can differ."
            )
            return False
        return True

    def _check(self, day: date, spans: tuple[Span, ...]) -> str | None:
        return check_spans(day, spans)

    def _ask(
        self, title: str, day: date | None, spans: tuple[Span, ...], *, fixed_day: bool = False
    ) -> None:
        hours = ", ".join(
            f"{a:%H:%M}-{'24:00' if b == time(0) else f'{b:%H:%M}'}" for a, b in spans
        )
        day_text = day.isoformat() if day else ""
        self.app.push_screen(
            OverrideModal(title, day_text, hours, self._check, fixed_day=fixed_day),
            self._set_override,
        )

    def _tomorrow(self) -> date:
        now = self.sessions.clock.now().astimezone(self.sessions.tz)
        return now.date() + timedelta(days=1)

    def action_out_of_office(self) -> None:
        """Ask for a date and make it unavailable (no booking hours)."""
        if self._may_override():
            self._ask("Add a date out of office (leave the hours empty)", self._tomorrow(), ())

    def action_date_hours(self) -> None:
        """Ask for a date and its booking hours (instead of the weekly ones)."""
        if self._may_override():
            self._ask("Booking hours of one date", self._tomorrow(), ((time(9), time(12)),))

    @on(OptionList.OptionSelected, "#overrides")
    def _edit_override(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        item = self._highlighted()
        if item is not None and self._may_override():
            self._ask(
                f"Booking hours on {item.day:%a %Y-%m-%d} (empty: out of office)",
                item.day,
                item.intervals,
                fixed_day=True,
            )

    def _highlighted(self) -> DateOverride | None:
        index = self.query_one("#overrides", OptionList).highlighted
        if index is None or not self.overrides or index >= len(self.overrides):
            return None
        return self.overrides[index]

    def _set_override(self, answer: tuple[date, tuple[Span, ...]] | None) -> None:
        if answer is None or self.subject is None:
            return
        day, spans = answer
        ctx, pid = self.ctx, self.subject

        def run() -> list[DateOverride]:
            hours_service.set_override(ctx, pid, day, spans, kind=hours_service.AVAILABILITY)
            return hours_service.get_overrides(ctx, pid, kind=hours_service.AVAILABILITY)

        self.error("")
        self.enqueue(run, self._overrides_saved(pid, day), saves=True)

    def _overrides_saved(self, pid: int, day: date) -> Any:
        def done(found: list[DateOverride]) -> None:
            if pid != self.subject:
                return
            self.show_extra(found)
            days = [o.day for o in found]
            if day in days:
                self.query_one("#overrides", OptionList).highlighted = days.index(day)

        return done

    def action_remove_override(self) -> None:
        """Remove the highlighted override: the weekly hours apply on that date again."""
        overrides = self.query_one("#overrides", OptionList)
        if not overrides.has_focus:
            return
        item = self._highlighted()
        if item is None or not self._may_override():
            return
        ctx, pid, day = self.ctx, self.subject, item.day
        assert pid is not None

        def run() -> list[DateOverride]:
            hours_service.clear_override(ctx, pid, day, kind=hours_service.AVAILABILITY)
            return hours_service.get_overrides(ctx, pid, kind=hours_service.AVAILABILITY)

        self.error("")
        self.enqueue(run, self._overrides_saved(pid, day), saves=True)
