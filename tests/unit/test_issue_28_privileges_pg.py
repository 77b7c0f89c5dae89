"""Issue 28 on a real PostgreSQL: every table guarded and audited, no staff role above its place.

The table "Who may do what, table by table" in docs/SECURITY.md is read here and each of its
cells is tried: as the admin, a scheduler, a practitioner and the web service, each of SELECT,
INSERT, UPDATE and DELETE on one of their own rows and on someone else's, one transaction per
probe, rolled back. Every change the database allows must be in the audit log (bar a member's
own view preferences). Then the ways up to the owner role, and the failures of the issue.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pg_support import drop_database, new_database
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from sessions_tui.clock import FixedClock
from sessions_tui.domain.model import Role
from sessions_tui.services import practice
from sessions_tui.services.context import Context
from sessions_tui.store.db import Database, open_database
from sessions_tui.store.write_guard import writing

from .test_issue_15_pg_roles import NOW

CLOCK = FixedClock(NOW)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "SECURITY.md"
ROLES = ("admin", "scheduler", "practitioner", "service")
LEGACY = {
    "google_account",
    "google_calendar",
    "google_link",
    "caldav_account",
    "caldav_calendar",
    "caldav_link",
}
"""Replaced by sync_account, sync_calendar and sync_link (another change of issue 28)."""
UNAUDITED = {"preference"}
"""A member's own view settings (filters, the last view): not the practice's data."""


def documented() -> dict[str, dict[str, dict[str, set[str]]]]:
    """table -> role -> {"all": ops, "own": ops}, from the table in docs/SECURITY.md."""
    lines = DOCS.read_text(encoding="utf-8").splitlines()
    head = lines.index("### Who may do what, table by table (PostgreSQL)")
    start = next(i for i in range(head, len(lines)) if lines[i].startswith("| table |"))
    columns = [c.strip() for c in lines[start].strip("|").split("|")]
    model: dict[str, dict[str, dict[str, set[str]]]] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = dict(zip(columns, (c.strip() for c in line.strip("|").split("|")), strict=True))
        table = cells["table"].strip("`")
        model[table] = {}
        for role in ROLES:
            rights: dict[str, set[str]] = {"all": set(), "own": set()}
            if cells[role] != "none":
                for clause in cells[role].split(";"):
                    scope, ops = clause.split(":")
                    assert scope.strip() in ("all rows", "own rows"), cells[role]
                    key = "all" if scope.strip() == "all rows" else "own"
                    rights[key] = set(ops.split())
                    assert rights[key] <= set("SIUD"), cells[role]
            model[table][role] = rights
    return model


@dataclass(frozen=True)
class Probe:
    """How to make a row of a table belonging to a member of staff, and how to change it.

    ``insert`` takes ``:o`` (the staff id whose row it is), ``:n`` (a number never used
    twice) and may name ``:c`` (that member's client); ``update`` is a harmless SET clause.
    """

    insert: str
    update: str
    key: str = "id"


_EVENT = (
    "INSERT INTO event (kind, title, practitioner_id, client_id, all_day, start_utc, end_utc, "
    "span_s, tzid, busy, status, notes_completed, is_series, uid, sequence, version, created_at, "
    "updated_at) VALUES ('other', 'probe', :o, :c, false, now(), now() + interval '1 hour', 0, "
    "'UTC', true, 'scheduled', false, false, 'probe-' || :n, 0, 1, now(), now()) RETURNING id"
)
_HOURS = (
    "INSERT INTO hours (kind, practitioner_id, tzid) VALUES ('probe' || :n, :o, 'UTC') RETURNING id"
)
_MY_EVENT = "(SELECT max(id) FROM event WHERE practitioner_id = :o)"
_MY_HOURS = "(SELECT max(id) FROM hours WHERE practitioner_id = :o)"
_REQUEST = (
    "INSERT INTO booking_request (reference, practitioner_id, service, minutes, start_utc, "
    "end_utc, visitor_tz, name, email, status, created_at, expires_at) VALUES ('ref' || :n, :o, "
    "'Intake', 50, now(), now(), 'UTC', 'Vi Sitor', 'visitor' || :o || '@example.org', "
    "'pending', now(), now() + interval '2 days') RETURNING id"
)

PROBES: dict[str, Probe] = {
    "practice": Probe(
        "INSERT INTO practice (id, name, internal_ids, allow_double_booking, "
        "week_starts_monday) VALUES (:n + 1000, 'P', false, true, false) RETURNING id",
        "name = name",
    ),
    "staff": Probe(
        "INSERT INTO staff (login, name, roles, color, default_session_minutes) "
        "VALUES ('probe' || :n, 'Pro Be', 'practitioner', '', 50) RETURNING id",
        "name = name",
    ),
    "client": Probe(
        "INSERT INTO client (first_name, last_name) VALUES ('C', 'c' || :n) RETURNING id",
        "first_name = first_name",
    ),
    "location": Probe(
        "INSERT INTO location (name, archived) VALUES ('room' || :n, false) RETURNING id",
        "name = name",
    ),
    "event": Probe(_EVENT, "title = title"),
    "exdate": Probe(
        f"INSERT INTO exdate (series_id, recurrence_key) VALUES ({_MY_EVENT}, 'k' || :n) "
        "RETURNING id",
        "recurrence_key = recurrence_key",
    ),
    "hours": Probe(_HOURS, "tzid = tzid"),
    "hours_interval": Probe(
        'INSERT INTO hours_interval (hours_id, weekday, start, "end") '
        f"VALUES ({_MY_HOURS}, :n % 7, '09:00', '10:00') RETURNING id",
        "weekday = weekday",
    ),
    "date_override": Probe(
        "INSERT INTO date_override (hours_id, day, spans) "
        f"VALUES ({_MY_HOURS}, date '2026-01-01' + :n, '') RETURNING id",
        "spans = spans",
    ),
    "preference": Probe(
        "INSERT INTO preference (staff_id, key, value) VALUES (:o, 'k' || :n, '{}') RETURNING id",
        "value = value",
    ),
    "feed": Probe(
        "INSERT INTO feed (practitioner_id, enabled, identifier, created_at, updated_at) "
        "VALUES (:o, false, 'initials', now(), now()) RETURNING id",
        "enabled = enabled",
    ),
    "subscription": Probe(
        "INSERT INTO subscription (practitioner_id, name, url, busy, interval_minutes, "
        "created_at, failures, event_count) VALUES (:o, 's' || :n, "
        "'https://example.org/' || :n || '.ics', 'feed', 60, now(), 0, 0) RETURNING id",
        "name = name",
    ),
    # A sync account per probe (its provider made unique); a calendar or link of the member's
    # first account (made by the practice fixture, sync_account coming first).
    "sync_account": Probe(
        "INSERT INTO sync_account (provider, practitioner_id, mode, connected, identifier) "
        "VALUES ('p' || :n, :o, 'two-way', true, 'initials') RETURNING id",
        "mode = mode",
    ),
    "sync_calendar": Probe(
        "INSERT INTO sync_calendar (account_id, calendar, summary, role, selected, read_only) "
        "SELECT min(id), 'c' || :n, '', 'default', true, false FROM sync_account "
        "WHERE practitioner_id = :o RETURNING id",
        "summary = summary",
    ),
    "sync_link": Probe(
        "INSERT INTO sync_link (account_id, calendar, remote_id, origin) "
        "SELECT min(id), 'c', 'r' || :n, 'local' FROM sync_account WHERE practitioner_id = :o "
        "RETURNING id",
        "etag = etag",
    ),
    "booking_settings": Probe(
        "INSERT INTO booking_settings (practitioner_id, enabled, notice_minutes, horizon_days, "
        "buffer_minutes, hold_minutes, new_clients, public, link_hash, updated_at) "
        "VALUES (:o, true, 1440, 60, 0, 2880, true, false, 'h' || :n, now()) "
        "RETURNING id",
        "enabled = enabled",
    ),
    "booking_service": Probe(
        "INSERT INTO booking_service (practitioner_id, name, minutes, position) "
        "VALUES (:o, 'svc' || :n, 50, 0) RETURNING id",
        "minutes = minutes",
    ),
    "booking_request": Probe(_REQUEST, "status = status"),
    "client_contact": Probe(
        "INSERT INTO client_contact (client_id, email, reminders) "
        "VALUES (:c, 'client' || :n || '@example.org', true) RETURNING id",
        "phone = phone",
    ),
    "outbox": Probe(
        "INSERT INTO outbox (kind, request_id, to_addr, subject, body, status, attempts, "
        "created_at, next_attempt_at) SELECT 'received', r.id, r.email, 'Your request', 'Hello', "
        "'pending', 0, now(), now() FROM booking_request r WHERE r.practitioner_id = :o "
        "ORDER BY r.id DESC LIMIT 1 RETURNING id",
        "status = status",
    ),
    "reminder_settings": Probe(
        "INSERT INTO reminder_settings (id, hours, subject, body, base_url, updated_at) "
        "VALUES (:n + 1000, '', '', '', '', now()) RETURNING id",
        "hours = hours",
    ),
    "reminder_log": Probe(
        "INSERT INTO reminder_log (event_id, occurrence, offset_minutes, start_utc, client_id, "
        f"token_hash, created_at) VALUES ({_MY_EVENT}, '', 60, now(), :c, 't' || :n, now()) "
        "RETURNING id",
        "answered = answered",
    ),
    "lock": Probe(
        "INSERT INTO lock (name, holder, expires_at) VALUES ('lock' || :n, 'me', now()) "
        "RETURNING name",
        "holder = holder",
        key="name",
    ),
    "audit_log": Probe(
        "INSERT INTO audit_log (at, actor, entity, entity_id, action) "
        "SELECT '2026-01-01T00:00:00Z', login, 'outbox', :n, 'insert' FROM staff WHERE id = :o "
        "RETURNING id",
        "actor = actor",
    ),
    "alembic_version": Probe(
        "INSERT INTO alembic_version (version_num) VALUES ('v' || :n) RETURNING version_num",
        "version_num = version_num",
        key="version_num",
    ),
}


@dataclass
class Practice:
    admin_url: str
    url: str
    db: Database
    tag: str
    ids: dict[str, int]  # who -> staff id
    clients: dict[str, int]  # who -> a client with an event in their calendar
    rows: dict[tuple[str, str], object] = field(default_factory=dict)  # (table, who) -> key
    counter: list[int] = field(default_factory=lambda: [0])

    def login(self, who: str) -> str:
        return f"{who}_{self.tag}"

    def engine_as(self, who: str) -> Engine:
        url = make_url(self.url).set(username=self.login(who), password=None)
        return create_engine(url.render_as_string(hide_password=False), pool_size=1)

    def number(self) -> int:
        self.counter[0] += 1
        return self.counter[0]

    def params(self, who: str) -> dict[str, object]:
        return {"o": self.ids[who], "c": self.clients[who], "n": self.number()}


WHO = {"admin": "boss", "scheduler": "sam", "practitioner": "pat", "service": "web"}
"""The member probing as each role; "quinn" (a practitioner) owns the others' rows."""


@pytest.fixture(autouse=True, scope="module")
def _the_database_guards() -> Iterator[None]:
    """These probes are what a member of staff could send over their own connection with psql:
    the database's own refusals are under test, so the application's write guard
    (store/write_guard.py) stands aside, as it would for psql."""
    with writing():
        yield


@pytest.fixture(scope="module")
def pg_practice(pg_admin: str) -> Iterator[Practice]:
    url = new_database(pg_admin)
    db = open_database(url)
    tag = uuid.uuid4().hex[:8]  # roles are cluster-wide: new names for every run
    boss = practice.add_staff(Context(db, CLOCK, None), f"boss_{tag}", "Bo Boss", {Role.ADMIN})
    bctx = Context(db, CLOCK, boss)
    ids = {"boss": boss.id}
    for who, role in (("sam", Role.SCHEDULER), ("pat", Role.PRACTITIONER)):
        ids[who] = practice.add_staff(bctx, f"{who}_{tag}", who.title(), {role}).id
    ids["quinn"] = practice.add_staff(bctx, f"quinn_{tag}", "Quinn", {Role.PRACTITIONER}).id
    ids["web"] = ids["quinn"] + 1000  # the web service is no member of staff
    p = Practice(pg_admin, url, db, tag, ids, {})
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
                "'sessions_service') THEN CREATE ROLE sessions_service NOLOGIN; END IF; END $$"
            )
        )
        conn.execute(text(f"CREATE ROLE web_{tag} LOGIN IN ROLE sessions_service"))
        for who in ("boss", "sam", "pat", "quinn"):
            p.clients[who] = conn.execute(
                text("INSERT INTO client (first_name, last_name) VALUES ('C', :w) RETURNING id"),
                {"w": who},
            ).scalar_one()
        p.clients["web"] = p.clients["quinn"]
        conn.execute(
            text(
                "INSERT INTO practice (id, name, internal_ids, allow_double_booking, "
                "week_starts_monday) VALUES (1, 'P', false, true, false) ON CONFLICT DO NOTHING"
            )
        )
        conn.execute(
            text(
                "INSERT INTO reminder_settings (id, hours, subject, body, base_url, updated_at) "
                "VALUES (1, '', '', '', '', now()) ON CONFLICT DO NOTHING"
            )
        )
        # Each member's own row of every table, in an order that satisfies the references.
        for table in ("event", "hours", "booking_request", *PROBES):
            for who in ("boss", "sam", "pat", "quinn"):
                if (table, who) in p.rows:
                    continue
                if table in ("practice", "reminder_settings"):
                    p.rows[(table, who)] = 1
                    continue
                if table == "staff":
                    p.rows[(table, who)] = ids[who]
                    continue
                key = conn.execute(text(PROBES[table].insert), p.params(who)).scalar_one()
                p.rows[(table, who)] = key
    try:
        yield p
    finally:
        db.dispose()
        drop_database(pg_admin, url)


