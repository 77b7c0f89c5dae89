"""The help screen's table of keys: Key | What it does | Where, laid out by hand, line by line.

Why not a ``DataTable``, a Rich ``Table`` in a ``Static`` or the ``Markdown`` widget: those
measure and render every row to know the height, several times per paint (the Markdown
version took seconds; a Rich table in a ``Static`` still ~0.5 s on a busy machine). The rows
here are a hundred short strings: wrapping them with :mod:`textwrap` once per width and serving
the visible lines (the Line API of a ``ScrollView``) costs a few milliseconds. The header row
stays on top while the rows scroll.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Protocol

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


class Row(Protocol):
    """What one line of the table needs (``screens.help.KeyRow`` has it)."""

    @property
    def scope(self) -> str: ...
    @property
    def keys(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def tooltip(self) -> str: ...


def matches(row: Row, find: str) -> bool:
    """Whether ``find`` (any case) is in the row's keys, words or place."""
    needle = find.strip().casefold()
    return not needle or any(
        needle in part.casefold() for part in (row.keys, row.tooltip, row.description, row.scope)
    )


class KeyTable(ScrollView, can_focus=False):
    """Key | What it does | Where, "Where" written once per place, a rule between places."""

    COMPONENT_CLASSES = {
        "key-table--header",
        "key-table--key",
        "key-table--where",
        "key-table--rule",
    }

    DEFAULT_CSS = """
    KeyTable { height: 1fr; width: 1fr; }
    KeyTable > .key-table--header { text-style: bold; }
    KeyTable > .key-table--key { text-style: bold; }
    KeyTable > .key-table--where { text-style: italic; color: $text-muted; }
    KeyTable > .key-table--rule { color: $foreground 30%; }
    """

    def __init__(self, rows: Sequence[Row], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows = list(rows)
        self.find = ""
        self.shown = 0
        """How many rows match :attr:`find`."""
        self._lines: list[list[tuple[str, str]]] = []
        self._laid_out_for = -1
        self._cols = (5, 20, 8)

    def show(self, find: str) -> None:
        """Only the rows matching ``find``, scrolled to the top."""
        self.find = find
        self._layout(self.scrollable_content_region.width)
        self.scroll_to(0, 0, animate=False)
        self.refresh()

    def on_resize(self) -> None:
        self._layout(self.scrollable_content_region.width)

    # --- layout: (text, component) pieces per line ------------------------------------------

    def _layout(self, width: int) -> None:
        if width <= 0:
            return
        rows = [r for r in self.rows if matches(r, self.find)]
        self.shown = len(rows)
        key_w = max(5, min(16, max((len(r.keys) for r in rows), default=5)))
        where_w = max(8, min(22, max((len(r.scope) for r in rows), default=8)))
        what_w = width - key_w - where_w - 4
        if what_w < 20:  # narrow: the place gets the room it can spare
            where_w = max(6, width - key_w - 24)
            what_w = max(10, width - key_w - where_w - 4)
        self._cols = (key_w, what_w, where_w)
        lines: list[list[tuple[str, str]]] = []
        scope = None
        for row in rows:
            if scope is not None and row.scope != scope:
                lines.append([("─" * width, "rule")])
            first = row.scope != scope
            scope = row.scope
            keys = textwrap.wrap(row.keys, key_w, break_on_hyphens=False) or [""]
            what = textwrap.wrap(row.tooltip or row.description, what_w) or [""]
            where = textwrap.wrap(row.scope, where_w) if first else []
            for n in range(max(len(keys), len(what), len(where))):
                lines.append(
                    [
                        (" " + (keys[n] if n < len(keys) else "").ljust(key_w) + "  ", "key"),
                        ((what[n] if n < len(what) else "").ljust(what_w) + " ", ""),
                        ((where[n] if n < len(where) else "").ljust(where_w), "where"),
                    ]
                )
        if not rows:
            lines.append([(f" No key matches {self.find.strip()!r}.", "where")])
        self._lines = lines
        self._laid_out_for = width
        self.virtual_size = Size(width, len(lines) + 1)

    def _header(self) -> list[tuple[str, str]]:
        key_w, what_w, _where_w = self._cols
        text = " " + "Key".ljust(key_w) + "  " + "What it does".ljust(what_w) + " " + "Where"
        return [(text, "header")]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if width <= 0:
            return Strip.blank(0)
        if self._laid_out_for != width:
            self._layout(width)
        base = self.rich_style
        styles: dict[str, Style] = {
            "": base,
            **{
                name: base + self.get_component_rich_style(f"key-table--{name}")
                for name in ("header", "key", "where", "rule")
            },
        }
        if y == 0:
            pieces = self._header()
        else:
            index = self.scroll_offset.y + y - 1
            pieces = self._lines[index] if 0 <= index < len(self._lines) else []
        strip = Strip([Segment(text, styles[kind]) for text, kind in pieces])
        return strip.crop_extend(0, width, base)
