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
    found = _dist_info_version()
    if found is not None:
        return found
    from importlib import metadata  # ~30 ms of CPU: only when the quick look finds nothing

    try:
        return metadata.version(DIST_NAME)
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _dist_info_version() -> str | None:
    """The ``Version:`` of the first ``sessions_tui-*.dist-info/METADATA`` on ``sys.path``, the
    entry :mod:`importlib.metadata` would find first, read without importing it (``--version``
    then costs about as much as ``python -c pass``; issue 29). ``None`` when there is none."""
    import os
    import sys

    prefix = DIST_NAME.replace("-", "_") + "-"
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.startswith(prefix[:-1]) and name.endswith(".egg-info"):
                return None  # a development install's metadata: importlib.metadata reads it
            if name.startswith(prefix) and name.endswith(".dist-info"):
                try:
                    with open(os.path.join(entry or ".", name, "METADATA"), encoding="utf-8") as f:
                        for line in f:
                            if line.startswith("Version:"):
                                return line[len("Version:") :].strip()
                            if not line.strip():
                                break  # the headers end at the first blank line
                except OSError:
                    pass
    return None


def prodid() -> str:
    """The ICS ``PRODID`` of calendars we write (RFC 5545 3.7.3), naming this version."""
    return f"-//sessions-tui//sessions-tui {version()}//EN"
