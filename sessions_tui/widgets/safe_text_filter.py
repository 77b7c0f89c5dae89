"""The last line of defence: no control character in any widget's text reaches the terminal.

Screens and widgets show outside text (titles, names) through ``domain.text.safe_text``, which
makes control characters *visible*. This line filter, installed on the App, removes any that
still got through (a widget that forgot, a notification quoting an error), segment by segment,
so no title can retitle the terminal or clear it, and no bidirectional override or isolate
(U+202A-U+202E, U+2066-U+2069) can reorder what a line appears to say. These characters take
no cell on the screen, so removing them never changes a line's width. Textual's own control
segments (cursor moves) are left alone. The set is ``domain.text``'s: one definition.
"""

from __future__ import annotations

import re

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from sessions_tui.domain.text import UNSAFE_CHARACTERS

_CONTROL = re.compile(UNSAFE_CHARACTERS)


class SafeTextFilter(LineFilter):
    """Drop C0, DEL, C1 and bidi control characters from the text of every rendered segment."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        out = segments
        for n, seg in enumerate(segments):
            if seg.control is None and _CONTROL.search(seg.text) is not None:
                if out is segments:
                    out = list(segments)
                out[n] = Segment(_CONTROL.sub("", seg.text), seg.style, None)
        return out
