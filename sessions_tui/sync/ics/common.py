"""What the ICS export and import share: the PRODID, the uid namespace, the error, the tables."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement

from sessions_tui.about import prodid
from sessions_tui.domain.errors import ValidationError
from sessions_tui.domain.subscriptions import SOURCE_PREFIX
from sessions_tui.store.tables import (
    ClientRow,
    EventRow,
    ExdateRow,
    LocationRow,
)

PRODID = prodid()  # names the installed version (sessions_tui.about)
_IMPORT_SUFFIX = re.compile(r"#p(\d+)$")
# Core tables: typed as Any, because SQLModel's class attributes confuse mypy in SQL expressions.
_EV: Any = EventRow.__table__  # type: ignore[attr-defined]
_EX: Any = ExdateRow.__table__  # type: ignore[attr-defined]
_CL: Any = ClientRow.__table__  # type: ignore[attr-defined]
_LOC: Any = LocationRow.__table__  # type: ignore[attr-defined]


class IcsError(ValidationError):
    """A malformed .ics file or event; the message names the file, line and UID."""


def export_uid(stored_uid: str, practitioner_id: int | None) -> str:
    """The UID to publish for a stored uid: imported events lose their ``#p<id>`` namespace."""
    match = _IMPORT_SUFFIX.search(stored_uid)
    if match and practitioner_id is not None and int(match.group(1)) == practitioner_id:
        return stored_uid[: match.start()]
    return stored_uid


def import_uid(source_uid: str, practitioner_id: int) -> str:
    """The stored uid of an imported event (see :func:`export_uid`)."""
    return f"{source_uid}#p{practitioner_id}"


def _scope(practitioner_id: int | None, table: Any = None) -> ColumnElement[bool]:
    cols = (table if table is not None else _EV).c
    # Subscribed calendars are read-only copies of other people's: never republished.
    ours = or_(cols.source_calendar.is_(None), ~cols.source_calendar.startswith(SOURCE_PREFIX))
    if practitioner_id is None:
        return ours
    return and_(ours, or_(cols.practitioner_id == practitioner_id, cols.practitioner_id.is_(None)))
