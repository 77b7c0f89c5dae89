"""A list of checkboxes that read ``[x]`` and ``[ ]``: Textual's ``SelectionList``, legible.

Textual draws each box as a coloured ``X`` in both states (the colour alone says which), so
with NO_COLOR every box looks ticked, and a screen reader reads "X" for ticked and unticked
alike. Here the state is in the text: ``[x] Ben Okafor`` / ``[ ] Ben Okafor``.

``enter`` is not a toggle here (``space`` is): it is left to the screen, where a dialog of
checklists uses it to apply (the filter panel).
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.strip import Strip
from textual.widgets import SelectionList
from textual.widgets.option_list import OptionDoesNotExist
from textual.widgets.selection_list import SelectionType

CHECKED = "[x]"
"""A ticked box."""
UNCHECKED = "[ ]"
"""An unticked box."""


class CheckList(SelectionList[SelectionType], inherit_bindings=False):
    """A ``SelectionList`` whose boxes read ``[x]`` / ``[ ]``; ``space`` toggles.

    | Key | Action |
    | --- | --- |
    | space | Tick or untick the highlighted entry |
    | up / down, home / end, pgup / pgdn | Move the highlight |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "select", "Toggle", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("pagedown", "page_down", "Page Down", show=False),
        Binding("pageup", "page_up", "Page Up", show=False),
    ]

    def _get_left_gutter_width(self) -> int:
        return len(CHECKED) + 1

    def is_checked(self, index: int) -> bool:
        """Whether entry ``index`` is ticked."""
        return self.get_option_at_index(index).value in self.selected

    def render_line(self, y: int) -> Strip:
        # OptionList's line for the prompt (the highlight included), after our own box.
        line = super(SelectionList, self).render_line(y)
        _, scroll_y = self.scroll_offset
        index = scroll_y + y
        try:
            self.get_option_at_index(index)
        except OptionDoesNotExist:
            return line
        base = next(iter(line)).style if line.cell_length else self.rich_style
        box_style = (base or Style()) + Style(bold=True, meta={"option": index})
        box = CHECKED if self.is_checked(index) else UNCHECKED
        return Strip([Segment(box, box_style), Segment(" ", base), *line])
