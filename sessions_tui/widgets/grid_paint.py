"""The time grid's drawing: one frame of lines (``Strip``) from the layout and the grid's styles.

:class:`GridPainter` turns what :class:`~sessions_tui.widgets.time_grid.TimeGrid` holds (the
placed blocks of :mod:`~sessions_tui.widgets.grid_layout`, the cursor, the now row, the shaded
slots) into the header line, the all-day rows and one line per visible half hour. A painter
lives for one frame, so its caches (each block's wrapped text, each event's style, the
segments of each kind of empty cell) are never stale.

The styles are the grid's component classes (:func:`component_styles`); with NO_COLOR a tinted
block would look like an empty slot, so blocks are drawn in reverse video and the cursor in
bold underline. A practitioner's blocks are tinted with their colour (:func:`tint`), which the
month grid and the legend share.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.strip import Strip
from textual.widget import Widget

from sessions_tui.domain.subscriptions import is_subscribed
from sessions_tui.services.agenda_item import AgendaItem
from sessions_tui.services.calendar import display_title, is_secondary
from sessions_tui.widgets.grid_layout import (
    SLOTS,
    Placed,
    clusters_by_column,
    slot_of,
    split_width,
)
from sessions_tui.widgets.grid_text import (
    MIN_BLOCK,
    SHADE,
    block_text,
    clock_label,
    dense_name,
    event_markers,
    fit_labels,
    fit_names,
    hour_label,
    most_names,
    name_forms,
)

if TYPE_CHECKING:
    from sessions_tui.widgets.time_grid import TimeGrid

GUTTER = 7
"""Width of the hour labels on the left."""

STYLE_NAMES = (
    "gutter",
    "header",
    "today",
    "all-day",
    "event",
    "cancelled",
    "free",
    "secondary",
    "cursor",
    "now",
    "separator",
    "hour",
    "outside-hours",
    "hold",
    "ghost",
)
"""The grid's component classes, ``time-grid--<name>``."""

GHOST_MARK = "⇢"
"""Starts the first row of the ghost of an event being moved; its other rows are ``┆``."""


@dataclass(frozen=True)
class Ghost:
    """Where the event being moved would land (move mode): ``slots`` rows from ``slot`` of
    ``day``, in its practitioner's column in the team view, labelled ``label``."""

    day: date
    slot: int
    slots: int
    label: str
    practitioner_id: int | None = None

    def covers(self, day: date, slot: int, person: int | None) -> bool:
        """Whether row ``slot`` of ``day`` (the team column of ``person``) is under it."""
        if day != self.day or not self.slot <= slot < self.slot + self.slots:
            return False
        return person is None or self.practitioner_id is None or person == self.practitioner_id


Cell = tuple[str, Style]


@lru_cache(maxsize=64)
def tint(color_name: str, background: str) -> Style:
    """A background for a practitioner's blocks: their colour blended into the theme's."""
    try:
        r, g, b = RichColor.parse(color_name).get_truecolor()
        base = Color.parse(background)
    except Exception:  # unknown colour names fall back to the plain event style
        return Style()
    block = base.blend(Color(r, g, b), 0.35)
    return Style(bgcolor=block.rich_color, color=block.get_contrast_text(0.9).rich_color)


def component_styles(widget: Widget, no_color: bool) -> dict[str, Style]:
    """The style of each of :data:`STYLE_NAMES` on ``widget``, adjusted for NO_COLOR."""
    styles = {n: widget.get_component_rich_style(f"time-grid--{n}") for n in STYLE_NAMES}
    if no_color:
        # Without colour a tinted block looks like an empty slot: draw blocks in reverse
        # video (every row of them, so their length shows) and the cursor as bold
        # underline, which stays visible on a block and on an empty slot.
        styles["event"] += Style(reverse=True)
        styles["cursor"] = Style(bold=True, underline=True)
        # A hold is tentative: not reversed like an event, its "?" mark and "┊" rows say it.
        styles["hold"] += Style(reverse=False)
        styles["ghost"] = Style(bold=True, italic=True)
    return styles


def merge_cells(cells: list[Cell]) -> list[Segment]:
    """Cells as segments, neighbours of the same style joined into one."""
    out: list[Segment] = []
    text, style = "", None
    for ch, s in cells:
        if s == style:
            text += ch
        else:
            if text:
                out.append(Segment(text, style))
            text, style = ch, s
    if text:
        out.append(Segment(text, style))
    return out


