"""The filter panel: practitioners, locations, status and notes; escape applies and closes."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, SelectionList
from textual.widgets.selection_list import Selection

from sessions_tui.domain.events import Status
from sessions_tui.services.calendar import CalendarFacts, Filters


def _chosen(selected: list[int], every: list[int]) -> frozenset[int] | None:
    return None if set(selected) == set(every) else frozenset(selected)


class FiltersModal(ModalScreen[Filters | None]):
    """Pick what the calendar shows; space toggles, tab moves between lists, escape applies."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "apply",
            "Apply and close",
            id="filters.apply",
            tooltip="Apply the filter, remember it, and close",
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
            yield Label("Filter (space toggles, tab next list, esc applies, ctrl+r shows all)")
            with Horizontal():
                with Vertical(classes="filter-group"):
                    yield Label("Practitioners", classes="filter-title")
                    yield SelectionList[int](*people, id="filter-practitioners")
                with Vertical(classes="filter-group"):
                    yield Label("Locations", classes="filter-title")
                    yield SelectionList[int](*places, id="filter-locations")
            with Horizontal():
                with Vertical(classes="filter-group"):
                    yield Label("Status", classes="filter-title")
                    yield SelectionList[str](*statuses, id="filter-status")
                with Vertical(classes="filter-group"):
                    yield Label("Notes (sessions)", classes="filter-title")
                    yield SelectionList[str](*notes, id="filter-notes")

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

    def action_apply(self) -> None:
        self.dismiss(self.current())

    def action_reset(self) -> None:
        for sl in self.query(SelectionList):
            sl.select_all()
