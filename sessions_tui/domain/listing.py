"""What a read found, and the stored events it had to leave out.

A row written before today's rules (an older database, or a rule edited by hand to
``FREQ=DAILY;INTERVAL=0``) must not stop the calendar for everyone:
readers skip it and say so. :class:`Listing` is the list they return; its ``skipped`` names each
event left out, so the agenda can print a warning line, the calendar can show a notice, and the
rest is shown as usual. It is a ``list``, so callers that only want the items need not change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class SkippedEvent:
    """A stored event a read left out, and why.

    Attributes:
        event_id: The event's id (what ``sessions-tui events delete`` takes).
        problem: The rule it breaks, one line (no client names: it is logged).
    """

    event_id: int | None
    problem: str

    def warning(self) -> str:
        """One line for a person: what was skipped, why, and how to remove it."""
        return (
            f"warning: event {self.event_id} skipped: {self.problem} "
            f"(remove it with: sessions-tui events delete {self.event_id})"
        )


class Listing(list[T]):
    """A list of what a read found; ``skipped`` holds the stored events it left out."""

    skipped: tuple[SkippedEvent, ...]

    def __init__(self, items: Iterable[T] = (), skipped: Iterable[SkippedEvent] = ()) -> None:
        super().__init__(items)
        self.skipped = tuple(skipped)


def skipped_of(found: Any) -> tuple[SkippedEvent, ...]:
    """The skipped events of ``found`` (none when it is a plain list)."""
    return tuple(getattr(found, "skipped", ()))


def carry(items: Iterable[T], *sources: Any) -> Listing[T]:
    """``items`` as a :class:`Listing` keeping the skipped events of ``sources``."""
    seen: dict[int | None, SkippedEvent] = {}
    for source in sources:
        for s in skipped_of(source):
            seen.setdefault(s.event_id, s)
    return Listing(items, seen.values())