class GridPainter:
    """Draws one frame of a :class:`~sessions_tui.widgets.time_grid.TimeGrid`.

    Args:
        grid: the grid drawn (its cursor, columns, people, markers, colours, clock, top row).
        placed: the grid's blocks, ``cells`` the blocks covering each ``(column, slot)``,
            ``clusters`` each column's clusters of overlapping blocks
            (``grid_layout.clusters_by_column``, computed once per layout; computed here if
            None), ``dense`` the crowded clusters' cells of an earlier frame that drew the
            same (:attr:`dense`; computed here if None), ``all_day`` each column's all-day
            rows (``grid_layout.stack_all_day``: an event on one row across its days),
            ``outside`` each day's shaded slots.
        styles: :func:`component_styles` of the grid; ``base`` its own style; ``bg`` its
            background colour (hex), which practitioners' colours are blended into.
    """

    def __init__(
        self,
        grid: TimeGrid,
        *,
        placed: list[Placed],
        cells: dict[tuple[int, int], list[int]],
        all_day: list[list[AgendaItem | None]],
        clusters: dict[int, list[list[int]]] | None = None,
        dense: dict[tuple[int, int], list[Cell]] | None = None,
        outside: dict[date, frozenset[int]],
        styles: dict[str, Style],
        base: Style,
        bg: str,
    ) -> None:
        self.grid = grid
        self.placed, self.cells, self.all_day, self.outside = placed, cells, all_day, outside
        self.clusters = clusters_by_column(placed) if clusters is None else clusters
        self.st, self.base, self.bg = styles, base, bg
        self._texts: dict[tuple[int, int], list[str]] = {}
        self._styles_by_index: dict[int, Style] = {}
        self._empty_cells: dict[tuple[str, int], list[Segment]] = {}
        self._dense: dict[tuple[int, int], list[Cell]] = {}
        self._dense_given = dense

    def lines(self, width: int, height: int) -> list[Strip]:
        """The frame: ``height`` lines of ``width`` cells."""
        grid, base = self.grid, self.base
        if not grid.columns or width <= GUTTER:
            return [Strip.blank(width, base) for _ in range(height)]
        widths = split_width(width - GUTTER, len(grid.columns))
        today = grid.now.astimezone(grid.tz).date() if grid.now else None
        now_slot = slot_of(grid.now, grid.tz) if grid.now else -1
        given = self._dense_given
        self._dense = given if given is not None else self._dense_cells(widths)
        lines: list[Strip] = []
        lines.append(self._header_line(widths, today))
        for r in range(grid.sticky_rows - 1):
            lines.append(self._all_day_line(r, widths))
        rows = height - len(lines)
        last_slot = min(SLOTS, grid.top + rows) - 1
        above, below = self._out_of_view(grid.top, last_slot)
        for r in range(rows):
            slot = grid.top + r
            if slot >= SLOTS:
                lines.append(Strip.blank(width, base))
                continue
            line = self._slot_line(slot, widths, today, now_slot)
            if r == 0 and above:
                line = self._mark_line(line, widths, above, "▲", "above")
            if slot == last_slot and below:
                line = self._mark_line(line, widths, below, "▼", "below")
            lines.append(line)
        return lines[:height]

    # --- what lies outside the visible hours --------------------------------------------------

    def _out_of_view(self, first: int, last: int) -> tuple[dict[int, int], dict[int, int]]:
        """Per column, how many events lie wholly above row ``first`` and wholly below row
        ``last`` (the visible hours)."""
        above: dict[int, int] = {}
        below: dict[int, int] = {}
        for p in self.placed:
            if p.end <= first:
                above[p.day] = above.get(p.day, 0) + 1
            elif p.start > last:
                below[p.day] = below.get(p.day, 0) + 1
        return above, below

    def _mark_line(
        self, line: Strip, widths: list[int], counts: dict[int, int], arrow: str, where: str
    ) -> Strip:
        """``line`` with a mark at the right of each counted column: ``▼ 2 more below`` where
        the cell's free end has room, shorter (``▼2 below``, ``▼2``) where it has less, so a
        scheduler at 80x24 knows to scroll."""
        parts: list[Strip] = []
        x = GUTTER
        done = 0
        for n, w in enumerate(widths):
            x0, x1 = x + 1, x + w  # the cell, after its separator
            x = x1
            count = counts.get(n, 0)
            if not count or x1 - x0 <= 0:
                continue
            cropped = line.crop(x0, x1)
            cell = cropped.text
            free = len(cell) - len(cell.rstrip(" ·─" + SHADE))
            occupied = free < len(cell)
            if occupied:
                free -= 1  # a space between an event's text and the mark
            forms = [f"{arrow} {count} more {where}", f"{arrow}{count} {where}", f"{arrow}{count}"]
            # With no room, the mark goes over the end of the text (the block goes on out of
            # view anyway, or the mark could not be seen at all).
            mark = next((f for f in forms if len(f) <= free), " " + forms[-1])[-(x1 - x0) :]
            # Bold, in an event's or the cursor's own style (its tint, its reverse video), else
            # in the grid's plain style (a shaded or hour cell's muted colour would hide it).
            under = list(cropped)[-1].style or self.base
            plain = not occupied and not under.reverse
            mark_style = (self.base if plain else under) + Style(bold=True)
            parts += [line.crop(done, x1 - len(mark)), Strip([Segment(mark, mark_style)])]
            done = x1
        if not parts:
            return line
        parts.append(line.crop(done, line.cell_length))
        return Strip.join(parts)

    # --- one event ---------------------------------------------------------------------------

    def _title(self, item: AgendaItem) -> str:
        return display_title(item, privacy=self.grid.privacy)

    def _is_secondary(self, item: AgendaItem) -> bool:
        return is_secondary(item, self.grid.secondary)

    def _letter(self, item: AgendaItem) -> str:
        pid = item.event.practitioner_id
        return self.grid.markers.get(pid, "") if pid is not None else ""

    def _item_style(self, item: AgendaItem) -> Style:
        st = self.st
        style = self.base + st["event"]
        pid = item.event.practitioner_id
        colors = self.grid.practitioner_colors
        if pid is not None and pid in colors:
            style += tint(colors[pid], self.bg)
        if item.hold is not None:
            style += st["hold"]  # an online-booking request's held time (issue 24)
        elif item.event.is_cancelled:
            style += st["cancelled"]
        elif not item.event.busy:
            style += st["free"]
        if self._is_secondary(item) or is_subscribed(item.event.source_calendar):
            style += st["secondary"]  # from another calendar: underlined (and marked)
        return style

    # --- the sticky rows ---------------------------------------------------------------------

    def _header_line(self, widths: list[int], today: date | None) -> Strip:
        grid, st, base = self.grid, self.st, self.base
        segs = [Segment(" " * GUTTER, base)]
        # One form of day name for the whole row, chosen by the narrowest column: columns
        # differ by a character when the width does not divide evenly, and "Tue 24 │We 25"
        # side by side read as two styles (issue 14).
        three_letters = min(widths, default=0) - 1 >= len("Wed 25")
        names = self._team_labels(widths)
        for n, (d, w) in enumerate(zip(grid.columns, widths, strict=True)):
            inner = w - 1
            if names:
                label = names[n]
            elif len(grid.days) == 1:
                label = f"{d:%A, %b} {d.day}"
            elif three_letters:
                label = f"{d:%a} {d.day}"
            else:
                label = f"{d:%a}"[:2] + f" {d.day:2d}"
            if d == today and grid.people is None and inner >= len(label) + 2:
                label += " •"
            style = base + st["header"] + (st["today"] if d == today else Style())
            if grid.people is not None:
                if grid.is_cursor_column(n):  # the team view's column cursor: whose column
                    style += st["cursor"]
            elif d == grid.cursor_day:
                style += Style(underline=True)
            segs.append(Segment("│", base + st["separator"]))
            segs.append(Segment(label[:inner].ljust(inner), style))
        return Strip(segs)

    def _team_labels(self, widths: list[int]) -> list[str]:
        """The team view's headers: each practitioner's letter and name, shortened alike
        to fit ("B Ben O.", "A Dr. Alice M."); none in the other views."""
        grid = self.grid
        if grid.people is None:
            return []
        forms = []
        for pid, name in grid.people:
            letter = grid.markers.get(pid, "")
            forms.append([f"{letter} {form}".strip() for form in name_forms(name)])
        return fit_labels(forms, [w - 1 for w in widths])

    def _all_day_line(self, row: int, widths: list[int]) -> Strip:
        st, base = self.st, self.base
        label = "all day" if row == 0 else ""
        segs = [Segment(label.ljust(GUTTER), base + st["gutter"] + st["all-day"])]
        last = self.grid.sticky_rows - 2
        shown: list[AgendaItem | str | None] = []  # per column: an event, "+N more", nothing
        for n in range(len(widths)):
            rows = self.all_day[n] if n < len(self.all_day) else []
            rest = [item for item in rows[row:] if item is not None]
            if row == last and len(rest) > 1:
                shown.append(f"+{len(rest)} more")
            elif row == last and rest:
                shown.append(rest[0])  # the last one there is, whatever its row
            else:
                shown.append(rows[row] if row < len(rows) else None)
        cell_base = base + st["all-day"]
        n = 0
        while n < len(widths):
            what = shown[n]
            span = 1
            if what is not None and not isinstance(what, str):
                while n + span < len(widths) and shown[n + span] is what:
                    span += 1  # a multi-day event: one bar over its days, its title once
            inner = sum(widths[n : n + span]) - 1
            segs.append(Segment("│", base + st["separator"]))
            if isinstance(what, str):
                text, style = what, cell_base
            elif what is not None:
                marks = event_markers(what, self._letter(what), self._is_secondary(what))
                text = f"{marks} {self._title(what)}".strip()
                style = self._item_style(what) + st["all-day"]
                if what is self.grid.picked:
                    style += st["cursor"]
            else:
                text, style = "", cell_base
            segs.append(Segment(text[:inner].ljust(inner), style))
            n += span
        return Strip(segs)

    # --- the half hours ----------------------------------------------------------------------

    def _slot_line(self, slot: int, widths: list[int], today: date | None, now_slot: int) -> Strip:
        grid, st, base = self.grid, self.st, self.base
        is_now_row = slot == now_slot and today in grid.columns
        if is_now_row and grid.now is not None:
            gutter = "▶" + clock_label(grid.now.astimezone(grid.tz).time(), grid.hours12)
            gstyle = base + st["now"]
        elif slot % 2 == 0:
            gutter = hour_label(slot // 2, grid.hours12)
            gstyle = base + st["gutter"]
        else:
            gutter, gstyle = " " * GUTTER, base + st["gutter"]
        segs = [Segment(gutter.ljust(GUTTER), gstyle)]
        separator = Segment("│", base + st["separator"])
        ghost = grid.ghost
        for n, (d, w) in enumerate(zip(grid.columns, widths, strict=True)):
            inner = w - 1
            segs.append(separator)
            cells: list[Cell]
            person = grid.people[n][0] if grid.people is not None else None
            ghosted = ghost is not None and ghost.covers(d, slot, person)
            if (
                (n, slot) not in self.cells
                and (slot != grid.cursor_slot or not grid.is_cursor_column(n))
                and not ghosted
            ):
                # An empty cell (most of them): its segments straight away, the same as the
                # cell-by-cell path below would merge them into.
                segs.extend(
                    self._empty_cell(
                        "now"
                        if is_now_row and d == today
                        else "outside"
                        if slot in self.outside.get(d, ())
                        else "hour"
                        if slot % 2 == 0
                        else "plain",
                        inner,
                    )
                )
                continue
            if is_now_row and d == today:
                cells = [("─", base + st["now"])] * inner
            elif slot in self.outside.get(d, ()):
                # Outside office hours: a shade character, so it shows without colour too.
                cells = [(SHADE, base + st["outside-hours"])] * inner
            elif slot % 2 == 0:
                cells = [("·" if k == 0 else " ", base + st["hour"]) for k in range(inner)]
            else:
                cells = [(" ", base)] * inner
            dense = self._dense.get((n, slot))
            for index in () if dense is not None else self.cells.get((n, slot), ()):
                p = self.placed[index]
                parts = split_width(inner, p.cols)
                if p.col >= len(parts) or parts[p.col] <= 0:
                    if parts and parts[-1] > 0:  # no room: say so in the last column
                        x = sum(parts) - 1
                        cells[x] = ("+", cells[x][1])
                    continue
                pw = parts[p.col]
                x0 = sum(parts[: p.col])
                text = self._block_text(index, p, pw, slot)
                style = self._styles_by_index.get(index)
                if style is None:
                    style = self._item_style(p.item)
                    self._styles_by_index[index] = style
                for k in range(pw):
                    ch = text[k] if k < len(text) else " "
                    cstyle = style
                    if k == 0 and slot == p.start:
                        pid = p.item.event.practitioner_id
                        if pid is not None and pid in grid.practitioner_colors:
                            cstyle = style + Style(bold=True)
                    if p.item is grid.picked:
                        cstyle = cstyle + st["cursor"]
                    cells[x0 + k] = (ch, cstyle)
            if dense is not None:
                cells = [dense[k] if k < len(dense) else cells[k] for k in range(inner)]
            if ghosted and ghost is not None:  # drawn over whatever is there
                text = f"{GHOST_MARK} {ghost.label}" if slot == ghost.slot else "┆"
                gstyle = base + st["ghost"]
                cells = [(text[k] if k < len(text) else " ", gstyle) for k in range(inner)]
            here = [self.placed[i].item for i in self.cells.get((n, slot), ())]
            if slot == grid.cursor_slot and grid.is_cursor_column(n) and grid.picked not in here:
                cells = [(ch, s + st["cursor"]) for ch, s in cells]
                if all(ch in " ·─" + SHADE for ch, _s in cells) and inner >= 1:
                    cells[0] = ("▸", cells[0][1])
            segs.extend(merge_cells(cells))
        return Strip(segs)

    @property
    def dense(self) -> dict[tuple[int, int], list[Cell]]:
        """The crowded clusters' cells of the frame drawn last (see :meth:`_dense_cells`)."""
        return self._dense

    def _dense_cells(self, widths: list[int]) -> dict[tuple[int, int], list[Cell]]:
        """Cells for the clusters too crowded to lay side by side, per (column, slot).

        A cluster whose blocks would be narrower than :data:`MIN_BLOCK` is drawn as one
        block across the column: the count, then each event's first name in its
        practitioner's colour ("4: Ava Zoe Chloé +1"), wrapped over the cluster's rows.
        """
        out: dict[tuple[int, int], list[Cell]] = {}
        placed = self.placed
        for n, clusters in self.clusters.items():
            inner = widths[n] - 1 if n < len(widths) else 0
            if inner <= 0:
                continue
            for cluster in clusters:
                cols = max(placed[i].cols for i in cluster)
                if cols <= 1 or min(split_width(inner, cols)) >= MIN_BLOCK:
                    continue
                first = max(min(placed[i].start for i in cluster), self.grid.top)
                last = min(max(placed[i].end for i in cluster), SLOTS)
                rows = self._dense_rows(cluster, inner, max(1, last - first))
                for r, row in enumerate(rows):
                    out[(n, first + r)] = row
        return out

    def _dense_rows(self, cluster: list[int], inner: int, rows: int) -> list[list[Cell]]:
        # Only the names that could fit are styled: a dense day at 100k events is one cluster
        # of hundreds, every one of them styled on every frame.
        names: list[Cell] = []
        for i in cluster[: most_names(inner, rows)]:
            item = self.placed[i].item
            style = self._item_style(item)
            if item is self.grid.picked:
                style += self.st["cursor"]
            names.append((dense_name(item, self._title(item)), style))
        return fit_names(names, inner, rows, self.base + self.st["event"], total=len(cluster))

    def _empty_cell(self, kind: str, inner: int) -> list[Segment]:
        st, base = self.st, self.base
        key = (kind, inner)
        found = self._empty_cells.get(key)
        if found is None:
            if inner <= 0:
                found = []
            elif kind == "now":
                found = [Segment("─" * inner, base + st["now"])]
            elif kind == "outside":
                found = [Segment(SHADE * inner, base + st["outside-hours"])]
            elif kind == "hour":
                found = [Segment("·" + " " * (inner - 1), base + st["hour"])]
            else:
                found = [Segment(" " * inner, base)]
            self._empty_cells[key] = found
        return found

    def _block_text(self, index: int, p: Placed, width: int, slot: int) -> str:
        """The part of an event's text that falls on row ``slot`` of its block."""
        # Laid out from the block's first visible row, so a long event scrolled half into
        # view still says who it is.
        first = max(p.start, self.grid.top)
        key = (index, width)
        lines = self._texts.get(key)
        if lines is None:
            lines = block_text(
                p.item,
                self._letter(p.item),
                self._title(p.item),
                self.grid.tz,
                width,
                p.end - first,
                secondary=self._is_secondary(p.item),
            )
            self._texts[key] = lines
        row = slot - first
        return lines[row] if 0 <= row < len(lines) else ""
