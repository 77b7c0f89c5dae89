"""Typeahead: every key typed ahead reaches the screen it was meant for, and a burst of keys
that only move a cursor costs about one frame.

Textual reads keys into the App's queue and forwards each to the focused widget of the screen on
top *when it is read*; the key then bubbles up, widget by widget, to the App, which runs its
binding. What a key does (open a dialog, close one, push a form from a dialog's callback, move
the focus to another view) happens later. So keys that arrive together — what an SSH connection
delivers when a person types ahead — were forwarded before the screen they were meant for was
there: after ``c`` ``enter`` the letters of a client's name reached the calendar, where single
letters act on the event under the cursor (issue 14, found by a newcomer).

:class:`KeyOrder` sorts keys in two (issue 24):

* **Straight keys** change neither the screen nor the focus: a binding the bound widget or
  screen lists in ``TYPEAHEAD_FREE`` (the calendar's cursor, period and today keys), one of
  :data:`FREE_ACTIONS` (cursor moves inside Textual's own lists and fields), or a character typed
  into a text field. They are forwarded at once, as Textual would: a burst of 20 arrows is handled
  in one go and drawn in about one frame.
* **Every other key** (and every key typed after one before what it started has settled) is
  held: it is forwarded once the keys before it have been handled and what they started has
  settled (:meth:`KeyOrder._settle`): each pump the key passed through, from the focused widget
  up to the App, has handled it; then, round after round, the screen on top, its focused widget
  and their ancestors have handled what was queued, and one frame has run the callbacks queued
  for after it (``call_after_refresh``), until the screen stack and the focus stay the same.
  There is no clock in this: a loaded machine only waits longer; a pump that closes meanwhile (a
  screen popped) ends its wait. (The rounds are bounded, and so is each wait, by
  :data:`SETTLE_LIMIT`, against a pump that never answers.)

Why the old order went wrong under load (issue 24: a 15-key mixed burst ended in the wrong view
in 4 of 18 runs): it waited for the key's target, the screen and the App, each for at most half
a second, but not for the widgets in between (a key from the time grid bubbles through the view
switcher before the screen and the App), and it gave up waiting after 0.5 s: on a loaded
machine the next key was forwarded before the App had run the binding of the one before, to
the view that was still focused. :attr:`KeyOrder.key_log` records, for the last keys, what each
one was forwarded to and whether it went straight.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import TYPE_CHECKING, Any, NamedTuple

from textual import events
from textual.actions import parse
from textual.message import Message
from textual.widgets import Input, TextArea

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode
    from textual.message_pump import MessagePump

log = logging.getLogger("sessions_tui.app")

SETTLE_LIMIT = 5.0
"""Seconds a held key waits, at most, for one pump to handle what was queued before it (or to
close): only a pump that never answers takes that long (a loaded machine takes longer than a
frame, not this)."""

SETTLE_ROUNDS = 8
"""Rounds of :meth:`KeyOrder._settle` at most (a key may close one screen, a callback open the
next, its mount move the focus: each is a round)."""

FREE_ACTIONS = frozenset(
    {
        "cursor_up",
        "cursor_down",
        "cursor_left",
        "cursor_right",
        "cursor_page_up",
        "cursor_page_down",
        "page_up",
        "page_down",
        "scroll_up",
        "scroll_down",
        "scroll_left",
        "scroll_right",
        "scroll_home",
        "scroll_end",
        "first",
        "last",
        "home",
        "end",
    }
)
"""Actions of Textual's own widgets that move within the widget (a list's highlight, a field's
cursor, a scroll): they change neither the screen nor the focus (free where the method that
runs is Textual's own, not an override)."""

_HANDLERS = ("on_key", "_on_key")


class KeyNote(NamedTuple):
    """What one typed key was forwarded to (:attr:`KeyOrder.key_log`)."""

    key: str
    screen: str
    focused: str
    straight: bool
    """Forwarded at once (it changes neither screen nor focus), else held its turn."""


class HeldKey(Message):
    """A held key, handed back to the App's own queue to be dispatched as Textual would."""

    def __init__(self, key: events.Key, done: asyncio.Event) -> None:
        super().__init__()
        self.key = key
        self.done = done


class KeyOrder:
    """Mixin of the App: typed keys reach, in order, the screen the keys before them left on top
    (see the module docstring)."""

    _typed: deque[events.Key]
    _feeding: asyncio.Task[None] | None

    def _init_key_order(self) -> None:
        self._typed = deque()
        self._feeding = None
        self._key_target: MessagePump | None = None
        self.key_log: deque[KeyNote] = deque(maxlen=64)
        """The last keys typed: what each was forwarded to, and whether it went straight."""

    async def on_event(self, event: events.Event) -> None:
        """Forward a straight key at once; hold any other (and any key behind it) its turn."""
        app: Any = self
        if isinstance(event, events.Key) and not event.is_forwarded and app.is_running:
            if self._feeding is None and self._straight(event):
                self._note(event, straight=True)
                await super().on_event(event)  # type: ignore[misc]
                return
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

    def _note(self, key: events.Key, *, straight: bool) -> None:
        app: App[Any] = self  # type: ignore[assignment]
        focused = app.focused
        name = "-" if focused is None else focused.id or type(focused).__name__
        self.key_log.append(KeyNote(key.key, type(app.screen).__name__, name, straight))

    # --- which keys go straight --------------------------------------------------------------

    def _straight(self, key: events.Key) -> bool:
        """Whether ``key`` changes neither the screen nor the focus, as far as can be told
        before it is handled: unknown keys and handlers count as changing them."""
        app: App[Any] = self  # type: ignore[assignment]
        try:
            screen = app.screen
        except Exception:  # no screen yet (starting) or any more (closing)
            return False
        if not screen.is_mounted or not screen.is_current:
            return False  # a screen switch is under way
        focused = app.focused
        for _namespace, bindings in screen._binding_chain:  # the App's priority bindings first
            if any(b.priority for b in bindings.key_to_bindings.get(key.key, ())):
                return False
        # The key passes through the focused widget and its ancestors before the App runs a
        # binding: a handler of its own may do anything, except a text field's typing.
        node: DOMNode | None = focused or screen
        while node is not None and node is not app:
            typed = _handles(type(node), key.key)
            if typed == "text":
                return key.is_printable
            if typed:
                return False
            node = node.parent
        for namespace, bindings in screen._modal_binding_chain:
            for binding in bindings.key_to_bindings.get(key.key, ()):
                where, name, params = parse(binding.action)
                if where:
                    return False  # a binding naming another namespace ("app.…", "screen.…")
                if not _free(namespace, name):
                    return False
                return namespace.check_action(name, params) is True
        return False  # no binding: nothing known of it, so it waits its turn

    # --- the held keys -----------------------------------------------------------------------

    async def _feed(self) -> None:
        app: App[Any] = self  # type: ignore[assignment]
        try:
            while self._typed:
                key = self._typed.popleft()
                straight = self._straight(key)
                if not straight and not _ready(app):
                    await self._settle(None)
                    straight = self._straight(key)
                self._note(key, straight=straight)
                done = asyncio.Event()
                app.post_message(HeldKey(key, done))
                await done.wait()
                if not straight:  # keys typed meanwhile, even after it, wait for it
                    await self._settle(self._key_target)
        except Exception:  # never lose the keyboard: hand the rest over as Textual would
            log.exception("typeahead: dispatching held keys")
            while self._typed:
                app.post_message(HeldKey(self._typed.popleft(), asyncio.Event()))
        finally:
            self._feeding = None

    async def _settle(self, target: MessagePump | None) -> None:
        """Until the last key has been handled by every pump it passes through (its target up
        to the App), and what it started has settled: the screen stack and the focus are the
        same after a round in which the screen on top, the focused widget and their ancestors
        handled what was queued and a frame ran its ``call_after_refresh`` callbacks."""
        app: App[Any] = self  # type: ignore[assignment]
        path: list[MessagePump] = _path(target, app) if target is not None else []
        for _ in range(SETTLE_ROUNDS):
            for pump in path:  # in order: the key reaches each only after the one before
                await _drained(pump)
            before = (tuple(app.screen_stack), app.focused)
            top = app.screen
            for pump in (*_path(app.focused or top, app), top, app):
                await _drained(pump)
            await _frame(app)
            if (tuple(app.screen_stack), app.focused) == before and _ready(app):
                return
            path = []


def _path(node: MessagePump, app: App[Any]) -> list[MessagePump]:
    """``node`` and each of its ancestors, the App last (the way a key bubbles)."""
    found: list[MessagePump] = []
    current: Any = node
    while current is not None:
        found.append(current)
        if current is app:
            break
        current = current._parent
    if not found or found[-1] is not app:
        found.append(app)
    return found


def _ready(app: App[Any]) -> bool:
    """The screen on top is mounted and current (no screen switch under way)."""
    try:
        screen = app.screen
    except Exception:
        return True  # nothing to wait for
    return screen.is_mounted and screen.is_current


def _handles(cls: type, key: str) -> str | bool:
    """Whether a widget class handles keys itself before any binding runs: ``"text"`` for a text
    field (it takes printable keys, nothing else), True for a handler of its own (which may do
    anything), False for none (Textual's own ``Widget``/``Screen`` only dispatch ``key_``
    methods)."""
    found = _HANDLES_CACHE.get((cls, key))
    if found is None:
        found = _HANDLES_CACHE[(cls, key)] = _find_handler(cls, key)
    return found


_HANDLES_CACHE: dict[tuple[type, str], str | bool] = {}


def _find_handler(cls: type, key: str) -> str | bool:
    from textual.screen import Screen
    from textual.widget import Widget

    if issubclass(cls, (Input, TextArea)):
        return "text"
    method = f"key_{key}"
    for klass in cls.__mro__:
        if klass in (Widget, Screen):
            continue  # Textual's own dispatch: only ``key_`` methods, looked for below
        names = vars(klass)
        if method in names or any(h in names for h in _HANDLERS):
            return True
    return False


def _free(namespace: DOMNode, action: str) -> bool:
    """Whether ``action`` of ``namespace`` changes neither the screen nor the focus."""
    own = getattr(namespace, "TYPEAHEAD_FREE", None)
    if own is not None and action in own:
        return True
    method = getattr(type(namespace), f"action_{action}", None)
    return action in FREE_ACTIONS and getattr(method, "__module__", "").startswith("textual.")


async def _drained(pump: MessagePump) -> None:
    """Once ``pump`` has handled the messages queued before this call, or has closed (a
    screen that was popped drops what is queued: waiting for it hung a held key)."""
    if not pump.is_running or pump._closing or pump._closed:
        return
    done = asyncio.Event()
    if pump.call_later(done.set):
        await _done_or_closed(done, pump)


async def _frame(app: App[Any]) -> None:
    """Once the screen on top has refreshed (its ``call_after_refresh`` callbacks ran), or
    closed."""
    try:
        screen = app.screen
    except Exception:  # no screen: the app is closing
        return
    if not screen.is_running or screen._closing or screen._closed:
        return
    done = asyncio.Event()
    if screen.call_after_refresh(done.set):
        await _done_or_closed(done, screen)


async def _done_or_closed(done: asyncio.Event, pump: MessagePump) -> None:
    """Until ``done`` is set or ``pump`` has stopped (bounded by :data:`SETTLE_LIMIT`)."""
    waiter = asyncio.ensure_future(done.wait())
    ends: set[asyncio.Future[Any]] = {waiter}
    if pump._task is not None:
        ends.add(pump._task)
    try:
        await asyncio.wait(ends, timeout=SETTLE_LIMIT, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