PRIVILEGE = "42501"  # insufficient_privilege: both "permission denied" and a policy's refusal


def _outcome(conn: Connection, sql: str, params: dict[str, object]) -> tuple[bool, bool]:
    """(allowed, changed) of one statement in its own savepoint-free transaction."""
    try:
        result = conn.execute(text(sql), params)
    except DBAPIError as exc:
        orig = exc.orig
        if not isinstance(orig, psycopg.Error):
            raise
        if orig.sqlstate == PRIVILEGE or "append-only" in str(orig):
            return False, False
        if orig.sqlstate in ("23505", "23503"):
            # Unique and foreign keys are checked after the grants and policies let it by.
            return True, False
        raise
    if sql.lstrip().upper().startswith("SELECT"):
        return bool(result.scalar_one()), False
    if sql.lstrip().upper().startswith("INSERT"):
        return True, True
    return result.rowcount == 1, result.rowcount == 1


@pytest.fixture(scope="module")
def engines(pg_practice: Practice) -> Iterator[dict[str, Engine]]:
    made = {role: pg_practice.engine_as(who) for role, who in WHO.items()}
    yield made
    for engine in made.values():
        engine.dispose()


def test_issue_28_every_table_is_in_the_documented_model(pg_practice: Practice) -> None:
    with pg_practice.db.engine.connect() as conn:
        tables = set(
            conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            ).scalars()
        )
    assert tables - LEGACY - set(documented()) == set()
    assert set(PROBES) >= set(documented()) & tables


