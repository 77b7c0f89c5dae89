"""The hours screens' database work, one unit after another on one thread worker of the App.

Every change goes on a first-in, first-out queue drained by one thread worker run on the *App*
(not the screen), so a change made just before leaving the screen is still written, and writes
land in the order they were made. Loads go through the same queue, so switching back and forth
never reads hours older than the last change.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.app import App

from sessions_tui.domain.errors import SessionsError


@dataclass
class Op:
    """One unit of database work: ``run`` in the worker thread, ``done`` on the UI thread."""

    run: Callable[[], Any]
    done: Callable[[Any], None]
    saves: bool
    """A write: on success the screen shows "Saved ✓" and the calendar is told."""


class WorkQueue:
    """Runs each :class:`Op` in order; then ``succeeded(op, result)`` or ``failed(op, message)``
    on the UI thread (a failure is reported and the queue goes on)."""

    def __init__(
        self, succeeded: Callable[[Op, Any], None], failed: Callable[[Op, str], None]
    ) -> None:
        self._succeeded, self._failed = succeeded, failed
        self._queue: deque[Op] = deque()
        self._lock = threading.Lock()
        self._draining = False

    def put(self, app: App[Any], op: Op) -> None:
        """Queue ``op``; start the App's worker unless it is already draining the queue."""
        with self._lock:
            self._queue.append(op)
            if self._draining:
                return
            self._draining = True
        app.run_worker(
            lambda: self._drain(app),
            thread=True,
            group="hours-db",
            exit_on_error=False,
            description="Save and load hours",
        )

    def _drain(self, app: Any) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._draining = False
                    return
                op = self._queue.popleft()
            try:
                result = op.run()
            except SessionsError as exc:
                app.call_from_thread(self._failed, op, str(exc))
            except Exception as exc:  # report anything else too; the queue must go on
                app.call_from_thread(self._failed, op, f"Could not save or load: {exc}")
            else:
                app.call_from_thread(self._succeeded, op, result)
