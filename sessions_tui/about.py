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
    """The ``Version:`` of the first ``sessions_tui-*.dist-info/METADATA`` (or development
    ``sessions_tui.egg-info/PKG-INFO``) on ``sys.path``, where :mod:`importlib.metadata` looks,
    read without importing it (``--version`` then costs about as much as ``python -c pass``;
    issue 29). ``None`` when there is none."""
    import os
    import sys

    stem = DIST_NAME.replace("-", "_")
    for entry in sys.path:
        where = entry or "."
        try:
            names = os.listdir(where)
        except OSError:
            continue
        for name in names:
            if name.startswith(stem + "-") and name.endswith(".dist-info"):
                found = _header_version(os.path.join(where, name, "METADATA"))
            elif name == stem + ".egg-info":
                found = _header_version(os.path.join(where, name, "PKG-INFO"))
            else:
                continue
            if found is not None:
                return found
    return None


def _header_version(path: str) -> str | None:
    """The ``Version:`` header of a core-metadata file, or ``None``."""
    try:
        with open(path, encoding="utf-8") as f:
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
