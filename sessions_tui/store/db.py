"""Engine and session factory: URL resolution, SQLite PRAGMAs, migrations on open."""

from __future__ import annotations

import os
import random
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from sessions_tui.domain.errors import SessionsError
from sessions_tui.domain.text import redact_secrets
from sessions_tui.store import filemode, write_guard
from sessions_tui.store.integrity import REPAIR_DOCS, check_on_open

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _head_revision() -> str:
    # Revisions are numbered 0001, 0002, ... in their file names; reading the names is far
    # cheaper than importing Alembic, which a database already at head never needs.
    names = [p.name.split("_", 1)[0] for p in (MIGRATIONS_DIR / "versions").glob("[0-9]*_*.py")]
    return max(names, default="")


write_guard.install()

HEAD_REVISION = _head_revision()
"""The newest migration; opening a database at this revision skips Alembic entirely."""


class DatabaseError(SessionsError):
    """The database cannot be opened or used. Its message never holds a password."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(redact_secrets(message), field=field)


def shown_url(url: str) -> str:
    """``url`` as it may be shown to a person or a log: the password, if any, as ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return redact_secrets(url)


# SQLite's words for the failures a person can do something about (its result codes' texts,
# the same from the stdlib sqlite3 and through SQLAlchemy), each with the line that says so.
_FAILURES: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("database or disk is full", "no space left on device"),  # SQLite, PostgreSQL
        "cannot write {file}: the disk is full (or the database reached its size limit);"
        " nothing was changed: free some space and try again",
    ),
    (
        ("readonly database",),
        "cannot write {file}: the file is read-only (its permissions, an immutable flag or a"
        " read-only disk); nothing was changed",
    ),
    (
        ("database is locked", "database table is locked", "database is busy"),
        "{file} is locked by another program (another sessions-tui saving, or a backup) and"
        " stayed locked; nothing was changed: try again",
    ),
    (
        ("database disk image is malformed", "malformed database schema"),
        "{file} is damaged (SQLite: database disk image is malformed): stop using it and see"
        f" {REPAIR_DOCS}",
    ),
    (
        ("file is not a database",),
        f"{{file}} is not a practice database, or is damaged beyond reading: see {REPAIR_DOCS}",
    ),
    (
        ("disk i/o error",),
        "cannot read or write {file}: the disk reported an I/O error (full, removed or"
        " failing); nothing was changed",
    ),
)


def storage_failure(exc: BaseException, where: str) -> DatabaseError | None:
    """One line for a failure of the storage itself (disk full, read-only or locked file,
    a damaged database), naming the cause and ``where`` (the file, or the URL); ``None`` for
    any other error (a constraint, a bug: those keep their own handling)."""
    import sqlite3

    if not isinstance(exc, SQLAlchemyError | sqlite3.Error):
        return None  # a refusal, a bug: only the driver's own errors are the storage's
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).lower()
    for words, line in _FAILURES:
        if any(w in text for w in words):
            return DatabaseError(line.format(file=where))
    return None


def default_db_path() -> Path:
    """A SQLite file in platformdirs' user data dir."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("sessions-tui", appauthor=False)) / "practice.db"


def resolve_url(value: str | None) -> str:
    """``--db`` value (a path or a SQLAlchemy URL), else ``SESSIONS_TUI_DB``, else the default."""
    value = value or os.environ.get("SESSIONS_TUI_DB") or ""
    if not value:
        try:
            path = default_db_path()
            path.parent.mkdir(parents=True, exist_ok=True)
        except (OSError, RuntimeError) as exc:  # RuntimeError: platformdirs found no home
            where = f" {exc.filename!r}" if isinstance(exc, OSError) and exc.filename else ""
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise DatabaseError(
                f"cannot make the default database's folder{where}: {reason} "
                "(is HOME writable?); name a database with --db or SESSIONS_TUI_DB"
            ) from None
        return f"sqlite:///{path}"
    if "://" in value:
        try:
            url = make_url(value)
        except ArgumentError:
            raise DatabaseError(f"bad --db URL {value!r}") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise DatabaseError(
                f"bad --db URL {value!r}: only sqlite:/// and postgresql+psycopg:// are supported"
            )
        return value
    path = Path(value).expanduser()
    if path.is_dir():
        raise DatabaseError(f"bad --db {value!r}: it is a directory, not a database file")
    if not path.parent.exists():
        raise DatabaseError(f"bad --db {value!r}: folder {str(path.parent)!r} does not exist")
    return f"sqlite:///{path.resolve()}"


_read_only: ContextVar[bool] = ContextVar("sessions_tui_read_only", default=False)
"""Set by :meth:`Database.read`: the SQLite transaction may begin DEFERRED."""

_joined: ContextVar[tuple[Engine, Session] | None] = ContextVar("sessions_tui_joined", default=None)
"""Set by :meth:`Database.transaction`: the one session every unit of work inside joins."""

BUSY_RETRIES = 20


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling is off; _sqlite_begin below starts them, so a
    # writing unit of work takes the write lock up front (BEGIN IMMEDIATE) and never fails
    # half-way with "database is locked" when it upgrades from a read.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


_bulk: ContextVar[bool] = ContextVar("sessions_tui_bulk", default=False)
"""Set by :meth:`Database.session` with ``bulk=True``: statement journals stay in memory."""


BULK_CACHE_KIB = 16 * 1024
"""SQLite's page cache for a bulk transaction (the default is 2 MiB)."""


