"""Practice setup: staff and roles, clients, locations, settings, preferences."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from sessions_tui.domain import names
from sessions_tui.domain.bounded import MIB, read_bounded
from sessions_tui.domain.errors import NotFoundError, ValidationError
from sessions_tui.domain.model import (
    Client,
    Location,
    PracticeSettings,
    Role,
    Staff,
    parse_roles,
    validate_login,
    validate_name,
)
from sessions_tui.domain.profile import PracticeProfile, check_profile
from sessions_tui.domain.text import has_controls, safe_text
from sessions_tui.domain.timeutil import zone
from sessions_tui.services.context import Context
from sessions_tui.services.permissions import holds_role, require_admin, require_manager
from sessions_tui.store import pg_security
from sessions_tui.store.db import Database
from sessions_tui.store.queries import (
    client_from_row,
    location_from_row,
    settings_from_row,
    staff_from_row,
)
from sessions_tui.store.tables import ClientRow, LocationRow, PracticeRow, PreferenceRow, StaffRow

PALETTE = ("blue", "green", "magenta", "yellow", "cyan", "red", "bright_blue", "bright_green")
"""Practitioner colours, given in turn; each also gets a letter marker in the views."""


# --- settings -------------------------------------------------------------------------------


def _practice_row(s: Session) -> PracticeRow:
    row = s.get(PracticeRow, 1)
    if row is None:
        row = PracticeRow(id=1)
        s.add(row)
        s.flush()
    return row


def get_settings(ctx: Context) -> PracticeSettings:
    with ctx.db.session() as s:
        return settings_from_row(s.get(PracticeRow, 1))


def update_settings(ctx: Context, **changes: Any) -> PracticeSettings:
    """Admins only. ``display_tz`` must be an IANA zone (or ``None``)."""
    require_admin(ctx.require_actor(), "change practice settings")
    known = {f.name: f for f in fields(PracticeSettings)}
    for key, value in changes.items():
        if key not in known:
            raise ValidationError(
                f"unknown setting {key!r} (settings: {', '.join(known)})", field=key
            )
        if key == "name" and not isinstance(value, str):
            raise ValidationError("practice name must be text", field=key)
        if key == "display_tz" and value is not None and not isinstance(value, str):
            raise ValidationError("display zone must be an IANA name", field=key)
        if key not in ("name", "display_tz") and not isinstance(value, bool):
            raise ValidationError(f"setting {key!r} is on or off (true/false)", field=key)
    current = get_settings(ctx)
    new = replace(current, **changes)
    if new.display_tz:
        zone(new.display_tz)
    new = replace(new, name=_checked_name(new.name, "practice name"))
    with ctx.db.session() as s:
        row = _practice_row(s)
        row.name = new.name
        row.internal_ids = new.internal_ids
        row.allow_double_booking = new.allow_double_booking
        row.display_tz = new.display_tz
        row.week_starts_monday = new.week_starts_monday
    return new


# --- profile (issue 27) ----------------------------------------------------------------------

PROFILE_FIELDS = ("phone", "address", "note", "privacy_url")
"""The profile fields an admin sets (the name is the practice setting ``name``)."""


def profile_from_row(row: PracticeRow | None) -> PracticeProfile:
    """The public profile held on the practice row (empty without one)."""
    if row is None:
        return PracticeProfile()
    return PracticeProfile(
        name=row.name,
        phone=row.phone,
        address=row.address,
        note=row.note,
        privacy_url=row.privacy_url,
    )


def read_profile(s: Session) -> PracticeProfile:
    """The profile, in ``s``'s unit of work (for pages and emails, which have no actor)."""
    return profile_from_row(s.get(PracticeRow, 1))


def public_profile(db: Database) -> PracticeProfile:
    """The profile, for a client's page (a reminder's link), which has no actor."""
    with db.read() as s:
        return read_profile(s)


def get_profile(ctx: Context) -> PracticeProfile:
    """The practice's public profile."""
    with ctx.db.read() as s:
        return read_profile(s)


