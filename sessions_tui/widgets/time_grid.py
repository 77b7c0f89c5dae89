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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.color import Color
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from sessions_tui.domain.events import Status
from sessions_tui.domain.subscriptions import MARK as SUBSCRIPTION_MARK
from sessions_tui.domain.subscriptions import is_subscribed
from sessions_tui.domain.text import safe_text
from sessions_tui.services.agenda_item import AgendaItem
from sessions_tui.services.calendar import display_title, is_secondary

SLOT_MINUTES = 30
SLOTS = 24 * 60 // SLOT_MINUTES
GUTTER = 7
DEFAULT_TOP = 7 * 60 // SLOT_MINUTES  # 07:00
DEFAULT_BOTTOM = 20 * 60 // SLOT_MINUTES  # 20:00
MAX_ALL_DAY_ROWS = 2
SHADE = "░"
"""Drawn in empty cells outside office hours (visible with NO_COLOR as well)."""


def overlap_columns(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Lay overlapping half-open spans ``[a, b)`` side by side.

    Returns, for each span in input order, ``(column, columns)``: its column and the number of
    columns in its cluster (a maximal run of transitively overlapping spans), so every span in a
    cluster gets the same width. Columns are reused greedily, longest span first on ties.
    """
    result = [(0, 1)] * len(spans)
    order = sorted(range(len(spans)), key=lambda i: (spans[i][0], -spans[i][1], i))
    cluster: list[int] = []
    col_ends: list[int] = []
    cluster_end: int | None = None

    def close() -> None:
        for j in cluster:
            result[j] = (result[j][0], len(col_ends))

    for i in order:
        a, b = spans[i]
        b = max(b, a + 1)
        if cluster and cluster_end is not None and a >= cluster_end:
            close()
            cluster, col_ends, cluster_end = [], [], None
        for col, end in enumerate(col_ends):
            if end <= a:
                col_ends[col] = b
                break
        else:
            col_ends.append(b)
            col = len(col_ends) - 1
        result[i] = (col, 0)
        cluster.append(i)
        cluster_end = b if cluster_end is None else max(cluster_end, b)
    if cluster:
        close()
    return result


def split_width(total: int, parts: int) -> list[int]:
    """``total`` cells split into ``parts`` widths differing by at most one."""
    if parts <= 0:
        return []
    base, extra = divmod(max(total, 0), parts)
    return [base + (1 if n < extra else 0) for n in range(parts)]


@dataclass(frozen=True)
class Placed:
    """An event's block in one day column: rows ``[start, end)``, sub-column ``col`` of ``cols``."""

    item: AgendaItem
    day: int
    start: int
    end: int
    col: int
    cols: int


def outside_slots(
    shading: dict[date, list[tuple[datetime, datetime]]], days: Sequence[date], tz: ZoneInfo
) -> dict[date, frozenset[int]]:
    """Per day, the half-hour slots wholly inside the shaded (UTC) intervals of that day."""
    out: dict[date, frozenset[int]] = {}
    step = timedelta(minutes=SLOT_MINUTES)
    for d in days:
        spans = shading.get(d)
        if not spans:
            continue
        shaded = set()
        for slot in range(SLOTS):
            minutes = slot * SLOT_MINUTES
            start = datetime.combine(d, time(minutes // 60, minutes % 60), tzinfo=tz)
            a = start.astimezone(UTC)
            if any(s <= a and a + step <= e for s, e in spans):
                shaded.add(slot)
        out[d] = frozenset(shaded)
    return out


def slot_of(moment: datetime, tz: ZoneInfo) -> int:
    local = moment.astimezone(tz)
    return (local.hour * 60 + local.minute) // SLOT_MINUTES


def place_events(
    items: Sequence[AgendaItem], days: Sequence[date], tz: ZoneInfo
) -> tuple[list[Placed], list[list[AgendaItem]]]:
    """Timed items as blocks per day column (split at midnight); all-day items per day."""
    index = {d: n for n, d in enumerate(days)}
    per_day: list[list[tuple[AgendaItem, int, int]]] = [[] for _ in days]
    all_day: list[list[AgendaItem]] = [[] for _ in days]
    for item in items:
        if not (isinstance(item.start, datetime) and isinstance(item.end, datetime)):
            d = item.start
            while d < item.end:  # type: ignore[operator]
                if d in index:
                    all_day[index[d]].append(item)
                d += timedelta(days=1)
            continue
        s, e = item.start.astimezone(tz), item.end.astimezone(tz)
        d = s.date()
        while d <= e.date():
            if d in index:
                first = slot_of(s, tz) if d == s.date() else 0
                if d == e.date():
                    minutes = e.hour * 60 + e.minute
                    last = -(-minutes // SLOT_MINUTES)
                else:
                    last = SLOTS
                if last > first or d == s.date():
                    per_day[index[d]].append((item, first, max(last, first + 1)))
            d += timedelta(days=1)
    placed: list[Placed] = []
    for n, blocks in enumerate(per_day):
        cols = overlap_columns([(a, b) for _i, a, b in blocks])
        placed.extend(
            Placed(it, n, a, b, c, k) for (it, a, b), (c, k) in zip(blocks, cols, strict=True)
        )
    return placed, all_day


def place_team(
    items: Sequence[AgendaItem],
    day: date,
    people: Sequence[tuple[int, str]],
    tz: ZoneInfo,
) -> tuple[list[Placed], list[list[AgendaItem]]]:
    """One column per practitioner for ``day``: their events, plus the practice-wide ones
    (no practitioner: a staff meeting concerns everyone), in every column."""
    placed: list[Placed] = []
    all_day: list[list[AgendaItem]] = []
    for n, (pid, _name) in enumerate(people):
        mine = [i for i in items if i.event.practitioner_id in (pid, None)]
        blocks, whole = place_events(mine, [day], tz)
        placed.extend(Placed(p.item, n, p.start, p.end, p.col, p.cols) for p in blocks)
        all_day.append(whole[0])
    return placed, all_day


MIN_BLOCK = 7
"""Narrowest side-by-side block that still reads (a letter, a space, five of a name); below
it, a slot's overlapping events are listed by first name across the whole column instead."""


def first_name(title: str) -> str:
    """The first word of an event's title ("Ava Thompson" → "Ava"; initials stay whole)."""
    words = title.split()
    return words[0] if words else "?"


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


CONFIRMED_MARK = "✔"
"""Marks a session the client confirmed from a reminder's link (issue 20)."""
SECONDARY_MARK = "◇"
"""Marks events pulled from a secondary Google calendar (with a style, never colour alone)."""


def event_markers(item: AgendaItem, letter: str, secondary: bool = False) -> str:
    """Text markers shown before an event: practitioner letter, ``◇`` from a secondary Google
    calendar, ``⇣`` from a read-only ICS subscription, ``✗`` cancelled, ``✔`` confirmed by the
    client, ``○`` free."""
    out = letter
    if secondary:
        out += SECONDARY_MARK
    if is_subscribed(item.event.source_calendar):
        out += SUBSCRIPTION_MARK
    if item.event.is_cancelled:
        out += "✗"
    elif item.event.status is Status.CONFIRMED:
        out += CONFIRMED_MARK
    if not item.event.busy:
        out += "○"
    return out


def hour_label(hour: int, hours12: bool) -> str:
    """The gutter's label of an hour row: `` 09:00 `` or ``  9am ``, ``  12pm``."""
    if not hours12:
        return f" {hour:02d}:00 "
    return f"{(hour - 1) % 12 + 1:>3}{'am' if hour < 12 else 'pm'} "


def clock_label(at: time, hours12: bool) -> str:
    """The now row's time after its ``▶``: ``10:41 `` or ``10:41a`` (six characters)."""
    if not hours12:
        return f"{at:%H:%M} "
    return f"{(at.hour - 1) % 12 + 1:>2}:{at.minute:02d}{'a' if at.hour < 12 else 'p'}"


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
        self.picked: AgendaItem | None = None
        """The event picked with ``]`` / ``[`` (drawn in reverse video), if any."""
        self.tz: ZoneInfo = ZoneInfo("UTC")
        self.items: list[AgendaItem] = []
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
        self._cells: dict[tuple[int, int], list[int]] = {}
        self._all_day: list[list[AgendaItem]] = []
        self._lines: list[Strip] | None = None
        self._texts: dict[tuple[int, int], list[str]] = {}
        self._styles_by_index: dict[int, Style] = {}
        self._empty_cells: dict[tuple[str, int], list[Segment]] = {}
        self.shading: dict[date, list[tuple[datetime, datetime]]] = {}
        """Per day, the UTC intervals outside office hours (see :meth:`set_shading`)."""
        self._outside: dict[date, frozenset[int]] = {}
        self._dense: dict[tuple[int, int], list[tuple[str, Style]]] = {}

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
        picked: AgendaItem | None = None,
    ) -> None:
        """Set everything the grid draws; ``items=None`` keeps the old ones (still loading).

        With ``people`` (team view) the grid shows ``days[0]`` with one column per
        practitioner; ``picked`` is the event ``]`` / ``[`` picked in the cursor's slot.
        """
        days = list(days)
        team = list(people) if people is not None else None
        if items is not None or days != self.days or tz != self.tz or team != self.people:
            self.items = list(items or []) if items is not None else self.items
            if team is not None:
                self._placed, self._all_day = place_team(self.items, days[0], team, tz)
                self.columns = [days[0]] * len(team)
            else:
                self._placed, self._all_day = place_events(self.items, days, tz)
                self.columns = list(days)
            self.people = team
            # Index blocks by (day, slot) so drawing a cell looks only at what covers it.
            cells: dict[tuple[int, int], list[int]] = {}
            for index, p in enumerate(self._placed):
                for slot in range(p.start, min(p.end, SLOTS)):
                    cells.setdefault((p.day, slot), []).append(index)
            self._cells = cells
        self.is_loading = items is None
        self.days, self.tz, self.now = days, tz, now
        self.cursor_day, self.cursor_slot = cursor_day, cursor_slot
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

    def set_secondary(self, secondary: frozenset[tuple[int, str]]) -> None:
        """Events from these secondary Google calendars get ``◇`` and their own style."""
        if secondary != self.secondary:
            self.secondary = secondary
            self._lines = None
            self.refresh()

    def _is_secondary(self, item: AgendaItem) -> bool:
        return is_secondary(item, self.secondary)

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
        most = max((len(x) for x in self._all_day), default=0)
        return 1 + max(1, min(MAX_ALL_DAY_ROWS, most))

    @property
    def visible_slots(self) -> int:
        return max(1, self.size.height - self.sticky_rows)

    def _scroll_to_cursor(self) -> None:
        if not self.size.height:
            return  # not laid out yet: keep the default 07:00 top
        visible = self.visible_slots
        if self.cursor_slot < self.top - 1 or self.cursor_slot > self.top + visible:
            # A jump (today, search, another zone): back to the first hour if the cursor shows
            # from there, else the cursor a third of the way down.
            if self.home_top <= self.cursor_slot < self.home_top + visible:
                self.top = self.home_top
            else:
                self.top = self.cursor_slot - visible // 3
        elif self.cursor_slot < self.top:
            self.top = self.cursor_slot
        elif self.cursor_slot >= self.top + visible:
            self.top = self.cursor_slot - visible + 1
        self.top = max(0, min(self.top, SLOTS - visible))

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
        x, day = event.x - GUTTER, len(self.columns) - 1
        for n, w in enumerate(widths):
            if x < w:
                day = n
                break
            x -= w
        slot = self.top + event.y - self.sticky_rows
        if 0 <= slot < SLOTS:
            self.post_message(self.CursorMoved(self, self.columns[day], slot))

    # --- actions -----------------------------------------------------------------------------

    def events_at(self, day: date, slot: int) -> list[AgendaItem]:
        """Events covering ``slot`` of ``day``, left to right (all-day ones are not in the
        slots; a practice-wide event in every team column is listed once)."""
        hits = [
            self._placed[i]
            for n, d in enumerate(self.columns)
            if d == day
            for i in self._cells.get((n, slot), [])
        ]
        hits.sort(key=lambda p: (p.day, p.col))
        return _unique([p.item for p in hits])

    def all_day_on(self, day: date) -> list[AgendaItem]:
        """The all-day events of ``day`` (the all-day row), in the order drawn."""
        found = [
            item
            for n, d in enumerate(self.columns)
            if d == day and n < len(self._all_day)
            for item in self._all_day[n]
        ]
        return _unique(found)

    def slot_start(self, day: date, slot: int) -> datetime:
        wall = datetime.combine(day, time(slot * SLOT_MINUTES // 60, slot * SLOT_MINUTES % 60))
        return wall.replace(tzinfo=self.tz)

    # --- drawing -----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        if self._lines is None or len(self._lines) != self.size.height:
            self._lines = self._build()
        if 0 <= y < len(self._lines):
            return self._lines[y]
        return Strip.blank(self.size.width, self.rich_style)

    def _styles(self) -> dict[str, Style]:
        names = [
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
        ]
        styles = {n: self.get_component_rich_style(f"time-grid--{n}") for n in names}
        if getattr(self.app, "no_color", False):
            # Without colour a tinted block looks like an empty slot: draw blocks in reverse
            # video (every row of them, so their length shows) and the cursor as bold
            # underline, which stays visible on a block and on an empty slot.
            styles["event"] += Style(reverse=True)
            styles["cursor"] = Style(bold=True, underline=True)
        return styles

    def _build(self) -> list[Strip]:
        width, height = self.size.width, self.size.height
        base = self.rich_style
        st = self._styles()
        if not self.columns or width <= GUTTER:
            return [Strip.blank(width, base) for _ in range(height)]
        widths = split_width(width - GUTTER, len(self.columns))
        bg = self.background_colors[1].hex
        today = self.now.astimezone(self.tz).date() if self.now else None
        now_slot = slot_of(self.now, self.tz) if self.now else -1
        self._texts = {}
        self._styles_by_index = {}
        self._empty_cells = {}
        self._outside = outside_slots(self.shading, self.days, self.tz)
        self._dense = self._dense_cells(widths, st, base, bg)
        lines: list[Strip] = []
        lines.append(self._header_line(widths, st, base, today))
        for r in range(self.sticky_rows - 1):
            lines.append(self._all_day_line(r, widths, st, base, bg))
        for r in range(height - len(lines)):
            slot = self.top + r
            if slot >= SLOTS:
                lines.append(Strip.blank(width, base))
                continue
            lines.append(self._slot_line(slot, widths, st, base, bg, today, now_slot))
        return lines[:height]

    def _header_line(
        self, widths: list[int], st: dict[str, Style], base: Style, today: date | None
    ) -> Strip:
        segs = [Segment(" " * GUTTER, base)]
        # One form of day name for the whole row, chosen by the narrowest column: columns
        # differ by a character when the width does not divide evenly, and "Tue 24 │We 25"
        # side by side read as two styles (issue 14).
        three_letters = min(widths, default=0) - 1 >= len("Wed 25")
        for n, (d, w) in enumerate(zip(self.columns, widths, strict=True)):
            inner = w - 1
            if self.people is not None:
                pid, name = self.people[n]
                letter = self.markers.get(pid, "")
                label = f"{letter} {name}".strip()
            elif len(self.days) == 1:
                label = f"{d:%A, %b} {d.day}"
            elif three_letters:
                label = f"{d:%a} {d.day}"
            else:
                label = f"{d:%a}"[:2] + f" {d.day:2d}"
            if d == today and self.people is None and inner >= len(label) + 2:
                label += " •"
            style = base + st["header"] + (st["today"] if d == today else Style())
            if d == self.cursor_day:
                style += Style(underline=True)
            segs.append(Segment("│", base + st["separator"]))
            segs.append(Segment(label[:inner].ljust(inner), style))
        return Strip(segs)

    def _title(self, item: AgendaItem) -> str:
        return display_title(item, privacy=self.privacy)

    def _item_style(self, item: AgendaItem, st: dict[str, Style], base: Style, bg: str) -> Style:
        style = base + st["event"]
        pid = item.event.practitioner_id
        if pid is not None and pid in self.practitioner_colors:
            style += tint(self.practitioner_colors[pid], bg)
        if item.event.is_cancelled:
            style += st["cancelled"]
        elif not item.event.busy:
            style += st["free"]
        if self._is_secondary(item) or is_subscribed(item.event.source_calendar):
            style += st["secondary"]  # from another calendar: underlined (and marked)
        return style

    def _letter(self, item: AgendaItem) -> str:
        pid = item.event.practitioner_id
        return self.markers.get(pid, "") if pid is not None else ""

    def _all_day_line(
        self, row: int, widths: list[int], st: dict[str, Style], base: Style, bg: str
    ) -> Strip:
        label = "all day" if row == 0 else ""
        segs = [Segment(label.ljust(GUTTER), base + st["gutter"] + st["all-day"])]
        last = self.sticky_rows - 2
        for n, w in enumerate(widths):
            inner = w - 1
            todays = self._all_day[n] if n < len(self._all_day) else []
            segs.append(Segment("│", base + st["separator"]))
            cell_base = base + st["all-day"]
            if row == last and len(todays) > row + 1:
                text, style = f"+{len(todays) - row} more", cell_base
            elif row < len(todays):
                item = todays[row]
                marks = event_markers(item, self._letter(item), self._is_secondary(item))
                text = f"{marks} {self._title(item)}".strip()
                style = self._item_style(item, st, base, bg) + st["all-day"]
                if item is self.picked:
                    style += st["cursor"]
            else:
                text, style = "", cell_base
            segs.append(Segment(text[:inner].ljust(inner), style))
        return Strip(segs)

    def _slot_line(
        self,
        slot: int,
        widths: list[int],
        st: dict[str, Style],
        base: Style,
        bg: str,
        today: date | None,
        now_slot: int,
    ) -> Strip:
        is_now_row = slot == now_slot and today in self.columns
        if is_now_row and self.now is not None:
            gutter = "▶" + clock_label(self.now.astimezone(self.tz).time(), self.hours12)
            gstyle = base + st["now"]
        elif slot % 2 == 0:
            gutter = hour_label(slot // 2, self.hours12)
            gstyle = base + st["gutter"]
        else:
            gutter, gstyle = " " * GUTTER, base + st["gutter"]
        segs = [Segment(gutter.ljust(GUTTER), gstyle)]
        separator = Segment("│", base + st["separator"])
        for n, (d, w) in enumerate(zip(self.columns, widths, strict=True)):
            inner = w - 1
            segs.append(separator)
            cells: list[tuple[str, Style]]
            if (n, slot) not in self._cells and (d != self.cursor_day or slot != self.cursor_slot):
                # An empty cell (most of them): its segments straight away, the same as the
                # cell-by-cell path below would merge them into.
                segs.extend(
                    self._empty_cell(
                        "now"
                        if is_now_row and d == today
                        else "outside"
                        if slot in self._outside.get(d, ())
                        else "hour"
                        if slot % 2 == 0
                        else "plain",
                        inner,
                        st,
                        base,
                    )
                )
                continue
            if is_now_row and d == today:
                cells = [("─", base + st["now"])] * inner
            elif slot in self._outside.get(d, ()):
                # Outside office hours: a shade character, so it shows without colour too.
                cells = [(SHADE, base + st["outside-hours"])] * inner
            elif slot % 2 == 0:
                cells = [("·" if k == 0 else " ", base + st["hour"]) for k in range(inner)]
            else:
                cells = [(" ", base)] * inner
            dense = self._dense.get((n, slot))
            for index in () if dense is not None else self._cells.get((n, slot), ()):
                p = self._placed[index]
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
                    style = self._item_style(p.item, st, base, bg)
                    self._styles_by_index[index] = style
                for k in range(pw):
                    ch = text[k] if k < len(text) else " "
                    cstyle = style
                    if k == 0 and slot == p.start:
                        pid = p.item.event.practitioner_id
                        if pid is not None and pid in self.practitioner_colors:
                            cstyle = style + Style(bold=True)
                    if p.item is self.picked:
                        cstyle = cstyle + st["cursor"]
                    cells[x0 + k] = (ch, cstyle)
            if dense is not None:
                cells = [dense[k] if k < len(dense) else cells[k] for k in range(inner)]
            here = [self._placed[i].item for i in self._cells.get((n, slot), ())]
            if d == self.cursor_day and slot == self.cursor_slot and self.picked not in here:
                cells = [(ch, s + st["cursor"]) for ch, s in cells]
                if all(ch in " ·─" + SHADE for ch, _s in cells) and inner >= 1:
                    cells[0] = ("▸", cells[0][1])
            segs.extend(_merge(cells))
        return Strip(segs)

    def _dense_cells(
        self, widths: list[int], st: dict[str, Style], base: Style, bg: str
    ) -> dict[tuple[int, int], list[tuple[str, Style]]]:
        """Cells for the clusters too crowded to lay side by side, per (column, slot).

        A cluster whose blocks would be narrower than :data:`MIN_BLOCK` is drawn as one
        block across the column: the count, then each event's first name in its
        practitioner's colour ("4: Ava Zoe Chloé +1"), wrapped over the cluster's rows.
        """
        out: dict[tuple[int, int], list[tuple[str, Style]]] = {}
        by_column: dict[int, list[int]] = {}
        for index, p in enumerate(self._placed):
            by_column.setdefault(p.day, []).append(index)
        for n, indexes in by_column.items():
            inner = widths[n] - 1 if n < len(widths) else 0
            if inner <= 0:
                continue
            indexes.sort(key=lambda i: (self._placed[i].start, self._placed[i].col))
            clusters: list[list[int]] = []
            end = -1
            for i in indexes:
                p = self._placed[i]
                if not clusters or p.start >= end:
                    clusters.append([])
                    end = -1
                clusters[-1].append(i)
                end = max(end, p.end)
            for cluster in clusters:
                cols = max(self._placed[i].cols for i in cluster)
                if cols <= 1 or min(split_width(inner, cols)) >= MIN_BLOCK:
                    continue
                first = max(min(self._placed[i].start for i in cluster), self.top)
                last = min(max(self._placed[i].end for i in cluster), SLOTS)
                rows = self._dense_rows(cluster, inner, max(1, last - first), st, base, bg)
                for r, row in enumerate(rows):
                    out[(n, first + r)] = row
        return out

    def _dense_rows(
        self,
        cluster: list[int],
        inner: int,
        rows: int,
        st: dict[str, Style],
        base: Style,
        bg: str,
    ) -> list[list[tuple[str, Style]]]:
        plain = base + st["event"]
        tokens: list[tuple[str, Style]] = []
        for i in cluster:
            item = self._placed[i].item
            name = first_name(self._title(item))
            if item.event.is_cancelled:
                name = "✗" + name
            elif item.event.status is Status.CONFIRMED:
                name = CONFIRMED_MARK + name
            style = self._item_style(item, st, base, bg)
            if item is self.picked:
                style += st["cursor"]
            tokens.append((name[:inner], style))
        lines: list[list[tuple[str, Style]]] = [[(ch, plain) for ch in f"{len(cluster)}:"]]
        for k, (text, style) in enumerate(tokens):
            line = lines[-1]
            room = inner - len(line) - (1 if line else 0)
            if len(text) > room and len(lines) < rows:
                lines.append([])
                line = lines[-1]
                room = inner
            if len(text) <= room:
                if line:
                    line.append((" ", plain))
                line.extend((ch, style) for ch in text)
                continue
            more = f"+{len(tokens) - k}"
            while line and inner - len(line) < len(more) + 1:
                line.pop()  # make room for "+N" at the end of the last row
            if line:
                line.append((" ", plain))
            line.extend((ch, plain) for ch in more[: inner - len(line)])
            break
        out = []
        for line in lines + [[] for _ in range(rows - len(lines))]:
            out.append((line + [(" ", plain)] * inner)[:inner])
        return out

    def _empty_cell(
        self, kind: str, inner: int, st: dict[str, Style], base: Style
    ) -> list[Segment]:
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
        first = max(p.start, self.top)
        key = (index, width)
        lines = self._texts.get(key)
        if lines is None:
            lines = block_text(
                p.item,
                self._letter(p.item),
                self._title(p.item),
                self.tz,
                width,
                p.end - first,
                secondary=self._is_secondary(p.item),
            )
            self._texts[key] = lines
        row = slot - first
        return lines[row] if 0 <= row < len(lines) else ""


def _unique(items: list[AgendaItem]) -> list[AgendaItem]:
    seen: set[int] = set()
    out = []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            out.append(item)
    return out


def wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap that breaks long words (``textwrap`` is too slow per cell)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        while len(word) > width:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:width])
            word = word[width:]
        if not word:
            continue
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines or [""]


def _merge(cells: list[tuple[str, Style]]) -> list[Segment]:
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


def block_text(
    item: AgendaItem,
    letter: str,
    title: str,
    tz: ZoneInfo,
    width: int,
    rows: int,
    *,
    secondary: bool = False,
) -> list[str]:
    """An event's text wrapped into its block: markers, time (when wide), title, location."""
    marks = event_markers(item, letter, secondary)
    words: list[str] = []
    if marks:
        words.append(marks)
    if width >= 16 and isinstance(item.start, datetime):
        words.append(f"{item.start.astimezone(tz):%H:%M}")
    words.append(title)
    if item.location is not None:
        words.append(f"@ {safe_text(item.location.name)}")
    if width <= 0:
        return []
    lines = wrap(" ".join(words), width)
    lines = lines[:rows]
    lines += ["┊"] * (rows - len(lines))
    return lines