@pytest.mark.parametrize("table", sorted(documented()))
def test_issue_28_each_role_does_what_the_docs_say(
    pg_practice: Practice, engines: dict[str, Engine], table: str
) -> None:
    """Every cell of the docs' table, on a live server (a table not there yet is skipped)."""
    p = pg_practice
    with p.db.engine.connect() as conn:
        exists = conn.execute(
            text("SELECT to_regclass(:t) IS NOT NULL"), {"t": f'"{table}"'}
        ).scalar_one()
    if not exists:
        pytest.skip(f"{table} is not in this schema yet")
    probe = PROBES[table]
    rights = documented()[table]
    wrong: list[str] = []
    unaudited: list[str] = []
    for role, who in WHO.items():
        for whose, owner in (("own", who), ("others'", "quinn")):
            if whose == "own" and (table, who) not in p.rows:
                continue  # the web service has no rows of its own
            expected_scope = rights[role]["all"] | (
                rights[role]["own"] if whose == "own" else set()
            )
            key = p.rows[(table, owner)]
            where = f'"{probe.key}" = :k'
            statements = {
                "S": f'SELECT count(*) FROM "{table}" WHERE {where}',
                "I": probe.insert,
                "U": f'UPDATE "{table}" SET {probe.update} WHERE {where}',
                "D": f'DELETE FROM "{table}" WHERE {where}',
            }
            for op, sql in statements.items():
                params = {**p.params(owner), "k": key}
                with engines[role].connect() as conn:
                    before = _last_audit(conn) if role != "service" else 0
                    allowed, changed = _outcome(conn, sql, params)
                    audited = role != "service" and table not in UNAUDITED
                    if changed and audited and _audited(conn, table, before) == 0:
                        unaudited.append(f"{role} {op} {whose}")
                    conn.rollback()
                if allowed != (op in expected_scope):
                    wrong.append(
                        f"{role} {op} on {whose} rows: {'allowed' if allowed else 'refused'}"
                    )
    assert wrong == [], f"{table}: {wrong}"
    assert unaudited == [], f"{table}: changes without an audit row: {unaudited}"


