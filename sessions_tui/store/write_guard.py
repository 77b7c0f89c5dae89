"""The one writer, enforced where writes happen: nothing writes ``event`` or ``exdate`` rows
outside :class:`~sessions_tui.services.writer.Writer` (and its bulk path).

A source scan can only recognise the shapes it was told about; this guard sits where every
shape ends up. Two SQLAlchemy hooks, installed for every engine and session of the process:

- ``before_cursor_execute``: a statement that inserts into, updates, replaces or deletes from
  ``event``/``exdate`` (whatever built it: the ORM, Core, ``bulk_*_mappings``, f-string SQL,
  ``INSERT OR REPLACE``, the driver's ``executemany``) is refused unless the writer is at work;
- ``before_flush``: an event or exdate row object added, changed or deleted in a session outside
  the writer (a status set on a loaded row, ``setattr``, ``session.merge``) is refused when the
  session flushes, with the row named, before any SQL is sent.

The writer marks its work with :func:`writing` (the :func:`writer_method` decorator: the mark,
then a flush, so nothing it changed is left pending for a flush outside it) and refuses to start
while the session holds such a change made by someone else (:func:`check_clean`), so a change
cannot slip through inside a writer call either. Migrations build the schema under the same
mark. The cost is a dictionary lookup per distinct statement and a look at the session's
pending sets per flush (measured in docs/PERFORMANCE.md): the guard is always on.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar, cast

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

GUARDED_TABLES = ("event", "exdate")

_DEPTH: ContextVar[int] = ContextVar("sessions_tui_writer_depth", default=0)

_WRITE_SQL = re.compile(
    r"\b(?:insert(?:\s+or\s+\w+)?\s+into|replace\s+into|update(?:\s+or\s+\w+)?|delete\s+from)"
    r"\s+(?:\"?\w+\"?\.)?\"?(event|exdate)\"?(?![\w\"])",
    re.IGNORECASE,
)


class WriteOutsideWriter(RuntimeError):
    """A program error: code other than the writer tried to write schedule rows."""


@contextmanager
def writing() -> Iterator[None]:
    """Mark the writer (or a migration) at work in this thread/task for the block."""
    token = _DEPTH.set(_DEPTH.get() + 1)
    try:
        yield
    finally:
        _DEPTH.reset(token)


def in_writer() -> bool:
    """Whether the writer (or a migration) is at work here."""
    return _DEPTH.get() > 0


@functools.lru_cache(maxsize=2048)
def written_table(statement: str) -> str | None:
    """The guarded table ``statement`` writes, or ``None``."""
    found = _WRITE_SQL.search(statement)
    return found.group(1).lower() if found else None


def _guarded_rows(s: Session) -> list[Any]:
    """Event and exdate row objects with a change pending in ``s``."""
    rows = [o for o in s.new if _is_guarded(o)]
    rows += [o for o in s.deleted if _is_guarded(o)]
    rows += [o for o in s.dirty if _is_guarded(o) and s.is_modified(o)]
    return rows


def _is_guarded(obj: Any) -> bool:
    return getattr(type(obj), "__tablename__", None) in GUARDED_TABLES


def _describe(obj: Any) -> str:
    return f"{type(obj).__tablename__} row {getattr(obj, 'id', None)}"


def check_clean(s: Session) -> None:
    """Refuse when ``s`` holds event/exdate changes the writer did not make."""
    if in_writer():
        return
    rows = _guarded_rows(s)
    if rows:
        raise WriteOutsideWriter(
            f"{_describe(rows[0])} was changed outside the writer "
            "(services/writer.py is the one module that writes the schedule)"
        )


_F = TypeVar("_F", bound=Callable[..., Any])


def writer_method(method: _F) -> _F:
    """A writer method: refuses foreign pending changes, marks its work, flushes at the end.

    ``self.s`` is the session the writer is bound to."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        outermost = not in_writer()
        if outermost:
            check_clean(self.s)
        with writing():
            result = method(self, *args, **kwargs)
            if outermost:
                self.s.flush()
        return result

    return cast(_F, wrapper)


def _before_cursor_execute(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    if in_writer():
        return
    table = written_table(statement)
    if table is not None:
        raise WriteOutsideWriter(
            f"a statement writes {table} outside the writer "
            f"(services/writer.py is the one module that writes the schedule): {statement[:80]}"
        )


def _before_flush(s: Session, _context: Any, _instances: Any) -> None:
    check_clean(s)


def install() -> None:
    """Install the hooks (once per process; later calls do nothing)."""
    if not event.contains(Engine, "before_cursor_execute", _before_cursor_execute):
        event.listen(Engine, "before_cursor_execute", _before_cursor_execute)
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
