"""The reminder worker: queues the due client reminders, then sends the outbox.

One pass (:func:`run_once`) is :func:`sessions_tui.services.reminders.queue_due` (each
reminder claimed once in the sent-log, with its message, in one transaction) followed by the
mail worker's :func:`sessions_tui.sync.mailer.send_due` (each message claimed by
compare-and-set just before it goes, retried with backoff, reminders at most once across a
crash). Any number of
workers may run at once, on one machine or several sharing a PostgreSQL: they never send a
reminder twice. ``sessions-tui reminders run`` runs it in the foreground (``--once`` for one
pass, e.g. from cron); ``sessions-tui web serve`` runs it in a thread.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from sessions_tui.clock import Clock
from sessions_tui.config import SmtpSettings
from sessions_tui.services import reminders
from sessions_tui.store.db import Database
from sessions_tui.sync import mailer

log = logging.getLogger("sessions_tui.reminders")

INTERVAL = 60.0
"""Seconds between passes: reminders are due at whole hours before a session; a minute late
is on time."""


@dataclass(frozen=True)
class RunReport:
    """One pass: reminders queued, dropped (their session changed), lost to another worker,
    and messages sent and failed (every outbox kind)."""

    queued: int
    dropped: int
    lost: int
    sent: int
    failed: int


def run_once(
    db: Database,
    clock: Clock,
    smtp: SmtpSettings | None,
    connect: mailer.Connect = mailer.SmtpConnection,
    *,
    local_links: bool = True,
) -> RunReport:
    """Queue the due reminders; send the outbox when SMTP is set up (else they wait).

    ``local_links=False`` (the services ``web serve`` and ``reminders run``): while the link
    base is a loopback address (:func:`reminders.local_links`) no reminder is queued; the
    outbox's other messages still go.
    """
    if local_links or reminders.local_links(reminders.read_settings(db)) is None:
        plan = reminders.queue_due(db, clock)
    else:
        plan = reminders.PassReport()
    sent = failed = 0
    if smtp is not None:
        sent, failed = mailer.send_due(db, clock, smtp, connect)
    return RunReport(plan.queued, plan.dropped, plan.lost, sent, failed)


class ReminderWorker:
    """A daemon thread running :func:`run_once` every ``interval`` seconds until stopped."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        smtp: SmtpSettings | None,
        interval: float = INTERVAL,
        *,
        local_links: bool = True,
    ) -> None:
        self.db, self.clock, self.smtp, self.interval = db, clock, smtp, interval
        self.local_links = local_links
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reminder-worker", daemon=True)

    def start(self) -> ReminderWorker:
        """Start the worker's thread; returns the worker."""
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                run_once(self.db, self.clock, self.smtp, local_links=self.local_links)
            except Exception:
                log.exception("reminder pass failed")
            self._stop.wait(self.interval)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to stop and wait up to ``timeout`` seconds for it."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