def _last_audit(conn: Connection) -> int:
    return int(conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar_one())


def _audited(conn: Connection, table: str, after: int) -> int:
    return int(
        conn.execute(
            text(
                "SELECT count(*) FROM audit_log WHERE id > :a AND entity = :t "
                "AND actor = session_user::text"
            ),
            {"a": after, "t": table},
        ).scalar_one()
    )


ESCALATIONS = [
    "GRANT sessions_owner TO {me}",
    "GRANT sessions_admin TO {me}",
    "SET ROLE sessions_owner",
    "SET SESSION AUTHORIZATION {other}",
    "ALTER ROLE {other} PASSWORD 'taken'",
    "ALTER ROLE {me} CREATEROLE",
    "CREATE ROLE intruder_{tag} LOGIN",
    "ALTER TABLE event DISABLE TRIGGER ALL",
    "ALTER TABLE audit_log DISABLE TRIGGER ALL",
    "ALTER TABLE booking_settings DISABLE ROW LEVEL SECURITY",
    "UPDATE audit_log SET actor = 'someone else'",
    "DELETE FROM audit_log",
    "CREATE TABLE public.planted (x int)",
    "CREATE FUNCTION public.planted() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "SELECT pg_read_file('/etc/hostname')",
    "COPY event TO '/tmp/pgpriv-copy'",
    "SELECT sessions_grant_login('sessions_owner', ARRAY['admin'])",
    "SELECT sessions_grant_login('{superuser}', ARRAY['admin'])",
]


