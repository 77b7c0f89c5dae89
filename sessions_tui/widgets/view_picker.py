"""The view picker: a one-line drop-down at the top right (``v`` opens it; enter picks)."""

from __future__ import annotations

from textual.message import Message
from textual.widgets import Select

VIEWS: tuple[tuple[str, str], ...] = (
    ("Month", "month"),
    ("Week", "week"),
    ("Day", "day"),
    ("Team", "team"),
    ("Agenda", "agenda"),
)


class ViewPicker(Select[str]):
    """A compact :class:`Select` of the five views.

    When its list closes (a view picked, the same one again, or escape) it posts
    :class:`ViewPicker.Closed`, so the screen can give focus back to the view: otherwise the
    next ``down`` would reopen the list and ``left`` would not move the cursor.
    """

    DEFAULT_CSS = """
    ViewPicker { width: 12; height: 1; }
    ViewPicker > SelectCurrent { border: none; height: 1; padding: 0 1; }
    ViewPicker:focus > SelectCurrent { border: none; background: $block-cursor-background; }
    ViewPicker > SelectOverlay { width: 12; }
    """

    class Closed(Message):
        """The picker's list closed; focus should go back to the view."""

        def __init__(self, picker: ViewPicker) -> None:
            super().__init__()
            self.picker = picker

        @property
        def control(self) -> ViewPicker:
            return self.picker

    def __init__(self, value: str = "week", *, id: str | None = None) -> None:
        # The prompt is what Select shows until it has mounted and shown its value: the view's
        # own name, so the first frame says "Week" (it said "Select", then changed).
        label = dict((v, k) for k, v in VIEWS).get(value, "Select")
        super().__init__(VIEWS, value=value, allow_blank=False, id=id, compact=True, prompt=label)

    def watch_expanded(self, expanded: bool) -> None:
        if not expanded:
            self.post_message(self.Closed(self))