def update_profile(ctx: Context, **changes: str | None) -> PracticeProfile:
    """Admins only. Set any of ``phone``, ``address``, ``note``, ``privacy_url`` (``None`` or
    empty clears one); each is checked by :func:`sessions_tui.domain.profile.check_profile`."""
    require_admin(ctx.require_actor(), "change the practice profile")
    for key in changes:
        if key not in PROFILE_FIELDS:
            raise ValidationError(
                f"unknown profile field {key!r} (fields: {', '.join(PROFILE_FIELDS)})", field=key
            )
    current = get_profile(ctx)
    new = replace(current, **changes)
    phone, address, note, privacy_url = check_profile(
        new.phone, new.address, new.note, new.privacy_url
    )
    with ctx.db.session() as s:
        row = _practice_row(s)
        row.phone, row.address, row.note, row.privacy_url = phone, address, note, privacy_url
        return profile_from_row(row)


# --- staff ----------------------------------------------------------------------------------


def list_staff(ctx: Context) -> list[Staff]:
    with ctx.db.session() as s:
        rows = s.execute(select(StaffRow).order_by(StaffRow.name)).scalars().all()
        return [staff_from_row(r) for r in rows]


def practitioners(ctx: Context) -> list[Staff]:
    return [p for p in list_staff(ctx) if p.is_practitioner]


def add_staff(
    ctx: Context,
    login: str,
    name: str,
    roles: Iterable[Role],
    *,
    color: str | None = None,
    default_session_minutes: int = 50,
) -> Staff:
    """Add a member of staff. On an empty practice anyone may, and the first is an admin."""
    login = validate_login(login)
    name = _checked_name(name, "name")
    role_set = frozenset(roles)
    if not role_set:
        raise ValidationError("a member of staff needs at least one role", field="role")
    if not 5 <= default_session_minutes <= 24 * 60:
        raise ValidationError("default session length must be 5 to 1440 minutes")
    with ctx.db.session() as s:
        count = s.execute(select(func.count()).select_from(StaffRow)).scalar_one()
        if count:
            require_admin(ctx.require_actor(), "add staff")
        else:
            role_set = role_set | {Role.ADMIN}
        if s.execute(select(StaffRow).where(StaffRow.login == login)).first():
            raise ValidationError(f"login {login!r} is already taken", field="login")
        if color is None:
            color = PALETTE[count % len(PALETTE)]
        row = StaffRow(
            login=login,
            name=name,
            roles=",".join(sorted(r.value for r in role_set)),
            color=color,
            default_session_minutes=default_session_minutes,
        )
        s.add(row)
        s.flush()
        if ctx.db.dialect == "postgresql":
            # Each member of staff is a login role holding their practice roles' groups, in
            # the same transaction as the row (store.pg_security).
            pg_security.grant_login(s.connection(), login, {r.value for r in role_set})
        return staff_from_row(row)


_STAFF_FIELDS = frozenset({"name", "roles", "color", "default_session_minutes"})


def validate_color(value: str) -> str:
    """A practitioner colour: a name such as ``blue`` or ``bright_green``, or ``#rrggbb``."""
    from rich.color import Color, ColorParseError

    value = value.strip()
    try:
        Color.parse(value)
    except ColorParseError:
        raise ValidationError(
            f"bad colour {value!r} (use a name such as blue or bright_green, or #rrggbb)",
            field="color",
        ) from None
    return value


def update_staff(ctx: Context, staff_id: int, **changes: Any) -> Staff:
    """Admins change anyone (roles included); a member may change their own name and
    defaults, never their roles."""
    actor = ctx.require_actor()
    unknown = sorted(set(changes) - _STAFF_FIELDS)
    if unknown:
        raise ValidationError(
            f"cannot change {unknown[0]!r} of a member of staff "
            f"(fields: {', '.join(sorted(_STAFF_FIELDS))})",
            field=unknown[0],
        )
    with ctx.db.session() as s:
        row = s.get(StaffRow, staff_id)
        if row is None:
            raise NotFoundError(f"no member of staff with id {staff_id}")
        if "roles" in changes or staff_id != actor.id:
            require_admin(
                actor, "change staff roles" if "roles" in changes else "change other staff"
            )
        if "name" in changes:
            row.name = _checked_name(changes["name"], "name")
        if "roles" in changes:
            roles = parse_roles(",".join(str(r) for r in changes["roles"]))
            if Role.ADMIN not in roles and holds_role(row.roles, Role.ADMIN.value):
                admins = [
                    r for r in s.execute(select(StaffRow)).scalars() if holds_role(r.roles, "admin")
                ]
                if len(admins) <= 1:
                    raise ValidationError("the practice must keep at least one admin", field="role")
            row.roles = ",".join(sorted(r.value for r in roles))
            if ctx.db.dialect == "postgresql":
                pg_security.grant_login(s.connection(), row.login, {r.value for r in roles})
        if "color" in changes:
            row.color = validate_color(str(changes["color"]))
        if "default_session_minutes" in changes:
            minutes = int(changes["default_session_minutes"])
            if not 5 <= minutes <= 24 * 60:
                raise ValidationError("default session length must be 5 to 1440 minutes")
            row.default_session_minutes = minutes
        s.flush()
        return staff_from_row(row)