@pytest.mark.parametrize("role", ["admin", "scheduler", "practitioner", "service"])
def test_issue_28_no_way_up_to_the_owner_role(
    pg_practice: Practice, engines: dict[str, Engine], role: str
) -> None:
    p = pg_practice
    names = {
        "me": p.login(WHO[role]),
        "other": p.login("quinn"),
        "tag": p.tag,
        "superuser": make_url(p.admin_url).username,
    }
    taken: list[str] = []
    for template in ESCALATIONS:
        sql = template.format(**names)
        with engines[role].connect() as conn:
            try:
                conn.execute(text(sql))
                taken.append(sql)
            except DBAPIError as exc:
                # Refused for want of the right, not for a typo in this test.
                state = getattr(exc.orig, "sqlstate", None)
                if state not in (PRIVILEGE, "42602"):
                    taken.append(f"{sql}: {exc.orig}")
            conn.rollback()
    assert taken == []


# The failures of the issue's first list, each as it was reported.


def _as(p: Practice, who: str, sql: str, **params: object) -> tuple[bool, int]:
    """Run ``sql`` as ``who`` and roll it back: (accepted, rows changed)."""
    engine = p.engine_as(who)
    try:
        with engine.connect() as conn:
            try:
                result = conn.execute(text(sql), params)
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", None) != PRIVILEGE:
                    raise  # refused for another reason than the right to do it
                return False, 0
            finally:
                conn.rollback()
            return True, result.rowcount
    finally:
        engine.dispose()


