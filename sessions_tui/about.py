"""The program's name and version, as installed (from the package metadata).

Kept free of other imports so that the CLI's ``--version``, the ICS PRODID and the log file's
first line can all ask cheaply.
"""

from __future__ import annotations

from functools import cache

DIST_NAME = "sessions-tui"


@cache
def version() -> str:
    """The installed distribution's version (``pyproject.toml``), e.g. ``"0.1.0"``.

    A source tree that was never installed has no metadata; it reports ``"0+unknown"`` rather
    than failing, so the program still starts.
    """
    from importlib import metadata  # here: ~15 ms that only --version, --help and ICS need

    try:
        return metadata.version(DIST_NAME)
    except metadata.PackageNotFoundError:
        return "0+unknown"


def prodid() -> str:
    """The ICS ``PRODID`` of calendars we write (RFC 5545 3.7.3), naming this version."""
    return f"-//sessions-tui//sessions-tui {version()}//EN"
