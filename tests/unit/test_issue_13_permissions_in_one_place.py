"""Issue 13: permission rules live only in ``services/permissions.py``.

Walks the source of the layers that decide or show what someone may do (services, sync, cli,
screens, widgets, app) and fails on an inline role check anywhere else: reading
``.is_admin``/``.is_scheduler`` of a member of staff, or testing membership in a stored
``roles`` value. (``.is_practitioner`` stays allowed: it says who has a calendar, not what
anyone may do. A screen's own ``self.is_admin`` property, which asks permissions.py, is fine.)
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "sessions_tui"
ALLOWED = {PACKAGE / "services" / "permissions.py"}
NOT_SCANNED = ("domain", "store")
"""The layers below the services: they hold no permission of their own to check (the store's
row-level security is the database's, in SQL)."""


def _files() -> list[Path]:
    """Every module of the package (derived from it: a new package or app_* module is
    scanned without being listed) except the layers below the services."""
    out = [
        p
        for p in sorted(PACKAGE.rglob("*.py"))
        if p.relative_to(PACKAGE).parts[0] not in NOT_SCANNED and "migrations" not in p.parts
    ]
    return [p for p in out if p not in ALLOWED]


def _mentions_roles(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "roles" for n in ast.walk(node))


def inline_role_checks(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in ("is_admin", "is_scheduler"):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "permissions")):
                found.append((node.lineno, f".{node.attr}"))
        elif (
            isinstance(node, ast.Compare)
            and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops)
            and any(_mentions_roles(c) for c in node.comparators)
        ):
            found.append((node.lineno, "membership in .roles"))
    return found


def test_issue_13_no_inline_role_check_outside_permissions() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {what}"
        for path in _files()
        for line, what in inline_role_checks(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "use sessions_tui/services/permissions.py:\n" + "\n".join(offenders)


def test_the_walker_finds_what_it_forbids() -> None:
    bad = (
        "ok = actor.is_admin or actor.is_scheduler\n"
        "if 'practitioner' not in row.roles.split(','): pass\n"
        "if Role.ADMIN in person.roles: pass\n"
    )
    assert sorted(what for _line, what in inline_role_checks(bad)) == [
        ".is_admin",
        ".is_scheduler",
        "membership in .roles",
        "membership in .roles",
    ]
    fine = "x = self.is_admin\ny = [p for p in people if p.is_practitioner]\nz = row.roles\n"
    assert inline_role_checks(fine) == []