def test_issue_28_a_practitioner_cannot_rewrite_another_booking_page(
    pg_practice: Practice,
) -> None:
    p, quinn = pg_practice, pg_practice.ids["quinn"]
    for sql in (
        "UPDATE booking_settings SET enabled = false WHERE practitioner_id = :q",
        "DELETE FROM booking_service WHERE practitioner_id = :q",
        "UPDATE booking_request SET status = 'declined' WHERE practitioner_id = :q",
        "DELETE FROM subscription WHERE practitioner_id = :q",
    ):
        _accepted, changed = _as(p, "pat", sql, q=quinn)
        assert changed == 0, sql


def test_issue_28_a_practitioner_cannot_plant_a_strangers_address(pg_practice: Practice) -> None:
    p = pg_practice
    with p.db.engine.begin() as conn:  # a client pat has never seen
        other = conn.execute(
            text("INSERT INTO client (first_name, last_name) VALUES ('Ana', 'Other') RETURNING id")
        ).scalar_one()
    accepted, _ = _as(
        p,
        "pat",
        "INSERT INTO client_contact (client_id, email, reminders) "
        "VALUES (:c, 'stranger@example.net', true)",
        c=other,
    )
    assert not accepted


@pytest.mark.parametrize("who", ["pat", "sam", "boss", "web"])
def test_issue_28_the_mailer_sends_only_what_the_practice_queued(
    pg_practice: Practice, who: str
) -> None:
    p = pg_practice
    request = p.rows[("booking_request", "pat")]
    for kind in ("received", "reminder", "newsletter"):
        accepted, _ = _as(
            p,
            who,
            "INSERT INTO outbox (kind, request_id, to_addr, subject, body, status, attempts, "
            "created_at, next_attempt_at) VALUES (:k, :r, 'victim@example.net', 'Hi', 'Click', "
            "'pending', 0, now(), now())",
            k=kind,
            r=request,
        )
        assert not accepted, kind
    outbox = p.rows[("outbox", "pat")]
    for sql in (
        "UPDATE outbox SET to_addr = 'victim@example.net' WHERE id = :o",
        "UPDATE outbox SET body = 'Click here' WHERE id = :o",
        "DELETE FROM outbox WHERE id = :o",
    ):
        accepted, changed = _as(p, who, sql, o=outbox)
        assert changed == 0, sql
    with p.db.engine.begin() as conn:  # a message that went out is never sent again
        conn.execute(text("UPDATE outbox SET status = 'sent' WHERE id = :o"), {"o": outbox})
    try:
        accepted, changed = _as(
            p, who, "UPDATE outbox SET status = 'pending' WHERE id = :o", o=outbox
        )
        assert changed == 0
    finally:
        with p.db.engine.begin() as conn:
            conn.execute(text("UPDATE outbox SET status = 'pending' WHERE id = :o"), {"o": outbox})


@pytest.mark.parametrize("who", ["pat", "sam", "boss", "web"])
def test_issue_28_nobody_takes_the_sync_lock_for_ever(pg_practice: Practice, who: str) -> None:
    accepted, _ = _as(
        pg_practice,
        who,
        "INSERT INTO lock (name, holder, expires_at) VALUES ('google-sync', 'me', '9999-12-31')",
    )
    assert not accepted


@pytest.mark.parametrize("who", ["pat", "sam", "boss", "web"])
def test_issue_28_no_staff_role_reads_a_booking_link_secret(
    pg_practice: Practice, who: str
) -> None:
    """Booking links are stored as hashes only (migration 0016): no column holds the secret
    part of a link, for any role to read."""
    engine = pg_practice.engine_as(who)
    try:
        with engine.connect() as conn:
            extra = conn.execute(
                text(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = 'booking_settings' AND column_name LIKE '%secret%'"
                )
            ).all()
    finally:
        engine.dispose()
    assert extra == []


