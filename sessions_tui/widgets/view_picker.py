"""The view picker: a one-line drop-down at the top right (``v`` opens it; enter picks)."""

from __future__ import annotations

from textual.widgets import Select

VIEWS: tuple[tuple[str, str], ...] = (
    ("Month", "month"),
    ("Week", "week"),
    ("Day", "day"),
    ("Team", "team"),
    ("Agenda", "agenda"),
)


class ViewPicker(Select[str]):
    """A compact :class:`Select` of the five views."""

    DEFAULT_CSS = """
    ViewPicker { width: 12; height: 1; }
    ViewPicker > SelectCurrent { border: none; height: 1; padding: 0 1; }
    ViewPicker:focus > SelectCurrent { border: none; background: $block-cursor-background; }
    ViewPicker > SelectOverlay { width: 12; }
    """

    def __init__(self, value: str = "week", *, id: str | None = None) -> None:
        super().__init__(VIEWS, value=value, allow_blank=False, id=id, compact=True)
