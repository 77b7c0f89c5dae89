"""Office hours and booking availability: weekly rules per practitioner, practice default,
and date overrides."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sessions_tui.domain.errors import NotFoundError, ValidationError
from sessions_tui.domain.officehours import DateOverride, WeeklyHours, WeeklyInterval
from sessions_tui.services.context import Context
from sessions_tui.services.permissions import holds_role, require_edit_hours
from sessions_tui.store.tables import DateOverrideRow, HoursIntervalRow, HoursRow, StaffRow

OFFICE = "office"
AVAILABILITY = "availability"


def _hhmm(value: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"bad time {value!r} (expected HH:MM)") from None


def _load(s: Session, row: HoursRow) -> WeeklyHours:
    items = s.execute(select(HoursIntervalRow).where(HoursIntervalRow.hours_id == row.id)).scalars()
    return WeeklyHours(
        tzid=row.tzid,
        intervals=tuple(
            sorted(WeeklyInterval(i.weekday, _hhmm(i.start), _hhmm(i.end)) for i in items)
        ),
        practitioner_id=row.practitioner_id,
    )


def _find(s: Session, kind: str, practitioner_id: int | None) -> HoursRow | None:
    stmt = select(HoursRow).where(HoursRow.kind == kind)
    if practitioner_id is None:
        stmt = stmt.where(HoursRow.practitioner_id.is_(None))  # type: ignore[union-attr]
    else:
        stmt = stmt.where(HoursRow.practitioner_id == practitioner_id)
    return s.execute(stmt).scalar_one_or_none()


def _check_kind(kind: str) -> None:
    if kind not in (OFFICE, AVAILABILITY):
        raise ValidationError(f"unknown kind of hours {kind!r} (office or availability)")


def _require_practitioner(s: Session, practitioner_id: int) -> None:
    """Hours belong to practitioners: refuse an unknown id or someone with no calendar."""
    row = s.get(StaffRow, practitioner_id)
    if row is None or not holds_role(row.roles, "practitioner"):
        raise NotFoundError(f"no practitioner with id {practitioner_id}", field="practitioner")


def get_hours(
    ctx: Context, practitioner_id: int | None, *, kind: str = OFFICE, fallback: bool = True
) -> WeeklyHours | None:
    """A practitioner's own hours; with ``fallback``, the practice default when they have none."""
    # A read: on SQLite it does not take the write lock (booking pages read this per view).
    with ctx.db.read() as s:
        row = _find(s, kind, practitioner_id)
        if row is None and fallback and practitioner_id is not None:
            row = _find(s, kind, None)
        return _load(s, row) if row else None


def set_hours(ctx: Context, hours: WeeklyHours, *, kind: str = OFFICE) -> WeeklyHours:
    """Replace the weekly hours of a practitioner (or the default), in one transaction."""
    require_edit_hours(ctx.require_actor(), hours.practitioner_id)
    _check_kind(kind)
    with ctx.db.session() as s:
        if hours.practitioner_id is not None:
            _require_practitioner(s, hours.practitioner_id)
        row = _find(s, kind, hours.practitioner_id)
        if row is None:
            row = HoursRow(kind=kind, practitioner_id=hours.practitioner_id, tzid=hours.tzid)
            s.add(row)
            s.flush()
        row.tzid = hours.tzid
        s.execute(delete(HoursIntervalRow).where(HoursIntervalRow.hours_id == row.id))  # type: ignore[arg-type]
        for i in hours.intervals:
            assert row.id is not None
            s.add(
                HoursIntervalRow(
                    hours_id=row.id,
                    weekday=i.weekday,
                    start=i.start.strftime("%H:%M"),
                    end=i.end.strftime("%H:%M"),
                )
            )
    return hours


def get_overrides(
    ctx: Context, practitioner_id: int, *, kind: str = AVAILABILITY
) -> list[DateOverride]:
    """The date overrides of a practitioner's hours of ``kind``, by day (none without hours)."""
    with ctx.db.read() as s:
        row = _find(s, kind, practitioner_id)
        if row is None:
            return []
        out = []
        for o in s.execute(
            select(DateOverrideRow)
            .where(DateOverrideRow.hours_id == row.id)
            .order_by(DateOverrideRow.day)
        ).scalars():  # type: ignore[arg-type]
            spans = []
            for part in filter(None, o.spans.split(",")):
                a, _, b = part.partition("-")
                spans.append((_hhmm(a), _hhmm(b)))
            out.append(DateOverride(o.day, tuple(spans)))
        return out


def set_override(
    ctx: Context,
    practitioner_id: int,
    day: date,
    spans: tuple[tuple[time, time], ...],
    *,
    kind: str = AVAILABILITY,
) -> None:
    """Set the hours of one date (no spans = unavailable that day)."""
    require_edit_hours(ctx.require_actor(), practitioner_id)
    for a, b in spans:
        if b != time(0) and b <= a:
            raise ValidationError(f"{day}: {a:%H:%M}–{b:%H:%M}: end must be after start")
    with ctx.db.session() as s:
        row = _find(s, kind, practitioner_id)
        if row is None:
            raise ValidationError("set weekly availability before adding date overrides")
        existing = s.execute(
            select(DateOverrideRow).where(
                DateOverrideRow.hours_id == row.id, DateOverrideRow.day == day
            )
        ).scalar_one_or_none()
        text = ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in spans)
        if existing is None:
            assert row.id is not None
            s.add(DateOverrideRow(hours_id=row.id, day=day, spans=text))
        else:
            existing.spans = text


def clear_override(
    ctx: Context, practitioner_id: int, day: date, *, kind: str = AVAILABILITY
) -> bool:
    """Remove the override of one date, so the weekly hours apply again; False if none."""
    require_edit_hours(ctx.require_actor(), practitioner_id)
    with ctx.db.session() as s:
        row = _find(s, kind, practitioner_id)
        if row is None:
            return False
        existing = s.execute(
            select(DateOverrideRow).where(
                DateOverrideRow.hours_id == row.id, DateOverrideRow.day == day
            )
        ).scalar_one_or_none()
        if existing is None:
            return False
        s.delete(existing)
        return True