def test_issue_28_a_practitioners_booking_change_is_audited_without_its_secret(
    pg_practice: Practice,
) -> None:
    p = pg_practice
    engine = p.engine_as("pat")
    try:
        with engine.connect() as conn:
            changed = conn.execute(
                text("UPDATE booking_settings SET enabled = false WHERE practitioner_id = :me"),
                {"me": p.ids["pat"]},
            ).rowcount
            assert changed == 1
            entry = conn.execute(
                text(
                    "SELECT actor, after FROM audit_log WHERE entity = 'booking_settings' "
                    "ORDER BY id DESC LIMIT 1"
                )
            ).one()
            conn.rollback()
    finally:
        engine.dispose()
    assert entry.actor == p.login("pat")
    assert '"enabled": false' in entry.after
    assert "link_secret" not in entry.after


def test_issue_28_an_admin_without_createrole_adds_staff_and_cannot_take_over(
    pg_practice: Practice,
) -> None:
    from sessions_tui.services.context import make_context

    p = pg_practice
    with p.db.engine.connect() as conn:
        createrole = conn.execute(
            text("SELECT rolcreaterole FROM pg_roles WHERE rolname = :b"), {"b": p.login("boss")}
        ).scalar_one()
    assert not createrole
    db = open_database(
        make_url(p.url)
        .set(username=p.login("boss"), password=None)
        .render_as_string(hide_password=False)
    )
    try:
        ctx = make_context(db, CLOCK, None)
        added = practice.add_staff(ctx, f"ria_{p.tag}", "Ria", {Role.SCHEDULER})
        practice.update_staff(ctx, added.id, roles=[Role.PRACTITIONER])
    finally:
        db.dispose()
    with p.db.engine.connect() as conn:
        groups = conn.execute(
            text(
                "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = :l"
            ),
            {"l": f"ria_{p.tag}"},
        ).scalars()
        assert list(groups) == ["sessions_practitioner"]
    # A practitioner or scheduler cannot use the admin's door.
    accepted, _ = _as(p, "pat", "SELECT sessions_grant_login(:l, ARRAY['admin'])", l=p.login("pat"))
    assert not accepted


@pytest.mark.parametrize(
    ("setup", "fix"),
    [
        ("ALTER ROLE {who} CREATEROLE", "ALTER ROLE {who} NOCREATEROLE"),
        ("ALTER ROLE {who} BYPASSRLS", "ALTER ROLE {who} NOBYPASSRLS"),
        ("ALTER ROLE {who} SUPERUSER", "ALTER ROLE {who} NOSUPERUSER"),
        ("GRANT sessions_owner TO {who}", "REVOKE sessions_owner FROM {who}"),
    ],
)
def test_issue_28_db_upgrade_refuses_a_staff_login_that_could_reach_the_owner(
    pg_practice: Practice,
    capsys: pytest.CaptureFixture[str],
    setup: str,
    fix: str,
) -> None:
    from ._cli import cli

    p = pg_practice
    who = p.login("boss")
    with p.db.engine.begin() as conn:
        conn.execute(text(setup.format(who=who)))
    try:
        refused = cli(capsys, "db", "upgrade", "--db", p.url)
    finally:
        with p.db.engine.begin() as conn:
            conn.execute(text(fix.format(who=who)))
    assert refused.code == 1
    assert len(refused.err_lines) == 1, refused.err
    assert fix.format(who=who) in refused.err_lines[0]
    assert cli(capsys, "db", "upgrade", "--db", p.url).code == 0


