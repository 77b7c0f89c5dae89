"""Typeahead across screens: each key reaches the screen its earlier keys left on top.

Textual reads keys into the App's queue and forwards each to the focused widget of the screen on
top *when it is read*. What a key does (open a dialog, close one, push a form from a dialog's
callback) happens later, in the widgets' own queues. So keys that arrive together — what an SSH
connection delivers when a person types ahead — were forwarded before the screen they were
meant for was there: after ``c`` ``enter`` the letters of a client's name reached the calendar,
where single letters act on the event under the cursor (issue 14, found by a newcomer).

:class:`KeyOrder` keeps keys in order and hands the next one over only once the previous one
has been handled: its target, the screen on top (maybe a new one) and the App have each handled
what was queued before (``call_later`` runs after it). A key typed on its own is handed over at
once. Each wait is bounded, so a pump that is closing delays the next key by at most
``SETTLE_LIMIT``.

Rendering still coalesces: while keys are waiting their turn, repaints are held (Textual's
``batch_update``) and let through at most every ``FRAME_EVERY`` seconds and when the last
waiting key has been handled. Without that, the screen's update timer drew a frame between
every two keys of a burst (20 ``Down`` drew 12 to 26 frames instead of 2, and took twice as
long to reach the last one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from textual import events
from textual.message import Message

if TYPE_CHECKING:
    from textual.app import App
    from textual.message_pump import MessagePump

log = logging.getLogger("sessions_tui.app")

SETTLE_LIMIT = 0.5
"""Seconds the next key waits, at most, for one pump to handle what was queued before it."""

FRAME_EVERY = 0.05
"""Seconds between the frames drawn while a burst of keys is being handled (20 a second)."""


class HeldKey(Message):
    """A held key, handed back to the App's own queue to be dispatched as Textual would."""

    def __init__(self, key: events.Key, done: asyncio.Event) -> None:
        super().__init__()
        self.key = key
        self.done = done


class KeyOrder:
    """Mixin of the App: typed keys are dispatched one at a time, in order, each to the
    screen the keys before it left on top (see the module docstring)."""

    _typed: deque[events.Key]
    _feeding: asyncio.Task[None] | None

    def _init_key_order(self) -> None:
        self._typed = deque()
        self._feeding = None
        self._key_target: MessagePump | None = None

    async def on_event(self, event: events.Event) -> None:
        """Hold a typed key while an earlier one is still being handled; else as Textual."""
        app: Any = self
        if isinstance(event, events.Key) and not event.is_forwarded and app.is_running:
            self._typed.append(event)
            if self._feeding is None:
                self._feeding = asyncio.create_task(self._feed())
            return
        await super().on_event(event)  # type: ignore[misc]

    async def on_held_key(self, message: HeldKey) -> None:
        """Dispatch a held key in the App's own task, as Textual dispatches a typed one."""
        app: App[Any] = self  # type: ignore[assignment]
        try:
            self._key_target = app.focused or app.screen
            await super().on_event(message.key)  # type: ignore[misc]
        finally:
            message.done.set()

    async def _feed(self) -> None:
        app: App[Any] = self  # type: ignore[assignment]
        held_since: float | None = None  # repaints held (a burst is waiting) since then
        try:
            while self._typed:
                key = self._typed.popleft()
                if held_since is None and self._typed:  # a burst: more keys wait their turn
                    app._begin_batch()  # batch_update's own halves: the hold spans awaits
                    held_since = time.monotonic()
                done = asyncio.Event()
                app.post_message(HeldKey(key, done))
                await done.wait()
                if self._typed:
                    await self._settle()
                if held_since is not None and (
                    not self._typed or time.monotonic() - held_since >= FRAME_EVERY
                ):
                    held_since = None
                    self._let_frames_through()
                    if self._typed:  # mid-burst: let that frame be drawn before holding again
                        with contextlib.suppress(Exception):
                            await asyncio.wait_for(app.screen.wait_for_refresh(), FRAME_EVERY)
        except Exception:  # never lose the keyboard: hand the rest over as Textual would
            log.exception("typeahead: dispatching held keys")
            while self._typed:
                app.post_message(HeldKey(self._typed.popleft(), asyncio.Event()))
        finally:
            if held_since is not None:
                self._let_frames_through()
            self._feeding = None

    def _let_frames_through(self) -> None:
        """End the held repaints and prompt the screen on top to draw what changed."""
        app: App[Any] = self  # type: ignore[assignment]
        app._end_batch()
        with contextlib.suppress(Exception):  # no screen (the app is closing): nothing to draw
            app.screen.check_idle()

    async def _settle(self) -> None:
        """Until the last key's target, the screen on top and the App have handled every
        message queued before now (what the key did), and the top screen is the same after."""
        app: App[Any] = self  # type: ignore[assignment]
        pumps: list[MessagePump | None] = [self._key_target]
        for _ in range(4):  # a key may close one screen and a callback open the next
            top = app.screen
            for pump in (*pumps, top, app, app.screen, app.focused):
                if pump is not None and pump.is_running:
                    await _drained(pump)
            if app.screen is top:
                return
            pumps = []


async def _drained(pump: MessagePump) -> None:
    """Once ``pump`` has handled the messages queued before this call (bounded)."""
    done = asyncio.Event()
    pump.call_later(done.set)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), SETTLE_LIMIT)