def _sqlite_bulk(conn: Any) -> None:
    """Ready the connection for a bulk transaction, or give an ordinary one the defaults back
    (per connection, remembered in its ``info``, so an ordinary transaction costs a dict
    lookup).

    * ``temp_store=MEMORY``: every INSERT of a bulk write (with the audit and series-index
      triggers) keeps a statement journal, the pages to undo if that one row failed; past
      64 KiB SQLite moves it to a temporary file, about 20 system calls per row (6 s of system
      time in a 100k import). In memory it holds one statement's pages at a time. SQLite only
      honours the setting for a transaction begun after it, hence here, before BEGIN.
    * a page cache of :data:`BULK_CACHE_KIB`: the indexes of a large import outgrow the
      default 2 MiB, and every page pushed out is written to the WAL and read back (300k
      ``pread64`` at 100k events). A fixed size: memory stays bounded.
    """
    want = _bulk.get()
    if conn.info.get("bulk", False) == want:
        return
    if want:
        conn.info["cache_size"] = conn.exec_driver_sql("PRAGMA cache_size").scalar()
        conn.exec_driver_sql("PRAGMA temp_store=MEMORY")
        conn.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    else:
        conn.exec_driver_sql("PRAGMA temp_store=DEFAULT")
        conn.exec_driver_sql(f"PRAGMA cache_size={int(conn.info.pop('cache_size', -2000))}")
    conn.info["bulk"] = want


def _sqlite_begin(conn: Any) -> None:
    _sqlite_bulk(conn)
    if _read_only.get():
        conn.exec_driver_sql("BEGIN")
        return
    delay = 0.01
    for attempt in range(BUSY_RETRIES):
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as exc:
            # busy_timeout already waited; past it, back off and try again rather than
            # surfacing "database is locked" to a person.
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if attempt == BUSY_RETRIES - 1:
                raise
            time.sleep(delay + random.random() * delay)
            delay = min(delay * 2, 1.0)


class _Actor:
    """Who the audit log names for the change being made through one engine."""

    def __init__(self) -> None:
        self.login: str | None = None


_ACTORS: weakref.WeakKeyDictionary[Engine, _Actor] = weakref.WeakKeyDictionary()


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with WAL, foreign keys and a busy timeout on SQLite."""
    # hide_parameters: an error's text (and so a traceback in the log file) never carries the
    # statement's values, which can be client names and notes.
    kwargs: dict[str, Any] = {"hide_parameters": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
    try:
        engine = create_engine(url, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise DatabaseError(f"bad --db URL {shown_url(url)!r}: {exc}") from None
    actor = _Actor()
    _ACTORS[engine] = actor
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)

        def register(dbapi_connection: Any, _record: Any) -> None:
            # The audit triggers call sessions_actor() to name who made a change.
            dbapi_connection.create_function(
                "sessions_actor", 0, lambda: actor.login, deterministic=False
            )

        event.listen(engine, "connect", register)
    elif engine.dialect.name == "postgresql":

        def begin(conn: Any) -> None:
            conn.exec_driver_sql(
                "SELECT set_config('sessions_tui.actor', %s, true)", (actor.login or "",)
            )

        event.listen(engine, "begin", begin)
    return engine


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        return str(row[0]) if row else None


def _check_known(url: str, revision: str | None) -> None:
    """Refuse a database whose schema this version does not know (made by a newer one)."""
    if revision is None:
        return
    known = {p.name.split("_", 1)[0] for p in (MIGRATIONS_DIR / "versions").glob("[0-9]*_*.py")}
    if revision in known:
        return
    if revision.isdigit() and HEAD_REVISION.isdigit() and int(revision) > int(HEAD_REVISION):
        raise DatabaseError(
            f"database {url!r} has schema version {revision}, newer than this sessions-tui "
            f"knows ({HEAD_REVISION}): upgrade sessions-tui to open it"
        )
    raise DatabaseError(f"database {url!r} has an unknown schema version {revision!r}")


def upgrade(engine: Engine) -> None:
    """Run Alembic migrations up to head."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # SQLite's recipe for rebuilding a table (migration 0013): foreign keys off outside
            # the transaction (inside one the pragma does nothing), the migration checks them.
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with conn.begin(), write_guard.writing():  # a migration may rewrite the tables
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                if conn.dialect.name == "postgresql":
                    from sessions_tui.store import pg_security

                    # Roles, grants, row-level security, the audit function: also for new tables.
                    pg_security.apply(conn)
        finally:
            if sqlite:
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