def test_issue_28_the_app_works_within_the_model(pg_practice: Practice) -> None:
    """What the model allows is what the app does: a practitioner declines a request to them
    (its email queued through the outbox check) and accepts another for a client they have not
    seen yet (their contact from the request), a scheduler accepts one (a new client, their
    contact, the session and the email), each as their own role."""
    from sessions_tui.services import booking_requests
    from sessions_tui.services.context import make_context

    p = pg_practice
    with p.db.engine.begin() as conn:
        requests = {
            who: conn.execute(text(_REQUEST), p.params(who)).scalar_one()
            for who in ("pat", "quinn")
        }
        second = conn.execute(text(_REQUEST), p.params("pat")).scalar_one()
        newcomer = conn.execute(
            text("INSERT INTO client (first_name, last_name) VALUES ('New', 'Comer') RETURNING id")
        ).scalar_one()
    for who, request, act in (
        ("pat", requests["pat"], "decline"),
        ("pat", second, "accept"),
        ("sam", requests["quinn"], "accept"),
    ):
        url = make_url(p.url).set(username=p.login(who), password=None)
        db = open_database(url.render_as_string(hide_password=False))
        try:
            ctx = make_context(db, CLOCK, None)
            if act == "decline":
                booking_requests.decline(ctx, request, "away")
            elif who == "pat":
                booking_requests.accept(ctx, request, client_id=newcomer, double_book=True)
            else:
                booking_requests.accept(ctx, request, new_client=True, double_book=True)
        finally:
            db.dispose()
    with p.db.engine.connect() as conn:
        queued = conn.execute(
            text("SELECT request_id, kind FROM outbox WHERE request_id IN (:a, :b, :c)"),
            {"a": requests["pat"], "b": requests["quinn"], "c": second},
        ).all()
    assert sorted(queued) == sorted(
        [(requests["pat"], "declined"), (second, "confirmed"), (requests["quinn"], "confirmed")]
    )


def test_issue_28_the_web_service_role_queues_and_sends_reminders(pg_practice: Practice) -> None:
    """The reminder pass and the mailer run as a login role in ``sessions_service``: a
    consenting client's reminder is queued and sent, once."""
    from datetime import timedelta

    from sessions_tui.config import SmtpSettings
    from sessions_tui.domain.events import Event, EventKind
    from sessions_tui.services import appointments, contacts, reminders
    from sessions_tui.services.context import make_context
    from sessions_tui.sync import mailer

    p = pg_practice
    boss = make_context(p.db, CLOCK, p.login("boss"))
    client = practice.add_client(boss, "Remi", "Nder")
    contacts.set_contact(boss, client.id, email="remi@example.org", reminders=True)
    reminders.update_settings(boss, hours="24", base_url="https://practice.example.org")
    start = NOW + timedelta(hours=25)  # booked before its reminder is due
    later = FixedClock(NOW + timedelta(hours=2))
    session = Event(
        EventKind.SESSION,
        start,
        start + timedelta(minutes=50),
        "UTC",
        practitioner_id=p.ids["pat"],
        client_id=client.id,
    )
    assert appointments.create(boss, session).result_id is not None
    sent: list[str] = []

    class Sink:
        """A mail connection that takes every message (the mailer's ``Connection``)."""

        def __init__(self, _settings: SmtpSettings) -> None:
            pass

        def send(self, message: Any) -> None:
            sent.append(str(message["To"]))

        def close(self) -> None:
            pass

    url = make_url(p.url).set(username=p.login("web"), password=None)
    web = open_database(url.render_as_string(hide_password=False))
    smtp = SmtpSettings(host="127.0.0.1", port=25, security="none", sender="desk@example.org")
    try:
        for _ in range(2):
            reminders.queue_due(web, later)
            mailer.send_due(web, later, smtp, Sink)
    finally:
        web.dispose()
    assert sent.count("remi@example.org") == 1


@pytest.mark.parametrize("who", ["pat", "sam", "boss"])
def test_issue_28_staff_cannot_readdress_a_request_to_mail_a_stranger(
    pg_practice: Practice, who: str
) -> None:
    request = pg_practice.rows[("booking_request", "pat")]
    accepted, _ = _as(
        pg_practice,
        who,
        "UPDATE booking_request SET email = 'victim@example.net' WHERE id = :r",
        r=request,
    )
    assert not accepted
