"""Entry point: ``python -m sessions_tui`` and the ``sessions-tui`` script."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """The ``sessions-tui`` command: run the CLI on ``argv`` and return its exit code."""
    from sessions_tui.cli import run

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
