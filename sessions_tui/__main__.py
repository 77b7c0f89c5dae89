"""Entry point: ``python -m sessions_tui`` and the ``sessions-tui`` script.

A few commands are answered before click, logging and the command groups are imported
(:mod:`sessions_tui.cli.quick`): ``--version`` prints a constant, and the agenda's common forms
read and print without them (issue 29). Anything else, and anything those do not understand,
goes to the whole CLI, which gives the errors.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """The ``sessions-tui`` command: run the CLI on ``argv`` and return its exit code."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:  # before any import: it prints a constant
        from sessions_tui.about import version

        sys.stdout.write(f"sessions-tui {version()}\n")
        return 0
    from sessions_tui.cli.quick import quick

    code = quick(args)
    if code is not None:
        return code
    from sessions_tui.cli import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
