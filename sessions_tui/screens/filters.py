"""The filter panel: practitioners, locations, status and notes.

| Key | Action |
| --- | --- |
| space | Tick or untick the highlighted entry |
| tab | Next list |
| enter, ctrl+s | Apply the filter (remembered for this user) and close |
| escape | Close without changing the filter |
| ctrl+r | Tick everything (show all) |

Escape cancels here as it does in every other dialog; the boxes read ``[x]`` / ``[ ]``
(:class:`~sessions_tui.widgets.check_list.CheckList`), and the line under the lists says in
words what the highlighted entry is and whether it is ticked.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, SelectionList
from textual.widgets.selection_list import Selection

from sessions_tui.domain.events import Status
from sessions_tui.services.calendar import CalendarFacts, Filters
from sessions_tui.widgets.check_list import CheckList


def _chosen(selected: list[int], every: list[int]) -> frozenset[int] | None:
    return None if set(selected) == set(every) else frozenset(selected)


class FiltersModal(ModalScreen[Filters | None]):
    """Pick what the calendar shows; space toggles, tab moves between lists, enter applies,
    escape leaves the filter as it was (dismisses with ``None``)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "apply",
            "Apply",
            id="filters.apply",
            tooltip="Apply the filter, remember it, and close",
        ),
        Binding(
            "ctrl+s",
            "apply",
            "Apply",
            id="filters.apply-ctrl-s",
            show=False,
            tooltip="Apply the filter, remember it, and close (as enter)",
        ),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="filters.cancel",
            tooltip="Close without changing the filter",
        ),
        Binding("ctrl+r", "reset", "Show all", id="filters.reset", tooltip="Clear every filter"),
    ]

    DEFAULT_CSS = """
    FiltersModal { align: center middle; }
    FiltersModal > Vertical { width: 96%; max-width: 100; height: auto; max-height: 96%;
                              border: round $accent; background: $surface; padding: 0 1; }
    FiltersModal Horizontal { height: auto; }
    FiltersModal SelectionList { height: auto; max-height: 10; width: 1fr; border: none;
                                 padding: 0; }
    FiltersModal .filter-title { text-style: bold; }
    FiltersModal .filter-group { width: 1fr; height: auto; }
    """

    def __init__(self, facts: CalendarFacts, filters: Filters) -> None:
        super().__init__()
        self.facts = facts
        self.initial = filters

    def compose(self) -> ComposeResult:
        f = self.initial
        people = [
            Selection(
                f"{self.facts.markers.get(p.id, '?')} {p.name}",
                p.id,
                f.practitioner_ids is None or p.id in f.practitioner_ids,
            )
            for p in self.facts.practitioners
        ]
        places = [
            Selection(
                loc.name + (" (archived)" if loc.archived else ""),
                loc.id,
                f.location_ids is None or loc.id in f.location_ids,
            )
            for loc in self.facts.locations
        ]
        statuses = [
            Selection(label, s.value, f.statuses is None or s in f.statuses)
            for label, s in (
                ("scheduled", Status.SCHEDULED),
                ("✔ confirmed", Status.CONFIRMED),
                ("✗ cancelled", Status.CANCELLED),
            )
        ]
        notes = [
            Selection("✓ notes done", "done", f.notes_completed in (None, True)),
            Selection("notes not yet", "todo", f.notes_completed in (None, False)),
        ]
        with Vertical():
            yield Label(
                "Filter: space ticks, tab next list, enter applies, esc cancels, ctrl+r all"
            )
            with Horizontal():
                with Vertical(classes="filter-group"):
                    yield Label("Practitioners", classes="filter-title")
                    yield CheckList[int](*people, id="filter-practitioners")
                with Vertical(classes="filter-group"):
                    yield Label("Locations", classes="filter-title")
                    yield CheckList[int](*places, id="filter-locations")
            with Horizontal():
                with Vertical(classes="filter-group"):
                    yield Label("Status", classes="filter-title")
                    yield CheckList[str](*statuses, id="filter-status")
                with Vertical(classes="filter-group"):
                    yield Label("Notes (sessions)", classes="filter-title")
                    yield CheckList[str](*notes, id="filter-notes")
            yield Label("", id="filter-said")

    def on_mount(self) -> None:
        self.query_one("#filter-practitioners").focus()

    def current(self) -> Filters:
        """The filter the lists describe now."""
        people: SelectionList[int] = self.query_one("#filter-practitioners", SelectionList)
        places: SelectionList[int] = self.query_one("#filter-locations", SelectionList)
        status: SelectionList[str] = self.query_one("#filter-status", SelectionList)
        notes: SelectionList[str] = self.query_one("#filter-notes", SelectionList)
        chosen_status = set(status.selected)
        statuses = (
            None
            if chosen_status == {s.value for s in Status}
            else frozenset(Status(v) for v in chosen_status)
        )
        chosen_notes = set(notes.selected)
        notes_completed = (
            True if chosen_notes == {"done"} else False if chosen_notes == {"todo"} else None
        )
        return Filters(
            practitioner_ids=_chosen(
                list(people.selected), [p.id for p in self.facts.practitioners]
            ),
            location_ids=_chosen(list(places.selected), [loc.id for loc in self.facts.locations]),
            statuses=statuses,
            notes_completed=notes_completed,
        )

    @on(SelectionList.SelectionHighlighted)
    def _say(self, event: SelectionList.SelectionHighlighted[object]) -> None:
        """The highlighted entry and its state in words (for a screen reader that reads the
        line that changed; the box itself is only ``[x]`` or ``[ ]``)."""
        self._say_state(event.selection_list)

    @on(SelectionList.SelectedChanged)
    def _say_changed(self, event: SelectionList.SelectedChanged[object]) -> None:
        """A tick, an untick or ctrl+r: the line says the highlighted entry's new state."""
        if event.selection_list.has_focus:
            self._say_state(event.selection_list)

    def _say_state(self, checks: SelectionList[object]) -> None:
        index = checks.highlighted
        if index is None:
            return
        option = checks.get_option_at_index(index)
        state = "checked (shown)" if option.value in checks.selected else "unchecked (hidden)"
        self.query_one("#filter-said", Label).update(f"{option.prompt}: {state}")

    def action_apply(self) -> None:
        self.dismiss(self.current())

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_reset(self) -> None:
        for sl in self.query(SelectionList):
            sl.select_all()
