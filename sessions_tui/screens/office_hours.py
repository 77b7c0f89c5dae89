"""Office hours: when each practitioner is in, and the practice-wide default.

Office hours are private to the practice: they shade the calendar and are never offered to
clients. Online-booking hours are separate (the Manage availability screen).

A practitioner changes only their own hours; admins and schedulers change anyone's and the
practice default. A practitioner with no hours of their own uses the default, and can copy it to
start their own. Each change is saved as it is made (there is no save button).

| Key | Action |
| --- | --- |
| up / down, left / right | Move between weekdays and intervals |
| a | Add an interval |
| enter / e | Change the interval |
| x / delete | Remove the interval |
| z | Time zone of the hours (searchable list) |
| c | Copy the practice default to start your own |
| tab | To the "whose hours" list |
| escape | Back (changes are already saved) |
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from sessions_tui.screens.hours_base import WeeklyHoursScreen
from sessions_tui.services import hours as hours_service


class OfficeHoursScreen(WeeklyHoursScreen):
    """Edit office hours (practitioners' own, and the practice default)."""

    HELP = """Office hours: private to the practice, they gray out the calendar outside them.
Not the online-booking hours (see Manage availability). Changes are saved as you make them."""

    KIND: ClassVar[str] = hours_service.OFFICE
    HEADING: ClassVar[str] = (
        "Office hours · private to the practice (not online-booking availability)"
    )
    NOUN: ClassVar[str] = "office hours"
    OFFER_DEFAULT: ClassVar[bool] = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "leave",
            "Back",
            id="office-hours.back",
            tooltip="Back to the calendar; every change is already saved",
        ),
        Binding(
            "z",
            "zone",
            "Zone",
            id="office-hours.zone",
            tooltip="Choose the time zone the office hours are kept in",
        ),
        Binding(
            "c",
            "copy_default",
            "Copy default",
            id="office-hours.copy-default",
            tooltip="Copy the practice default to start your own office hours",
        ),
    ]

    def __init__(self) -> None:
        super().__init__(id="office-hours")
