"""Issue 13: one module writes event and exdate rows. This walks the package's source (ast) and
fails if any other module inserts, updates or deletes them, so a fifth path cannot come back.

What counts as a write, outside :mod:`sessions_tui.services.writer`:

- making a row object (``EventRow(...)``/``ExdateRow(...)``: it is added to a session to insert);
- ``insert``/``update``/``delete`` statements on those tables (by model, by ``__table__``, or by
  a module-level alias of the table such as ``_EV``), and ``table.insert()``/``.delete()``;
- ``fill_row`` (copies an event into a row; its own definition in the store aside) and
  assigning a column only event rows have;
- ``session.delete(x)`` in a module that reads event rows, unless ``x`` is plainly another kind
  of row (a name with ``link``/``token``/``feed``... in it) or the receiver is a writer;
- SQL text that inserts into, updates or deletes from ``event``/``exdate``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import sessions_tui

PACKAGE = Path(sessions_tui.__file__).parent
WRITERS = {"services/writer.py", "services/writer_batch.py"}
SKIPPED_DIRS = ("store/migrations/",)
"""Migrations build the schema (and its audit triggers); they write no schedule rows."""

TABLE_MODELS = {"EventRow", "ExdateRow"}
EVENT_ONLY_COLUMNS = {
    "start_utc",
    "end_utc",
    "span_s",
    "rrule",
    "is_series",
    "series_end_utc",
    "recurrence_key",
    "series_id",
}
OTHER_ROW_HINTS = ("link", "token", "feed", "account", "cal", "subscription", "hour", "override_")
SQL_WRITE = re.compile(
    r"\b(insert\s+into|update|delete\s+from)\s+\"?(event|exdate)\"?\b", re.IGNORECASE
)


def _mentions_table(node: ast.AST, aliases: set[str]) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and (sub.id in TABLE_MODELS or sub.id in aliases):
            return True
        if isinstance(sub, ast.Attribute) and sub.attr in aliases:
            return True
    return False


def _aliases(tree: ast.Module) -> set[str]:
    """Names bound to ``EventRow.__table__``/``ExdateRow.__table__`` anywhere in the module."""
    out: set[str] = set()
    for node in ast.walk(tree):
        value = getattr(node, "value", None)
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        if value is None or not targets:
            continue
        if any(
            isinstance(s, ast.Attribute)
            and s.attr == "__table__"
            and isinstance(s.value, ast.Name)
            and s.value.id in TABLE_MODELS
            for s in ast.walk(value)
        ):
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        out.add(name.id)
    return out


def _callee(call: ast.Call) -> str:
    f = call.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute):
        return f.attr
    return ""


def _is_writer(receiver: ast.expr) -> bool:
    text = ast.unparse(receiver)
    return text in ("w", "self.out") or "writer" in text.lower()


def _row_copier_lines(tree: ast.Module) -> set[int]:
    """Lines of ``fill_row``'s own body: it copies an event into a row object it is given."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "fill_row":
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def writes_in(source: str) -> list[str]:
    """Each event/exdate write in ``source`` as ``"line N: what"``."""
    tree = ast.parse(source)
    copier = _row_copier_lines(tree)
    aliases = _aliases(tree)
    reads_events = bool(aliases) or any(
        isinstance(n, ast.Name) and n.id in TABLE_MODELS for n in ast.walk(tree)
    )
    found: list[str] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Call):
            name = _callee(node)
            if isinstance(node.func, ast.Attribute) and _is_writer(node.func.value):
                continue
            if name in TABLE_MODELS:
                found.append(f"line {line}: makes a {name}")
            elif (
                name in ("insert", "update", "delete")
                and isinstance(node.func, ast.Name)
                and any(_mentions_table(a, aliases) for a in node.args)
            ):
                found.append(f"line {line}: {name}() statement on an event table")
            elif (
                name in ("insert", "update", "delete")
                and isinstance(node.func, ast.Attribute)
                and _mentions_table(node.func.value, aliases)
                and not node.args
            ):
                found.append(f"line {line}: table.{name}()")
            elif name == "fill_row":
                found.append(f"line {line}: fill_row")
            elif (
                name == "delete"
                and reads_events
                and isinstance(node.func, ast.Attribute)
                and len(node.args) == 1
            ):
                arg = ast.unparse(node.args[0]).lower()
                if not any(hint in arg for hint in OTHER_ROW_HINTS):
                    found.append(f"line {line}: session.delete({arg})")
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign) and line not in copier:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr in EVENT_ONLY_COLUMNS:
                    found.append(f"line {line}: sets .{target.attr}")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and SQL_WRITE.search(node.value)
        ):
            found.append(f"line {line}: SQL text writing an event table")
    return found


def test_issue_13_only_the_writer_writes_event_rows() -> None:
    offenders: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel in WRITERS or rel.startswith(SKIPPED_DIRS):
            continue
        found = writes_in(path.read_text(encoding="utf-8"))
        if found:
            offenders[rel] = found
    assert not offenders, "event/exdate rows written outside services/writer.py: " + "; ".join(
        f"{k}: {', '.join(v)}" for k, v in offenders.items()
    )


def test_the_walker_sees_each_shape_of_write() -> None:
    """The check is only as good as what it recognises: every shape seen on main is caught."""
    shapes = {
        "s.add(EventRow(uid='x'))": "makes a EventRow",
        "s.add(ExdateRow(series_id=1, recurrence_key='k'))": "makes a ExdateRow",
        "s.execute(delete(EventRow).where(EventRow.id == 1))": "delete() statement",
        "s.execute(delete(ExdateRow))": "delete() statement",
        "T = EventRow.__table__\ns.execute(insert(T), rows)": "insert() statement",
        "_EV = EventRow.__table__\ns.execute(_EV.delete().where(x))": "table.delete()",
        "s.execute(update(EventRow.__table__).values(title='x'))": "update() statement",
        "queries.fill_row(row, event)": "fill_row",
        "row.version += 1\nrow.start_utc = now": "sets .start_utc",
        "x = EventRow\ns.delete(row)": "session.delete(row)",
        "s.execute(text('DELETE FROM event WHERE id = 1'))": "SQL text",
        "s.execute(text('update exdate set recurrence_key = 1'))": "SQL text",
    }
    for source, expected in shapes.items():
        found = writes_in(source)
        assert any(expected in f for f in found), (source, found)
    harmless = [
        "s.delete(link)",
        "x = EventRow\ns.delete(link_row)",
        "s.execute(select(EventRow).where(EventRow.id == 1))",
        "s.execute(delete(SyncLinkRow))",
        "s.execute(text('SELECT * FROM event'))",
        "T = ExdateRow.__table__\nhave.update(s.execute(select(T.c.id)))",
        "writer.delete(row)\nw.delete(child)",
    ]
    for source in harmless:
        assert writes_in(source) == [], source
