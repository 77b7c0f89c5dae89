"""The week/day time grid: half-hour rows, one column per day, an all-day strip on top.

Drawn with the line API (``render_line``), because a grid of a few hundred cells rebuilt on
every cursor move must stay well under a frame; the grid scrolls itself (``top``) so the day
header and all-day strip stay put while the hours scroll.

Nothing is told by colour alone: each event starts with its practitioner's letter (see the
legend), cancelled events carry ``✗`` and are struck through, free events carry ``○``, events
from a secondary Google calendar carry ``◇`` and are underlined, the
current-time row is marked ``▶`` in the gutter, the cursor is drawn in reverse video, and time
outside office hours is filled with ``░`` (class ``time-grid--outside-hours``).

The grid has no key bindings of its own: the calendar screen moves the cursor (arrow keys)
and reads what is under it (:meth:`TimeGrid.events_at`), so every key acts on the App's cursor
in the order it arrived. A binding here would compute the next cursor from the grid's copy of
it, which lags behind while earlier keys' messages are still queued: keys typed faster than a
frame were dropped (issue 14).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from textual import events
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from sessions_tui.services.agenda_item import AgendaItem
from sessions_tui.widgets.grid_layout import (
    DEFAULT_BOTTOM,
    DEFAULT_TOP,
    SLOT_MINUTES,
    SLOTS,
    Placed,
    clusters_by_column,
    column_at,
    index_cells,
    outside_slots,
    overlap_columns,
    place_events,
    place_team,
    scroll_top,
    slot_of,
    slot_start,
    split_width,
    stack_all_day,
    unique_items,
)
from sessions_tui.widgets.grid_paint import GUTTER, Ghost, GridPainter, component_styles, tint
from sessions_tui.widgets.grid_text import (
    CONFIRMED_MARK,
    MIN_BLOCK,
    SECONDARY_MARK,
    SHADE,
    block_text,
    clock_label,
    event_markers,
    first_name,
    hour_label,
    wrap,
)

__all__ = [  # the grid, and the names this module had before the split (issue 19)
    "CONFIRMED_MARK",
    "DEFAULT_BOTTOM",
    "DEFAULT_TOP",
    "GUTTER",
    "MAX_ALL_DAY_ROWS",
    "MIN_BLOCK",
    "SECONDARY_MARK",
    "SHADE",
    "SLOTS",
    "SLOT_MINUTES",
    "Placed",
    "TimeGrid",
    "block_text",
    "clock_label",
    "event_markers",
    "first_name",
    "hour_label",
    "outside_slots",
    "overlap_columns",
    "place_events",
    "place_team",
    "slot_of",
    "split_width",
    "tint",
    "wrap",
]

LAYOUTS_KEPT = 6
"""How many windows' layouts a grid keeps: the one on screen and its neighbours (``n p n``,
and the ones the calendar's prefetch laid out ahead)."""


@dataclass
class _Layout:
    """One window laid out in one set of columns (see :meth:`TimeGrid._layout_of`)."""

    source: Sequence[AgendaItem] | None
    items: list[AgendaItem]
    columns: list[date]
    placed: list[Placed]
    cells: dict[tuple[int, int], list[int]]
    clusters: dict[int, list[list[int]]]
    all_day_rows: list[list[AgendaItem | None]]
    all_day: list[list[AgendaItem]]


def layout_key(
    items: Sequence[AgendaItem] | None,
    days: Sequence[date],
    tz: ZoneInfo,
    team: Sequence[tuple[int, str]] | None,
) -> tuple[int, tuple[Any, ...]]:
    """What a kept layout is found by: the window's identity and the columns."""
    return (id(items), (tuple(days), tz.key, tuple(team) if team is not None else None))


