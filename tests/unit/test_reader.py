"""Issue 13: one read interface. The stdlib-sqlite3 reader and the ORM reader implement one
protocol and answer alike; the window query and "who/where" exist once per backend, name
matching once; screens and the agenda command do not know which reader they got."""

from __future__ import annotations

import ast
import inspect
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import sessions_tui
from sessions_tui.domain.names import find_location, find_practitioner, match_practitioner
from sessions_tui.services import practice
from sessions_tui.services.calendar import Filters, save_filters
from sessions_tui.services.context import Context
from sessions_tui.store.db import Database
from sessions_tui.store.fastread import FastReader, open_fast
from sessions_tui.store.orm_reader import OrmReader
from sessions_tui.store.reader import Reader, open_reader

PACKAGE = Path(sessions_tui.__file__).parent
CHI = ZoneInfo("America/Chicago")


def _protocol_methods() -> set[str]:
    return {n for n, v in vars(Reader).items() if callable(v) and not n.startswith("_")}


def test_both_readers_implement_the_protocol() -> None:
    wanted = _protocol_methods()
    assert {"window", "people_and_places", "staff", "locations", "snapshot"} <= wanted
    for impl in (FastReader, OrmReader):
        for name in wanted:
            mine = inspect.signature(getattr(impl, name))
            theirs = inspect.signature(getattr(Reader, name))
            assert list(mine.parameters) == list(theirs.parameters), (impl, name)


def test_both_readers_answer_alike(demo_db: Database, demo_ctx: Context, tmp_path: Path) -> None:
    assert demo_ctx.actor is not None
    save_filters(demo_ctx, Filters(statuses=frozenset()))
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    fast = open_fast(url)
    assert fast is not None
    orm = OrmReader(demo_db)
    try:
        readers: list[Reader] = [fast, orm]
        answers = []
        for r in readers:
            with r.snapshot():
                staff = r.staff()
                ids = {p.id for p in staff}
                start = datetime(2026, 11, 16, 6, tzinfo=UTC)
                windows = [
                    r.window(
                        start + timedelta(weeks=w), start + timedelta(weeks=w + 1), display_tz=CHI
                    )
                    for w in range(-2, 6)
                ]
                one = r.window(
                    start, start + timedelta(weeks=1), display_tz=CHI, practitioners=[min(ids)]
                )
                answers.append(
                    (
                        staff,
                        r.locations(),
                        r.settings(),
                        r.staff_count(),
                        r.staff_by_login("alice"),
                        r.staff_by_login("nobody"),
                        r.preference(demo_ctx.actor.id, "calendar.filters"),
                        r.secondary_calendars(),
                        r.people_and_places(ids, {1, 2, 999}, {1, 999}),
                        windows,
                        one,
                    )
                )
        assert answers[0] == answers[1]
        assert any(answers[0][9]), "the demo has events in these weeks"
    finally:
        fast.close()


def test_open_reader_chooses_once(demo_db: Database, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    made: list[Reader] = []

    def orm() -> Reader:
        made.append(OrmReader(demo_db))
        return made[-1]

    fast = open_reader(url, orm)
    assert isinstance(fast, FastReader)
    fast.close()
    assert made == []
    assert isinstance(open_reader(url, orm, accept=lambda r: False), OrmReader)
    assert isinstance(open_reader("postgresql+psycopg://x@localhost/y", orm), OrmReader)
    assert isinstance(open_reader(None, orm), OrmReader)


def test_names_are_matched_by_one_set_of_rules(demo_ctx: Context) -> None:
    people = practice.list_staff(demo_ctx)
    ben = practice.find_practitioner(demo_ctx, "ben")
    assert find_practitioner(people, "ben") == ben
    assert match_practitioner(people, "BEN") == ben
    assert match_practitioner(people, "nobody") is None
    with pytest.raises(Exception, match="unknown practitioner 'nobody'"):
        practice.find_practitioner(demo_ctx, "nobody")
    places = practice.list_locations(demo_ctx)
    assert find_location(places, places[0].name.upper()) == places[0]


def _defs(name: str) -> set[str]:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == name:
                found.add(str(path.relative_to(PACKAGE)))
    return found


def test_window_who_where_and_names_exist_once_per_backend() -> None:
    readers = {"store/reader.py", "store/fastread.py", "store/orm_reader.py"}
    assert _defs("window") == readers | {"store/queries.py"}
    assert _defs("people_and_places") == readers | {"store/queries.py"}
    assert _defs("match_practitioner") == {"domain/names.py"}
    assert _defs("match_location") == {"domain/names.py"}


def test_screens_and_the_agenda_do_not_know_which_reader() -> None:
    """Screens and widgets import no backend; the agenda names the ORM one only to say how to
    make it, should open_reader need it."""
    backends = (
        "sessions_tui.store.fastread",
        "sessions_tui.store.orm_reader",
        "sessions_tui.store.queries",
    )
    paths = [*PACKAGE.joinpath("screens").rglob("*.py"), *PACKAGE.joinpath("widgets").rglob("*.py")]
    for path in [*paths, PACKAGE / "cli" / "agenda.py"]:
        allowed = {"sessions_tui.store.orm_reader"} if path.name == "agenda.py" else set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module in backends:
                assert node.module in allowed, (path, node.module)