@dataclass
class Database:
    """An open practice database: the engine and its session factory."""

    engine: Engine
    sessions: sessionmaker[Session]
    actor_login: str | None = None
    """The login the audit log records for changes made through this handle."""

    def with_actor(self, login: str | None) -> Database:
        """The same database, recording ``login`` as the author of changes."""
        return replace(self, actor_login=login)

    def _claim(self) -> None:
        holder = _ACTORS.get(self.engine)
        if holder is not None:
            holder.login = self.actor_login

    @property
    def url(self) -> str:
        """The database URL with any password hidden (``***``), for messages and logs."""
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def where(self) -> str:
        """The SQLite file's path, else the URL (password hidden): what a message names."""
        path = _sqlite_file(self.url)
        return repr(str(path)) if path is not None else repr(self.url)

    def _joined(self) -> Session | None:
        joined = _joined.get()
        return joined[1] if joined is not None and joined[0] is self.engine else None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction spanning many use cases (seeding the demo: all or nothing).

        Every :meth:`session` and :meth:`read` opened inside, in this thread, joins it: they
        neither commit nor close; this commits at the end, or rolls everything back.
        """
        joined = self._joined()
        if joined is not None:
            yield joined
            return
        with self.session() as session:
            token = _joined.set((self.engine, session))
            try:
                yield session
            finally:
                _joined.reset(token)

    @contextmanager
    def session(self, *, bulk: bool = False) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on any error.

        ``bulk``: the unit writes many rows (an import); on SQLite its statement journals
        stay in memory instead of a temporary file, and the page cache is larger
        (:func:`_sqlite_bulk`). It changes nothing else: one transaction, the same rollback.
        """
        self._claim()
        joined = self._joined()
        if joined is not None:
            yield joined
            joined.flush()
            return
        token = _bulk.set(bulk)
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException as exc:
            session.rollback()
            failure = storage_failure(exc, self.where)
            if failure is not None:  # disk full, read-only, locked, damaged: say which
                raise failure from exc
            raise
        finally:
            session.close()
            _bulk.reset(token)

    def ping(self) -> None:
        """Raise unless the database answers (the web service's health check)."""
        with self.read() as s:
            s.execute(text("SELECT 1"))

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work (on SQLite it does not take the write lock)."""
        joined = self._joined()
        if joined is not None:
            yield joined
            return
        token = _read_only.set(True)
        session = self.sessions()
        try:
            yield session
        except SQLAlchemyError as exc:
            failure = storage_failure(exc, self.where)
            if failure is not None:
                raise failure from exc
            raise
        finally:
            # close() ends the transaction without expiring the objects read, so they stay
            # usable (rollback() would expire them).
            session.close()
            _read_only.reset(token)

    @property
    def dialect(self) -> str:
        """The SQLAlchemy dialect name: ``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def dispose(self) -> None:
        """Close the engine's pooled connections (the engine stays usable)."""
        self.engine.dispose()


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (``None`` for other URLs and in-memory databases)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def file_mode_warning(url: str) -> str | None:
    """A line for the person at start if the SQLite practice file is world-readable."""
    return filemode.mode_warning(_sqlite_file(url))


def open_database(
    url_or_path: str | None = None, *, migrate: bool = True, create: bool = True
) -> Database:
    """Open (creating and migrating if needed) the practice database.

    ``create=False``: a SQLite file that does not exist is refused in one line saying how to
    start a practice, instead of being made (the command line passes it for every command but
    those that start one).
    """
    url = resolve_url(url_or_path)
    path = _sqlite_file(url)
    if not create and path is not None and not path.exists():
        raise DatabaseError(
            f"no practice database at {str(path)!r}: check the --db path (or SESSIONS_TUI_DB),"
            " or start one with `sessions-tui staff add LOGIN --name NAME --role admin`"
            " (or `sessions-tui demo`)",
            field="db",
        )
    if path is not None and path.parent.is_dir():
        filemode.create_private(path)
    check_on_open(path)
    engine = make_engine(url)
    try:
        if migrate:
            current = _current_revision(engine)
            if current != HEAD_REVISION:
                _check_known(url, current)
                upgrade(engine)
    except DatabaseError:
        engine.dispose()
        raise
    except SQLAlchemyError as exc:
        engine.dispose()
        failure = storage_failure(exc, repr(str(path)) if path else repr(shown_url(url)))
        if failure is not None:
            raise failure from None
        if isinstance(exc, OperationalError):
            reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
            raise DatabaseError(f"cannot open database {shown_url(url)!r}: {reason}") from None
        orig = getattr(exc, "orig", None)  # the driver's own words ("file is not a database")
        reason = str(orig).splitlines()[0] if orig and str(orig) else exc.__class__.__name__
        raise DatabaseError(f"cannot open database {shown_url(url)!r}: {reason}") from None
    factory = sessionmaker(engine, expire_on_commit=False)
    return Database(engine, factory)
