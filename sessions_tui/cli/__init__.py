"""The ``sessions-tui`` command line (click): one module per command group.

:mod:`sessions_tui.cli.main` holds the group and the runner; this package's ``__init__`` stays
import-free, so importing a command module does not pull in the others.
"""

from __future__ import annotations


def run(argv: list[str] | None = None) -> int:
    """Run the CLI (see :func:`sessions_tui.cli.main.run`)."""
    from sessions_tui.cli.main import run as _run

    return _run(argv)