def lay_out(
    items: Sequence[AgendaItem] | None,
    days: Sequence[date],
    tz: ZoneInfo,
    team: Sequence[tuple[int, str]] | None,
) -> _Layout:
    """``items`` laid out in the columns of ``days`` (or of ``team`` on ``days[0]``): pure,
    so a worker can lay a window out ahead of the frame that shows it."""
    listed = list(items or [])
    days = list(days)
    if team is not None:
        placed, whole = place_team(listed, days[0], team, tz)
        columns = [days[0]] * len(team)
    else:
        placed, whole = place_events(listed, days, tz)
        columns = days
    rows = stack_all_day(whole)
    return _Layout(
        source=items,
        items=listed,
        columns=columns,
        placed=placed,
        cells=index_cells(placed),
        clusters=clusters_by_column(placed),
        all_day_rows=rows,
        all_day=[[i for i in r if i is not None] for r in rows],
    )


MAX_ALL_DAY_ROWS = 2
"""At most this many all-day rows above the hours; with more events, the last says ``+N more``."""


class TimeGrid(Widget, can_focus=True):
    """A week or day of half-hour slots with events laid out side by side."""

    COMPONENT_CLASSES = {
        "time-grid--gutter",
        "time-grid--header",
        "time-grid--today",
        "time-grid--all-day",
        "time-grid--event",
        "time-grid--cancelled",
        "time-grid--free",
        "time-grid--secondary",
        "time-grid--cursor",
        "time-grid--now",
        "time-grid--separator",
        "time-grid--hour",
        "time-grid--outside-hours",
        "time-grid--hold",
        "time-grid--ghost",
    }

    DEFAULT_CSS = """
    TimeGrid { height: 1fr; width: 1fr; }
    TimeGrid > .time-grid--gutter { color: $text-muted; }
    TimeGrid > .time-grid--header { text-style: bold; }
    TimeGrid > .time-grid--today { color: $accent; text-style: bold; }
    TimeGrid > .time-grid--all-day { text-style: underline; }
    TimeGrid > .time-grid--event { background: $primary 25%; }
    TimeGrid > .time-grid--cancelled { text-style: strike; color: $text-muted; }
    TimeGrid > .time-grid--free { text-style: italic; color: $text-muted; }
    TimeGrid > .time-grid--secondary { text-style: underline; }
    TimeGrid > .time-grid--cursor { text-style: underline; }
    TimeGrid:focus > .time-grid--cursor { text-style: reverse; }
    TimeGrid > .time-grid--now { color: $error; text-style: bold; }
    TimeGrid > .time-grid--separator { color: $foreground 30%; }
    TimeGrid > .time-grid--hour { color: $foreground 12%; }
    TimeGrid > .time-grid--outside-hours { background: $foreground 7%; color: $foreground 22%; }
    TimeGrid > .time-grid--hold { background: $warning 15%; color: $text-muted;
        text-style: italic; }
    TimeGrid > .time-grid--ghost { background: $warning 45%; color: $text; text-style: bold; }
    """

    class CursorMoved(Message):
        """The user moved the cursor to ``day`` (a date) and ``slot`` (half hours from 00:00)."""

        def __init__(self, grid: TimeGrid, day: date, slot: int) -> None:
            super().__init__()
            self.grid = grid
            self.day = day
            self.slot = slot

        @property
        def control(self) -> TimeGrid:
            return self.grid

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.days: list[date] = []
        self.columns: list[date] = []
        """The day of each column: the days, or one day repeated per practitioner (team)."""
        self.people: list[tuple[int, str]] | None = None
        """Team view: ``(practitioner id, name)`` per column; None for days as columns."""
        self.cursor_column: int | None = None
        """Team view: the column the cursor is in (its header is highlighted, ``c`` creates
        for its practitioner); None: every column of the cursor's day (days as columns)."""
        self.picked: AgendaItem | None = None
        """The event picked with ``]`` / ``[`` (drawn in reverse video), if any."""
        self.ghost: Ghost | None = None
        """Where the event being moved would land (move mode), drawn over the slots."""
        self.tz: ZoneInfo = ZoneInfo("UTC")
        self.items: list[AgendaItem] = []
        self._laid_out_from: Sequence[AgendaItem] | None = None  # the sequence ``items`` came from
        self.cursor_day: date | None = None
        self.cursor_slot = DEFAULT_TOP + 2
        self.now: datetime | None = None
        self.privacy = False
        self.markers: dict[int, str] = {}
        self.practitioner_colors: dict[int, str] = {}
        self.secondary: frozenset[tuple[int, str]] = frozenset()
        """``(practitioner id, calendar id)`` of secondary Google calendars (see set_secondary)."""
        self.is_loading = False
        self.top = DEFAULT_TOP
        self.home_top = DEFAULT_TOP
        """The first row the grid opens on (the config's ``first_hour``); jumps come back to
        it when the cursor fits below it."""
        self.hours12 = False
        """Gutter labels on a 12-hour clock (``9am``, ``▶10:41a``)."""
        self._placed: list[Placed] = []
        self._clusters: dict[int, list[list[int]]] = {}
        """Per column, its clusters of overlapping blocks (``grid_layout.clusters_by_column``),
        computed with the layout: the painter's dense clusters read them on every frame."""
        self._layouts: OrderedDict[tuple[int, tuple[Any, ...]], _Layout] = OrderedDict()
        """The last :data:`LAYOUTS_KEPT` windows' layouts, by the window's identity (the
        calendar's cached sequence) and the columns; each keeps its sequence alive, so an
        id is never reused while its entry stands."""
        self._cells: dict[tuple[int, int], list[int]] = {}
        self._all_day: list[list[AgendaItem]] = []
        self._all_day_rows: list[list[AgendaItem | None]] = []
        """Each column's all-day row: a multi-day event on the same row in each of its days."""
        self._lines: list[Strip] | None = None
        self._dense: tuple[tuple[Any, Any], tuple[Any, ...], dict[tuple[int, int], Any]] | None = (
            None
        )
        """The last frame's crowded-cluster cells and what they were drawn from (see _build)."""
        self.shading: dict[date, list[tuple[datetime, datetime]]] = {}
        """Per day, the UTC intervals outside office hours (see :meth:`set_shading`)."""
        self._outside: dict[date, frozenset[int]] = {}

    def _layout_of(
        self,
        items: Sequence[AgendaItem] | None,
        days: list[date],
        tz: ZoneInfo,
        team: list[tuple[int, str]] | None,
    ) -> _Layout:
        """The layout of ``items`` in these columns: from :attr:`_layouts` (laid out for an
        earlier frame, or ahead by the calendar's window worker), or laid out now and kept."""
        key = layout_key(items, days, tz, team)
        found = self._layouts.get(key)
        if found is not None and found.source is items:
            self._layouts.move_to_end(key)
            return found
        layout = lay_out(items, days, tz, team)
        if items is not None:  # a loading grid's empty layout is not worth keeping
            self._remember(key, layout)
        return layout

    def _remember(self, key: tuple[int, tuple[Any, ...]], layout: _Layout) -> None:
        self._layouts[key] = layout
        self._layouts.move_to_end(key)
        for old in list(self._layouts):
            if len(self._layouts) <= LAYOUTS_KEPT:
                break
            if self._layouts[old].source is not self._laid_out_from:  # not the one drawn
                del self._layouts[old]

    def keep_layout(
        self, items: Sequence[AgendaItem], days: list[date], tz: ZoneInfo, layout: _Layout
    ) -> None:
        """Keep ``layout`` of a window laid out ahead (by :func:`lay_out`, in a worker), so
        the frame that first shows it (``n``) only draws."""
        self._remember(layout_key(items, days, tz, None), layout)

    def forget_layout(self, items: Sequence[AgendaItem]) -> None:
        """Drop the kept layouts of ``items`` (the calendar no longer caches that window)."""
        for key in [k for k, v in self._layouts.items() if v.source is items]:
            if items is not self._laid_out_from:
                del self._layouts[key]

    def _use_layout(self, layout: _Layout) -> None:
        self.items, self.columns = layout.items, layout.columns
        self._placed, self._cells, self._clusters = layout.placed, layout.cells, layout.clusters
        self._all_day_rows, self._all_day = layout.all_day_rows, layout.all_day

    # --- data in -----------------------------------------------------------------------------

    def show(
        self,
        *,
        days: Sequence[date],
        tz: ZoneInfo,
        items: Sequence[AgendaItem] | None,
        cursor_day: date,
        cursor_slot: int,
        now: datetime,
        privacy: bool,
        markers: dict[int, str],
        colors: dict[int, str],
        people: Sequence[tuple[int, str]] | None = None,
        cursor_column: int | None = None,
        picked: AgendaItem | None = None,
    ) -> None:
        """Set everything the grid draws; ``items=None`` keeps the old ones (still loading).

        With ``people`` (team view) the grid shows ``days[0]`` with one column per
        practitioner, the cursor in column ``cursor_column``; ``picked`` is the event
        ``]`` / ``[`` picked in the cursor's slot.
        """
        days = list(days)
        team = list(people) if people is not None else None
        # The calendar hands over its cached window, the same object on every redraw (a cursor
        # move, the shading, a marker): laid out only when it or the columns change, and a
        # window seen a moment ago (``n`` then ``p``) takes its layout from :attr:`_layouts`
        # (a dense 100k week took ~20 ms to lay out, on every ``n`` and ``p``).
        same = items is not None and items is self._laid_out_from
        if (items is not None and not same) or (
            days != self.days or tz != self.tz or team != self.people
        ):
            source = items if items is not None else self._laid_out_from
            self._use_layout(self._layout_of(source, days, tz, team))
            self._laid_out_from = source
            self.people = team
        self.is_loading = items is None
        self.days, self.tz, self.now = days, tz, now
        self.cursor_day, self.cursor_slot = cursor_day, cursor_slot
        self.cursor_column = cursor_column if team is not None else None
        self.picked = picked
        self.privacy, self.markers, self.practitioner_colors = privacy, markers, colors
        self._scroll_to_cursor()
        self._lines = None
        self.refresh()

    def set_clock(self, *, hours12: bool, first_hour: int) -> None:
        """The user's clock (12 or 24 hours) and the hour the grid opens on."""
        self.hours12 = hours12
        self.home_top = max(0, min(SLOTS - 1, first_hour * 60 // SLOT_MINUTES))
        self.top = self.home_top
        self._scroll_to_cursor()
        self._lines = None
        self.refresh()

    def set_ghost(self, ghost: Ghost | None) -> None:
        """Draw (or, with None, stop drawing) the ghost of the event being moved."""
        if ghost != self.ghost:
            self.ghost = ghost
            self._lines = None
            self.refresh()

    def set_secondary(self, secondary: frozenset[tuple[int, str]]) -> None:
        """Events from these secondary Google calendars get ``◇`` and their own style."""
        if secondary != self.secondary:
            self.secondary = secondary
            self._lines = None
            self.refresh()

    def set_shading(self, shading: dict[date, list[tuple[datetime, datetime]]]) -> None:
        """Gray out the time outside office hours: per local day, half-open UTC intervals
        (``services.shading.shading_for_days``); a half hour wholly inside is shaded."""
        if shading != self.shading:
            self.shading = shading
            self._lines = None
            self.refresh()

    # --- geometry ----------------------------------------------------------------------------

    @property
    def sticky_rows(self) -> int:
        """Rows that stay put while the hours scroll: the day header and the all-day rows."""
        most = max((len(x) for x in self._all_day_rows), default=0)
        return 1 + max(1, min(MAX_ALL_DAY_ROWS, most))

    @property
    def visible_slots(self) -> int:
        """How many half-hour rows fit below the sticky rows."""
        return max(1, self.size.height - self.sticky_rows)

    def _scroll_to_cursor(self) -> None:
        if not self.size.height:
            return  # not laid out yet: keep the default 07:00 top
        self.top = scroll_top(self.cursor_slot, self.top, self.home_top, self.visible_slots)

    def on_resize(self, _event: events.Resize) -> None:
        self._scroll_to_cursor()
        self._lines = None

    def on_focus(self, _event: events.Focus) -> None:
        # The cursor is reverse video only while the grid has focus (underlined otherwise),
        # so where the keys go is always visible.
        self._lines = None
        self.refresh()

    def on_blur(self, _event: events.Blur) -> None:
        self._lines = None
        self.refresh()

    def _scroll(self, rows: int) -> None:
        self.top = max(0, min(self.top + rows, SLOTS - self.visible_slots))
        self._lines = None
        self.refresh()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self._scroll(2)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self._scroll(-2)

    def on_click(self, event: events.Click) -> None:
        """A click puts the cursor on the slot clicked."""
        if not self.columns or event.x < GUTTER:
            return
        widths = split_width(self.size.width - GUTTER, len(self.columns))
        day = column_at(event.x - GUTTER, widths)
        slot = self.top + event.y - self.sticky_rows
        if 0 <= slot < SLOTS:
            self.post_message(self.CursorMoved(self, self.columns[day], slot))

    # --- actions -----------------------------------------------------------------------------

    def is_cursor_column(self, n: int) -> bool:
        """Whether column ``n`` holds the cursor: the cursor's day, and in the team view the
        cursor's column."""
        if self.cursor_column is not None:
            return n == self.cursor_column
        return n < len(self.columns) and self.columns[n] == self.cursor_day

    def _aimed(self, n: int, day: date, every_column: bool) -> bool:
        if self.cursor_column is not None and not every_column:
            return n == self.cursor_column and self.columns[n] == day
        return self.columns[n] == day

    def events_at(self, day: date, slot: int, *, every_column: bool = False) -> list[AgendaItem]:
        """Events covering ``slot`` of ``day``, left to right (all-day ones are not in the
        slots; a practice-wide event in every team column is listed once). In the team view,
        only the cursor's column unless ``every_column``."""
        hits = [
            self._placed[i]
            for n in range(len(self.columns))
            if self._aimed(n, day, every_column)
            for i in self._cells.get((n, slot), [])
        ]
        hits.sort(key=lambda p: (p.day, p.col))
        return unique_items([p.item for p in hits])

    def all_day_on(self, day: date, *, every_column: bool = False) -> list[AgendaItem]:
        """The all-day events of ``day`` (the all-day row), in the order drawn (in the team
        view, the cursor column's unless ``every_column``)."""
        found = [
            item
            for n in range(len(self.columns))
            if self._aimed(n, day, every_column) and n < len(self._all_day)
            for item in self._all_day[n]
        ]
        return unique_items(found)

    def slot_start(self, day: date, slot: int) -> datetime:
        """The aware start of row ``slot`` of ``day`` in the grid's zone."""
        return slot_start(day, slot, self.tz)

    # --- drawing -----------------------------------------------------------------------------

    # --- drawing (grid_paint.GridPainter) ----------------------------------------------------

    def render_line(self, y: int) -> Strip:
        if self._lines is None or len(self._lines) != self.size.height:
            self._lines = self._build()
        if 0 <= y < len(self._lines):
            return self._lines[y]
        return Strip.blank(self.size.width, self.rich_style)

    def _build(self) -> list[Strip]:
        self._outside = outside_slots(self.shading, self.days, self.tz)
        styles = component_styles(self, getattr(self.app, "no_color", False))
        # The crowded clusters' cells (hundreds of styled names on a dense 100k day) depend on
        # the layout, the width, the top row and what is styled, not on the cursor: a cursor
        # move draws the ones of the frame before.
        drawn_from = (self._placed, self.picked)  # compared by identity
        dense_key = (
            self.size.width,
            self.top,
            self.privacy,
            tuple(self.markers.items()),
            tuple(self.practitioner_colors.items()),
            self.secondary,
            tuple(styles.items()),
            self.rich_style,
            self.background_colors[1].hex,
        )
        last = self._dense
        same = (
            last is not None
            and last[0][0] is drawn_from[0]
            and last[0][1] is drawn_from[1]
            and last[1] == dense_key
        )
        dense = last[2] if same and last is not None else None
        painter = GridPainter(
            self,
            placed=self._placed,
            cells=self._cells,
            clusters=self._clusters,
            all_day=self._all_day_rows,
            outside=self._outside,
            styles=styles,
            base=self.rich_style,
            bg=self.background_colors[1].hex,
            dense=dense,
        )
        lines = painter.lines(self.size.width, self.size.height)
        self._dense = (drawn_from, dense_key, painter.dense)
        return lines
