"""The practitioner legend: each practitioner's letter in their colour, and the markers."""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from sessions_tui.domain.model import Staff
from sessions_tui.domain.text import safe_text
from sessions_tui.widgets.grid_paint import tint

MARKERS = "✗ cancelled  ○ free  ░ out of hours"


def short_name(name: str) -> str:
    """``Dr. Alice Moreno`` → ``Alice Moreno`` (titles dropped when space is short)."""
    parts = name.split()
    while len(parts) > 1 and parts[0].endswith("."):
        parts = parts[1:]
    return " ".join(parts)


def legend_text(
    people: Sequence[Staff], markers: dict[int, str], width: int, background: str | None = None
) -> Text:
    """The legend for ``width`` cells: full names, else short names, else first names.

    Each letter is drawn as the practitioner's blocks are (``grid_paint.tint`` of their colour
    over ``background``), so the legend shows the very colour of the blocks; without a
    background, in the colour itself."""
    for variant in (lambda n: n, short_name, lambda n: short_name(n).split()[0]):
        text = Text()
        for p in people:
            if p.color and background is not None:
                style: Style | str = tint(p.color, background) + Style(bold=True)
            else:
                style = f"bold {p.color}" if p.color else "bold"
            text.append(markers.get(p.id, "?"), style=style)
            text.append(f" {safe_text(variant(p.name))}  ")
        text.append(MARKERS, style="dim")
        if text.cell_len <= width:
            return text
    return text


class Legend(Widget):
    """One line naming each practitioner's letter and colour; never colour alone.

    Drawn in :meth:`render`, so the letters follow the theme's background as the blocks do."""

    DEFAULT_CSS = """
    Legend { height: 1; width: 1fr; color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.people: Sequence[Staff] = ()
        self.markers: dict[int, str] = {}

    def set_people(self, people: Sequence[Staff], markers: dict[int, str]) -> None:
        if (people, markers) != (self.people, self.markers):
            self.people, self.markers = people, markers
            self.refresh()

    def render(self) -> Text:
        background = self.background_colors[1].hex
        return legend_text(self.people, self.markers, max(self.size.width, 20), background)
