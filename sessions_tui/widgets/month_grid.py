"""The month view: a grid of days, each with as many events as fit and "+N more".

The calendar screen owns the keys (arrows move the App's cursor a day or a week, enter opens
the day), as for the time grid, so keys typed ahead are handled in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from sessions_tui.domain.subscriptions import is_subscribed
from sessions_tui.services.agenda_item import AgendaItem
from sessions_tui.services.calendar import display_title, is_secondary
from sessions_tui.services.render import item_days
from sessions_tui.widgets.grid_layout import split_width
from sessions_tui.widgets.grid_paint import tint
from sessions_tui.widgets.grid_text import SHADE, event_markers


class MonthGrid(Widget, can_focus=True):
    """Weeks of a month, days as cells; the cursor is a day."""

    COMPONENT_CLASSES = {
        "month-grid--header",
        "month-grid--day",
        "month-grid--other-month",
        "month-grid--today",
        "month-grid--cursor",
        "month-grid--event",
        "month-grid--cancelled",
        "month-grid--free",
        "month-grid--secondary",
        "month-grid--more",
        "month-grid--separator",
        "month-grid--no-hours",
        "month-grid--hold",
    }

    DEFAULT_CSS = """
    MonthGrid { height: 1fr; width: 1fr; }
    MonthGrid > .month-grid--header { text-style: bold; }
    MonthGrid > .month-grid--day { color: $text-muted; }
    MonthGrid > .month-grid--other-month { color: $text-disabled; }
    MonthGrid > .month-grid--today { color: $accent; text-style: bold; }
    MonthGrid > .month-grid--cursor { text-style: reverse; }
    MonthGrid > .month-grid--event { }
    MonthGrid > .month-grid--cancelled { text-style: strike; color: $text-muted; }
    MonthGrid > .month-grid--free { text-style: italic; color: $text-muted; }
    MonthGrid > .month-grid--secondary { text-style: underline; }
    MonthGrid > .month-grid--more { color: $text-muted; text-style: italic; }
    MonthGrid > .month-grid--separator { color: $foreground 30%; }
    MonthGrid > .month-grid--no-hours { background: $foreground 7%; }
    MonthGrid > .month-grid--hold { text-style: italic; color: $text-muted; }
    """

    class CursorMoved(Message):
        """The user moved the cursor to ``day``."""

        def __init__(self, grid: MonthGrid, day: date) -> None:
            super().__init__()
            self.grid = grid
            self.day = day

        @property
        def control(self) -> MonthGrid:
            return self.grid

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.first: date | None = None
        self.weeks = 6
        self.month = 1
        self.tz = ZoneInfo("UTC")
        self.cursor_day: date | None = None
        self.today: date | None = None
        self.privacy = False
        self.markers: dict[int, str] = {}
        self.practitioner_colors: dict[int, str] = {}
        self.secondary: frozenset[tuple[int, str]] = frozenset()
        """``(practitioner id, calendar id)`` of secondary Google calendars (``◇`` events)."""
        self.by_day: dict[date, list[AgendaItem]] = {}
        self._grouped_from: Sequence[AgendaItem] | None = None  # the window ``by_day`` is of
        self._lines: list[Strip] | None = None
        self._show_time = False
        self.no_hours: set[date] = set()
        """Days with no office hours at all: grayed, their header line drawn with ``░``."""

    def show(
        self,
        *,
        first: date,
        weeks: int,
        month: int,
        tz: ZoneInfo,
        items: Sequence[AgendaItem] | None,
        cursor_day: date,
        now: datetime,
        privacy: bool,
        markers: dict[int, str],
        colors: dict[int, str],
    ) -> None:
        """Set what to draw; ``items=None`` keeps the previous events (still loading)."""
        # The calendar's cached window is the same object on every redraw: grouped by day
        # again only when it or the month changes (as the week grid lays out once).
        same = items is not None and items is self._grouped_from
        if (items is not None and not same) or first != self.first or tz != self.tz:
            self._grouped_from = items
            by_day: dict[date, list[AgendaItem]] = {}
            for it in items or []:
                for d in item_days(it, tz):
                    by_day.setdefault(d, []).append(it)
            self.by_day = by_day
        self.first, self.weeks, self.month, self.tz = first, weeks, month, tz
        self.cursor_day, self.today = cursor_day, now.astimezone(tz).date()
        self.privacy, self.markers, self.practitioner_colors = privacy, markers, colors
        self._lines = None
        self.refresh()

    def set_secondary(self, secondary: frozenset[tuple[int, str]]) -> None:
        """Events from these secondary Google calendars get ``◇`` and their own style."""
        if secondary != self.secondary:
            self.secondary = secondary
            self._lines = None
            self.refresh()

    def _is_secondary(self, item: AgendaItem) -> bool:
        return is_secondary(item, self.secondary)

    def set_no_hours(self, days: set[date]) -> None:
        """Mark the days with no office hours at all (``services.shading.days_without_hours``)."""
        if days != self.no_hours:
            self.no_hours = set(days)
            self._lines = None
            self.refresh()

    def on_resize(self, _event: events.Resize) -> None:
        self._lines = None

    def rows_per_week(self) -> int:
        return max(2, (self.size.height - 1) // max(self.weeks, 1))

    def on_click(self, event: events.Click) -> None:
        if self.first is None:
            return
        widths = split_width(self.size.width, 7)
        x, col = event.x, 6
        for n, w in enumerate(widths):
            if x < w:
                col = n
                break
            x -= w
        week = (event.y - 1) // self.rows_per_week()
        if 0 <= week < self.weeks and event.y >= 1:
            self.post_message(self.CursorMoved(self, self.first + timedelta(days=7 * week + col)))

    def render_line(self, y: int) -> Strip:
        if self._lines is None or len(self._lines) != self.size.height:
            self._lines = self._build()
        if 0 <= y < len(self._lines):
            return self._lines[y]
        return Strip.blank(self.size.width, self.rich_style)

    def _build(self) -> list[Strip]:
        width, height = self.size.width, self.size.height
        base = self.rich_style
        names = [
            "header",
            "day",
            "other-month",
            "today",
            "cursor",
            "event",
            "cancelled",
            "free",
            "secondary",
            "more",
            "separator",
            "no-hours",
            "hold",
        ]
        st = {n: self.get_component_rich_style(f"month-grid--{n}") for n in names}
        if self.first is None or width < 14:
            return [Strip.blank(width, base) for _ in range(height)]
        widths = split_width(width, 7)
        self._show_time = min(widths) - 1 >= 14  # the same in every column
        bg = self.background_colors[1].hex
        lines: list[Strip] = []
        header: list[Segment] = []
        for n, w in enumerate(widths):
            d = self.first + timedelta(days=n)
            label = f"{d:%a}" if w - 1 >= 3 else f"{d:%a}"[:2]
            header.append(Segment("│" if n else " ", base + st["separator"]))
            header.append(Segment(label[: w - 1].ljust(w - 1), base + st["header"]))
        lines.append(Strip(header))
        per_week = self.rows_per_week()
        for week in range(self.weeks):
            for row in range(per_week):
                segs: list[Segment] = []
                for n, w in enumerate(widths):
                    d = self.first + timedelta(days=7 * week + n)
                    segs.append(Segment("│" if n else " ", base + st["separator"]))
                    segs.extend(self._cell(d, row, per_week, w - 1, st, base, bg))
                lines.append(Strip(segs))
        while len(lines) < height:
            lines.append(Strip.blank(width, base))
        return lines[:height]

    def _cell(
        self, d: date, row: int, rows: int, inner: int, st: dict[str, Style], base: Style, bg: str
    ) -> list[Segment]:
        cursor = st["cursor"] if d == self.cursor_day else Style()
        if d in self.no_hours:
            base = base + st["no-hours"]
        if row == 0:
            label = f"{d.day}"
            if d.day == 1:
                label = f"{d:%b} {d.day}"
            if d == self.today:
                label += " •"
            if d == self.cursor_day:
                label = "▸" + label
            fill = (SHADE if d in self.no_hours else "─") * max(0, inner - len(label) - 1)
            style = base + (
                st["today"]
                if d == self.today
                else st["day"]
                if d.month == self.month
                else st["other-month"]
            )
            text = f"{label} {fill}"[:inner].ljust(inner)
            return [Segment(text, style + cursor)]
        todays = self.by_day.get(d, [])
        slots = rows - 1
        shown = todays if len(todays) <= slots else todays[: slots - 1]
        index = row - 1
        if index < len(shown):
            item = shown[index]
            return [
                Segment(
                    self._event_text(item, inner)[:inner].ljust(inner),
                    self._style(item, st, base, bg) + cursor,
                )
            ]
        if len(todays) > slots and index == slots - 1:
            more = f"+{len(todays) - len(shown)} more"
            return [Segment(more[:inner].ljust(inner), base + st["more"] + cursor)]
        return [Segment(" " * inner, base + cursor)]

    def _event_text(self, item: AgendaItem, inner: int) -> str:
        pid = item.event.practitioner_id
        letter = self.markers.get(pid, "") if pid is not None else ""
        marks = event_markers(item, letter, self._is_secondary(item))
        title = display_title(item, privacy=self.privacy)
        words = [marks] if marks else []
        if isinstance(item.start, datetime) and self._show_time:
            words.append(f"{item.start.astimezone(self.tz):%H:%M}")
        words.append(title)
        return " ".join(words)

    def _style(self, item: AgendaItem, st: dict[str, Style], base: Style, bg: str) -> Style:
        style = base + st["event"]
        pid = item.event.practitioner_id
        if pid is not None and pid in self.practitioner_colors:
            style += tint(self.practitioner_colors[pid], bg)
        if item.hold is not None:
            style += st["hold"]  # an online-booking request's held time (issue 24)
        elif item.event.is_cancelled:
            style += st["cancelled"]
        elif not item.event.busy:
            style += st["free"]
        if self._is_secondary(item) or is_subscribed(item.event.source_calendar):
            style += st["secondary"]
        return style
