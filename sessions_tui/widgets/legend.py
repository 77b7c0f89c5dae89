"""The practitioner legend: each practitioner's letter in their colour, and the markers."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from sessions_tui.domain.model import Staff

MARKERS = "✗ cancelled  ○ free  ░ out of hours"


def short_name(name: str) -> str:
    """``Dr. Alice Moreno`` → ``Alice Moreno`` (titles dropped when space is short)."""
    parts = name.split()
    while len(parts) > 1 and parts[0].endswith("."):
        parts = parts[1:]
    return " ".join(parts)


def legend_text(people: Sequence[Staff], markers: dict[int, str], width: int) -> Text:
    """The legend for ``width`` cells: full names, else short names, else first names."""
    for variant in (lambda n: n, short_name, lambda n: short_name(n).split()[0]):
        text = Text()
        for p in people:
            text.append(markers.get(p.id, "?"), style=f"bold {p.color}" if p.color else "bold")
            text.append(f" {variant(p.name)}  ")
        text.append(MARKERS, style="dim")
        if text.cell_len <= width:
            return text
    return text


class Legend(Static):
    """One line naming each practitioner's letter and colour; never colour alone."""

    DEFAULT_CSS = """
    Legend { height: 1; width: 1fr; color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.people: Sequence[Staff] = ()
        self.markers: dict[int, str] = {}

    def set_people(self, people: Sequence[Staff], markers: dict[int, str]) -> None:
        self.people, self.markers = people, markers
        self._redraw()

    def on_resize(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        self.update(legend_text(self.people, self.markers, max(self.size.width, 20)))