def find_practitioner(ctx: Context, name: str) -> Staff:
    """A practitioner by login or (case-insensitive) name; a clear error lists who exists
    (the rules: :func:`sessions_tui.domain.names.find_practitioner`)."""
    return names.find_practitioner(practitioners(ctx), name)


# --- clients --------------------------------------------------------------------------------


def list_clients(ctx: Context, search: str = "") -> list[Client]:
    """Clients sorted by last name; ``search`` matches name or internal ID."""
    with ctx.db.session() as s:
        stmt = select(ClientRow).order_by(ClientRow.last_name, ClientRow.first_name)
        if search.strip():
            like = f"%{search.strip()}%"
            stmt = stmt.where(
                (ClientRow.first_name.ilike(like))  # type: ignore[attr-defined]
                | (ClientRow.last_name.ilike(like))  # type: ignore[attr-defined]
                | (ClientRow.internal_id.ilike(like))  # type: ignore[union-attr]
                | ((col(ClientRow.first_name) + " " + col(ClientRow.last_name)).ilike(like))
            )
        return [client_from_row(r) for r in s.execute(stmt).scalars()]


def get_client(ctx: Context, client_id: int) -> Client:
    with ctx.db.session() as s:
        row = s.get(ClientRow, client_id)
        if row is None:
            raise NotFoundError(f"no client with id {client_id}")
        return client_from_row(row)


def _refuse_controls(value: str, what: str) -> None:
    """Refuse a name holding a control character, an escape sequence or a bidirectional
    override or isolate: NUL and ESC pass the csv module and would break every view, and an
    override makes two names look alike (issue 28). The message shows the name made visible."""
    if has_controls(value):
        raise ValidationError(
            f"{what} contains a control character (escape and bidi marks count):"
            f" {safe_text(value)!r}",
            field=what.replace(" ", "_").lower(),
        )


def _checked_name(value: str, what: str) -> str:
    """:func:`validate_name` (one line, not empty, bounded), then :func:`_refuse_controls`."""
    value = validate_name(value, what)
    _refuse_controls(value, what)
    return value


def _check_client(first: str, last: str, internal_id: str | None) -> tuple[str, str, str | None]:
    first = _checked_name(first, "first name")
    last = _checked_name(last, "last name")
    if internal_id:
        _refuse_controls(internal_id, "internal ID")
    iid = (internal_id or "").strip() or None
    if iid is not None and (len(iid) > 64 or any(c.isspace() for c in iid)):
        raise ValidationError(
            f"bad internal ID {iid!r}: no spaces, up to 64 characters", field="internal_id"
        )
    return first, last, iid


def add_client(
    ctx: Context,
    first: str,
    last: str,
    internal_id: str | None = None,
    *,
    email: str | None = None,
    preferred_name: str | None = None,
    reminders: bool | None = None,
) -> Client:
    """Add a client; with ``email``, ``preferred_name`` and the reminder consent (its date is
    now) in the same transaction (:mod:`sessions_tui.services.contacts`)."""
    require_manager(ctx.require_actor(), "add clients")
    first, last, iid = _check_client(first, last, internal_id)
    with ctx.db.session() as s:
        row = _insert_client(s, first, last, iid)
        _write_contact(s, ctx, row, email, preferred_name, reminders)
        return client_from_row(row)


def _write_contact(
    s: Session,
    ctx: Context,
    row: ClientRow,
    email: str | None,
    preferred_name: str | None,
    reminders: bool | None,
) -> None:
    from sessions_tui.services import contacts

    if email is None and preferred_name is None and reminders is None:
        return
    assert row.id is not None
    changes: dict[str, Any] = {}
    if email is not None:
        changes["email"] = email
    if preferred_name is not None:
        changes["preferred_name"] = preferred_name
    if reminders is not None:
        changes["reminders"] = reminders
    contacts.write_contact(s, ctx.clock.now(), row.id, **changes)


