"""Reading the audit log (it is written by database triggers and cannot be changed)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import col

from sessions_tui.services.context import Context
from sessions_tui.store.tables import AuditRow

_SKIP = {
    "version",
    "sequence",
    "updated_at",
    "created_at",
    "span_s",
    "is_series",
    "series_end_utc",
    "uid",
    "recurrence_key",
}
_LABELS = {"start_utc": "start (UTC)", "end_utc": "end (UTC)"}


@dataclass(frozen=True)
class AuditEntry:
    """One recorded change: who, when, what, and the fields before and after."""

    at: str
    actor: str | None
    entity: str
    entity_id: int | None
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @property
    def changes(self) -> dict[str, tuple[Any, Any]]:
        """Fields whose values differ (all fields of an insert or delete)."""
        before, after = self.before or {}, self.after or {}
        keys = (set(before) | set(after)) - _SKIP
        return {
            _LABELS.get(k, k): (before.get(k), after.get(k))
            for k in sorted(keys)
            if before.get(k) != after.get(k)
        }

    @property
    def occurrence(self) -> str | None:
        """For an override or deleted occurrence: the original start it stands for."""
        row = self.after or self.before or {}
        key = row.get("recurrence_key")
        return str(key) if key else None

    def summary(self) -> str:
        """One line for the history: when (UTC), who, and what changed (fields ``old → new``)."""
        who = self.actor or "(setup)"
        if self.occurrence:
            who = f"{who} [occurrence {self.occurrence}]"
        if self.entity == "exdate":
            verb = "deleted" if self.action == "insert" else "restored"
            return f"{self.at[:16].replace('T', ' ')} UTC  {who} {verb} one occurrence"
        if self.action == "insert":
            return f"{self.at[:16].replace('T', ' ')} UTC  {who} created it"
        if self.action == "delete":
            return f"{self.at[:16].replace('T', ' ')} UTC  {who} deleted it"
        parts = [f"{k}: {_short(a)} → {_short(b)}" for k, (a, b) in self.changes.items()]
        return f"{self.at[:16].replace('T', ' ')} UTC  {who} changed " + (
            "; ".join(parts) or "nothing visible"
        )


def _short(value: Any) -> str:
    text = "—" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        at=row.at,
        actor=row.actor,
        entity=row.entity,
        entity_id=row.entity_id,
        action=row.action,
        before=json.loads(row.before) if row.before else None,
        after=json.loads(row.after) if row.after else None,
    )


def event_history(ctx: Context, event_id: int) -> list[AuditEntry]:
    """Changes to an event and to its overrides and deleted occurrences, oldest first."""
    ctx.require_actor()
    with ctx.db.read() as s:
        rows = (
            s.execute(
                select(AuditRow)
                .where(AuditRow.entity == "event", AuditRow.entity_id == event_id)
                .order_by(AuditRow.id)  # type: ignore[arg-type]
            )
            .scalars()
            .all()
        )
        children = (
            s.execute(
                select(AuditRow)
                .where(
                    col(AuditRow.entity).in_(["event", "exdate"]),
                    or_(
                        col(AuditRow.after).like(f'%"series_id":{event_id},%'),
                        col(AuditRow.before).like(f'%"series_id":{event_id},%'),
                    ),
                )
                .order_by(AuditRow.id)  # type: ignore[arg-type]
            )
            .scalars()
            .all()
        )
    merged = {r.id: r for r in [*rows, *children]}
    return [_entry(merged[k]) for k in sorted(merged)]  # type: ignore[type-var]


def recent(ctx: Context, limit: int = 100) -> list[AuditEntry]:
    """The latest changes across the practice, newest first."""
    ctx.require_actor()
    with ctx.db.read() as s:
        rows = s.execute(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)).scalars()  # type: ignore[union-attr]
        return [_entry(r) for r in rows]
