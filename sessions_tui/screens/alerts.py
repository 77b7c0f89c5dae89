"""The alert centre: practitioner alerts on whatever screen is open (issue 20).

The rules (what is due, once per occurrence and offset, withdrawn when it starts, moves or is
cancelled) are :mod:`sessions_tui.services.alerts`; this module times, reads and draws:

* **Timing.** One App interval ticks every second: it compares the App clock (``app.clock``,
  fixed by ``SESSIONS_TUI_NOW``, moved by tests) with the occurrences read last, so an alert
  shows within a second of its offset and leaves when its event starts. No database read on
  the tick itself.
* **Reading.** Every :attr:`AlertCenter.RELOAD_SECONDS`, at the first tick, and whenever the
  calendar reloads (a change saved here, another client's change, a sync), a thread worker
  reads the user's own occurrences from now to the largest offset plus a margin, so a tick
  never waits on the database and an event moved or cancelled elsewhere is seen within that
  time. Its failure goes to the App's one worker-failure handler.
* **Drawing.** An :class:`~sessions_tui.widgets.alert_banner.AlertBanner` is mounted into each
  screen that becomes current (the App's ``screen_change_signal``), modal screens included, and
  every banner on the stack says the same lines; privacy mode redraws them (initials only).
  The App's ``alt+d`` (binding id ``app.dismiss-alerts``) dismisses them.
* **Desktop.** With ``alert_escape = "osc9"`` or ``"osc777"`` each alert is also written to the
  terminal as a notification escape, through Textual's driver (as Textual's own
  ``copy_to_clipboard`` writes OSC 52), so it never interleaves with a frame being drawn.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from sessions_tui.services.alerts import Alert, AlertBook, alert_text, escape_sequence
from sessions_tui.widgets.alert_banner import AlertBanner

if TYPE_CHECKING:
    from sessions_tui.app import SessionsApp
    from sessions_tui.services.agenda_item import AgendaItem

log = logging.getLogger("sessions_tui.alerts")

MAX_LINES = 2
"""Lines the banner takes at most: a practice with many sessions at once pushed the week down
by six lines."""


class AlertCenter:
    """Practitioner alerts for one running app (see the module docstring).

    Args:
        app: The app whose clock, zone, reader, user and privacy mode the alerts follow.
        offsets: Minutes before each event (the config's ``alerts``); none: no alerts.
        escape: ``off``, ``osc9`` or ``osc777`` (the config's ``alert_escape``).
        dismiss_key: The key the banner names for dismissing (after the config's keymap).
    """

    RELOAD_SECONDS = 15
    """How often the user's occurrences are read again (a move or cancel is seen this late)."""

    def __init__(
        self,
        app: SessionsApp,
        offsets: tuple[int, ...],
        escape: str = "off",
        *,
        dismiss_key: str = "alt+d",
    ) -> None:
        self.app = app
        self.book = AlertBook(offsets)
        self.escape = escape
        self.dismiss_key = dismiss_key
        self.write_terminal: Callable[[str], None] = self._write_to_driver
        """Where escapes go: Textual's driver (tests may read what it was given)."""
        self.fired: list[Alert] = []
        """Every alert fired in this run, oldest first."""
        self._items: list[AgendaItem] = []
        self._ticks = 0
        self._started = False
        self._reading = False
        self._again = False
        self._early: list[Alert] = []
        """Alerts :meth:`prime` found due before the app ran, announced at :meth:`start`."""

    @classmethod
    def for_app(cls, app: SessionsApp) -> AlertCenter:
        """The centre the app's config asks for (defaults without a config)."""
        from sessions_tui.config import Config

        config = app.config or Config()
        keys = config.keymap.get("app.dismiss-alerts", "alt+d")
        return cls(app, config.alerts, config.alert_escape, dismiss_key=keys.split(",")[0].strip())

    @property
    def showing(self) -> bool:
        """Whether any alert is on screen."""
        return bool(self.book.shown)

    def prime(self) -> None:
        """Read the user's next occurrences now, before the first frame, so that the alerts
        already due are in it (the calendar composes its banner with :meth:`lines`): a banner
        arriving a second later pushed the whole week down. A failed read is left to the
        first tick's."""
        if self._started or not self.book.offsets:
            return
        try:
            items = self._read_items()
        except Exception:
            log.warning("alerts: the first read failed; the first tick reads again", exc_info=True)
            return
        self._items = items
        self._early = self.book.update(items, self.app.clock.now())

    def start(self) -> None:
        """Begin ticking (called once the app is mounted); no offsets, nothing to do."""
        if self._started or not self.book.offsets:
            return
        self._started = True
        app = self.app
        app.set_interval(1.0, self._tick, name="alerts")
        app.screen_change_signal.subscribe(app, self._screen_changed)
        app.watch(app, "privacy", self._privacy_changed, init=False)
        early, self._early = self._early, []
        if early:  # due at start and already on screen: said to the log and the terminal now
            self._announce(early, self.app.clock.now())
            self.render()

    # --- timing and reading ------------------------------------------------------------------

    def _tick(self) -> None:
        self._ticks += 1
        if self._ticks % self.RELOAD_SECONDS == 1:
            self.check()
        else:
            self.evaluate()

    def check(self) -> None:
        """Read the user's occurrences again (in a worker), then fire what is due.

        One read at a time; asked during one, another follows it (never a cancelled worker:
        whoever waits for the app's workers would see it fail).
        """
        if not self._started:
            return
        if self._reading:
            self._again = True
            return
        self._reading = True
        self.app.run_worker(
            self._read,
            thread=True,
            group="alerts",
            exit_on_error=False,
            description="Read your next sessions for alerts",
        )

    def _read(self) -> None:
        try:
            items = self._read_items()
        except BaseException:
            self._reading = False  # the App's worker handler reports it; the next tick retries
            raise
        with contextlib.suppress(RuntimeError):  # the app closed while this read ran
            self.app.call_from_thread(self._loaded, items)

    def _read_items(self) -> list[AgendaItem]:
        app = self.app
        now = app.clock.now()
        actor = app.fast.actor if app.fast is not None else app.ctx.actor
        items: list[AgendaItem] = []
        if actor is not None and actor.id is not None:
            from sessions_tui.services.alerts import read_upcoming

            # The margin covers the ticks until the next read, so an offset reached between
            # two reads still fires on time from what was read.
            end = now + self.book.horizon + timedelta(seconds=self.RELOAD_SECONDS + 60)
            items = read_upcoming(app.reader, now, end, app.tz, practitioner_ids=[actor.id])
        return items

    def _loaded(self, items: list[AgendaItem]) -> None:
        self._reading = False
        self._items = items
        self.evaluate()
        if self._again:
            self._again = False
            self.check()

    def evaluate(self) -> None:
        """Compare the clock with what was read: fire, withdraw, redraw."""
        now = self.app.clock.now()
        self._announce(self.book.update(self._items, now), now)
        self.render()

    def _announce(self, fired: list[Alert], now: datetime) -> None:
        for alert in fired:
            self.fired.append(alert)
            log.info("alert fired: event %s, %s minutes before", alert.item.id, alert.offset)
            if self.escape != "off":
                body = alert_text(alert, self.app.tz, now, privacy=self.app.privacy)
                tmux = bool(os.environ.get("TMUX"))
                self.write_terminal(escape_sequence(self.escape, "sessions-tui", body, tmux=tmux))

    def _write_to_driver(self, text: str) -> None:
        # Textual has no public call for a raw escape; its own copy_to_clipboard (OSC 52) and
        # bell write to the driver the same way, which queues it between frames.
        driver = getattr(self.app, "_driver", None)
        if driver is not None:
            driver.write(text)

    # --- drawing -----------------------------------------------------------------------------

    def lines(self) -> list[str]:
        """What the banner says: one line per shown alert, at most :data:`MAX_LINES` (the
        last then counts the alerts not shown: "+N more"), the dismiss key on the last."""
        now = self.app.clock.now()
        privacy = self.app.privacy
        shown = list(self.book.shown.values())
        lines = [
            "Alert: " + alert_text(a, self.app.tz, now, privacy=privacy) for a in shown[:MAX_LINES]
        ]
        if len(shown) > MAX_LINES:
            lines[-1] += f" · +{len(shown) - MAX_LINES} more"
        if lines:
            lines[-1] += f" ({self.dismiss_key} dismisses)"
        return lines

    def render(self) -> None:
        """Every banner on the screen stack says :meth:`lines`; the current screen gets one."""
        lines = self.lines()
        app = self.app
        for screen in app.screen_stack:
            for banner in screen.query_children(AlertBanner):
                banner.show_lines(lines)
        if lines:
            self._ensure_banner(app.screen, lines)

    def _ensure_banner(self, screen: Screen[Any], lines: list[str]) -> None:
        if screen.query_children(AlertBanner):
            return
        if not screen.is_mounted:  # just pushed: mount once it is composed
            self.app.set_timer(0.05, self.render)
            return
        screen.mount(AlertBanner(lines))

    def _screen_changed(self, screen: Screen[Any]) -> None:
        if self.book.shown:
            self.render()

    def _privacy_changed(self) -> None:
        self.render()

    def dismiss(self) -> None:
        """Take the shown alerts off every screen (they do not come back for this offset)."""
        self.book.dismiss()
        self.render()