def _insert_client(s: Session, first: str, last: str, iid: str | None) -> ClientRow:
    if iid is not None and s.execute(select(ClientRow).where(ClientRow.internal_id == iid)).first():
        raise ValidationError(
            f"internal ID {iid!r} is already used by another client", field="internal_id"
        )
    row = ClientRow(first_name=first, last_name=last, internal_id=iid)
    s.add(row)
    s.flush()
    return row


def update_client(
    ctx: Context, client_id: int, first: str, last: str, internal_id: str | None
) -> Client:
    require_manager(ctx.require_actor(), "edit clients")
    first, last, iid = _check_client(first, last, internal_id)
    with ctx.db.session() as s:
        row = s.get(ClientRow, client_id)
        if row is None:
            raise NotFoundError(f"no client with id {client_id}")
        if (
            iid is not None
            and s.execute(
                select(ClientRow).where(ClientRow.internal_id == iid, ClientRow.id != client_id)
            ).first()
        ):
            raise ValidationError(
                f"internal ID {iid!r} is already used by another client", field="internal_id"
            )
        row.first_name, row.last_name, row.internal_id = first, last, iid
        s.flush()
        return client_from_row(row)


OPTIONAL_CSV_COLUMNS = ("email", "preferred_name", "reminders")
"""Columns a client CSV may add after ``first_name,last_name,internal_id`` (any of them, in any
order); ``reminders`` is yes/no (the consent, dated the day of the import)."""
_YES = {"yes", "y", "true", "1", "on"}
_NO = {"no", "n", "false", "0", "off", ""}


CLIENTS_CSV_MAX_BYTES = 16 * MIB
"""The largest clients CSV ``clients import`` reads (about 200,000 clients): past it, one line
says so and nothing is imported (``/dev/zero`` never ended)."""


def import_clients_csv(ctx: Context, path: Path) -> list[Client]:
    """Import ``first_name,last_name,internal_id`` rows (plus any of
    :data:`OPTIONAL_CSV_COLUMNS`); all or nothing.

    Raises:
        ValidationError: listing every bad row by its line number in the file.
    """
    from sessions_tui.services import contacts

    require_manager(ctx.require_actor(), "import clients")
    try:
        text = read_bounded(path, CLIENTS_CSV_MAX_BYTES, "a clients import").decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"cannot read {str(path)!r}: {exc}") from None
    reader = csv.reader(io.StringIO(text))
    try:
        # (line number in the file, fields); a quoted field may span lines: its last line counts.
        records = [(reader.line_num, record) for record in reader]
    except csv.Error as exc:
        raise ValidationError(
            f"{path.name} line {reader.line_num}: not valid CSV ({exc}); nothing imported"
        ) from None
    if not records:
        raise ValidationError(f"{path.name}: the file is empty (expected a header row)")
    expected = ["first_name", "last_name", "internal_id"]
    header = [h.strip().lower() for h in records[0][1]]
    extra = header[3:]
    if (
        header[:3] != expected
        or not set(extra) <= set(OPTIONAL_CSV_COLUMNS)
        or len(set(extra)) != len(extra)
    ):
        raise ValidationError(
            f"{path.name} line 1: header must be {','.join(expected)}, then any of "
            f"{','.join(OPTIONAL_CSV_COLUMNS)}"
        )
    rows: list[tuple[int, str, str, str | None, dict[str, Any]]] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for line, record in records[1:]:
        if not any(c.strip() for c in record):
            continue
        if len(record) != len(header):
            errors.append(f"line {line}: expected {len(header)} columns, found {len(record)}")
            continue
        try:
            first, last, iid = _check_client(*record[:3])
            more = dict(zip(extra, record[3:], strict=True))
            contact: dict[str, Any] = {}
            if "email" in more:
                contact["email"] = contacts.check_email(more["email"])
            if "preferred_name" in more:
                contact["preferred_name"] = contacts.check_preferred_name(more["preferred_name"])
            if "reminders" in more:
                answer = more["reminders"].strip().lower()
                if answer not in _YES | _NO:
                    raise ValidationError(f"reminders is yes or no, not {more['reminders']!r}")
                contact["reminders"] = answer in _YES
                if contact["reminders"] and not contact.get("email"):
                    raise ValidationError("reminders need an email address")
        except ValidationError as exc:
            errors.append(f"line {line}: {exc.message}")
            continue
        if iid is not None:
            if iid in seen:
                errors.append(f"line {line}: internal ID {iid!r} repeats line {seen[iid]}")
                continue
            seen[iid] = line
        rows.append((line, first, last, iid, contact))
    with ctx.db.session() as s:
        if seen:
            taken = set(
                s.execute(
                    select(ClientRow.internal_id).where(ClientRow.internal_id.in_(list(seen)))  # type: ignore[union-attr]
                ).scalars()
            )
            for line, _f, _l, iid, _c in rows:
                if iid in taken:
                    errors.append(
                        f"line {line}: internal ID {iid!r} is already used by another client"
                    )
        if errors:
            errors.sort(key=lambda e: int(e.split()[1].rstrip(":")))
            raise ValidationError(f"{path.name}: nothing imported; " + "; ".join(errors))
        added = []
        for _ln, f, la, i, contact in rows:
            row = _insert_client(s, f, la, i)
            if contact:
                assert row.id is not None
                contacts.write_contact(s, ctx.clock.now(), row.id, **contact)
            added.append(client_from_row(row))
        return added


