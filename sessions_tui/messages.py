"""App-wide messages: they cross screens, so they live here rather than on a widget."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, cast

from textual.message import Message
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from textual.message_pump import MessagePump

    from sessions_tui.services.scheduling import AgendaItem


class WindowLoaded(Message):
    """A worker finished loading the events of one window (posted from its thread).

    Attributes:
        key: Which window (dates, zone and filter), as the calendar screen made it.
        items: The events, sorted by start.
        prefetch: True when loaded ahead of need (next/previous period), cache only.
    """

    def __init__(
        self, key: Hashable, items: Sequence[AgendaItem], *, prefetch: bool = False
    ) -> None:
        super().__init__()
        self.key = key
        self.items = items
        self.prefetch = prefetch


class CreateRequested(Message):
    """Someone asked to create an event starting at ``start`` (aware, display zone).

    The calendar screen answers (``EventActions.open_create``): which kind, then the form.
    ``practitioner_id`` (the team view's column) prefills the form's practitioner.
    """

    def __init__(self, start: datetime, practitioner_id: int | None = None) -> None:
        super().__init__()
        self.start = start
        self.practitioner_id = practitioner_id


class HoursChanged(Message):
    """Office hours or booking availability were saved (posted to the screen on top).

    The calendar reloads its shading when it gets this (and on resume), so a change made on
    the office hours screen shows as soon as the save lands.

    Attributes:
        kind: ``"office"`` or ``"availability"`` (see :mod:`sessions_tui.services.hours`).
    """

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind


class DataChanged(Message):
    """Someone (this client or another one sharing the database) changed the practice's data;
    the visible window is reloaded."""


class SyncStarted(Message):
    """The sync worker began a run; ``label`` names the providers (``Google``, ``CalDAV``)."""

    def __init__(self, label: str = "Google") -> None:
        super().__init__()
        self.label = label


class SyncProgressed(Message):
    """A throttled progress report of a running Google sync (a few per second at most)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class SyncFinished(Message):
    """The Google sync worker finished a run; ``outcome`` is a ``sync.worker.SyncOutcome``."""

    def __init__(self, outcome: object) -> None:
        super().__init__()
        self.outcome = outcome


class WorkerFailed(Message):
    """A worker started by a screen or widget raised (posted to the App).

    Textual posts ``Worker.StateChanged`` to the node that started the worker and does not
    bubble it, so the App never sees a screen's failed worker; :class:`ReportsWorkerFailures`
    forwards it as this message to the App's one handler (logged, one line, state reset).
    """

    def __init__(self, worker: Worker[object]) -> None:
        super().__init__()
        self.worker = worker


class ReportsWorkerFailures:
    """Mixed into every screen (and widget) that starts workers: a worker that raises is sent
    to the App as :class:`WorkerFailed`. A test checks that every class starting a worker has
    it. The class's own ``Worker.StateChanged`` handlers still run (for its own state)."""

    def _on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            node = cast("MessagePump", self)
            node.app.post_message(WorkerFailed(event.worker))