# --- locations ------------------------------------------------------------------------------


def list_locations(ctx: Context, *, include_archived: bool = True) -> list[Location]:
    with ctx.db.session() as s:
        stmt = select(LocationRow).order_by(LocationRow.name)
        if not include_archived:
            stmt = stmt.where(LocationRow.archived.is_(False))  # type: ignore[attr-defined]
        return [location_from_row(r) for r in s.execute(stmt).scalars()]


def add_location(ctx: Context, name: str) -> Location:
    require_manager(ctx.require_actor(), "add locations")
    name = _checked_name(name, "location name")
    with ctx.db.session() as s:
        if s.execute(
            select(LocationRow).where(func.lower(LocationRow.name) == name.lower())
        ).first():
            raise ValidationError(f"location {name!r} already exists", field="name")
        row = LocationRow(name=name)
        s.add(row)
        s.flush()
        return location_from_row(row)


def update_location(
    ctx: Context, location_id: int, *, name: str | None = None, archived: bool | None = None
) -> Location:
    require_manager(ctx.require_actor(), "change locations")
    with ctx.db.session() as s:
        row = s.get(LocationRow, location_id)
        if row is None:
            raise NotFoundError(f"no location with id {location_id}")
        if name is not None:
            name = _checked_name(name, "location name")
            if s.execute(
                select(LocationRow).where(
                    func.lower(LocationRow.name) == name.lower(), LocationRow.id != location_id
                )
            ).first():
                raise ValidationError(f"location {name!r} already exists", field="name")
            row.name = name
        if archived is not None:
            row.archived = archived
        s.flush()
        return location_from_row(row)


def find_location(ctx: Context, name: str) -> Location:
    """A location by its name; a clear error lists them (:mod:`sessions_tui.domain.names`)."""
    return names.find_location(list_locations(ctx), name)


# --- preferences ----------------------------------------------------------------------------


def get_preference(ctx: Context, key: str, default: Any = None) -> Any:
    if ctx.actor is None:
        return default
    with ctx.db.session() as s:
        row = s.execute(
            select(PreferenceRow).where(
                PreferenceRow.staff_id == ctx.actor.id, PreferenceRow.key == key
            )
        ).scalar_one_or_none()
        return json.loads(row.value) if row else default


def set_preference(ctx: Context, key: str, value: Any) -> None:
    if ctx.actor is None:
        return
    with ctx.db.session() as s:
        row = s.execute(
            select(PreferenceRow).where(
                PreferenceRow.staff_id == ctx.actor.id, PreferenceRow.key == key
            )
        ).scalar_one_or_none()
        if row is None:
            row = PreferenceRow(staff_id=ctx.actor.id, key=key, value="")
            s.add(row)
        row.value = json.dumps(value)


def names_by_id(items: Sequence[Staff]) -> dict[int, Staff]:
    return {p.id: p for p in items}
