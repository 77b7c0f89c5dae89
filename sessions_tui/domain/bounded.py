"""Files read whole are read to a limit: ``clients import /dev/zero`` never ended, its memory
growing, and a config file can be anything a path names. Each reader names its own limit; past
it, one line says so (issue 28)."""

from __future__ import annotations

from pathlib import Path

from sessions_tui.domain.errors import ValidationError

MIB = 1024 * 1024


def size_words(n: int) -> str:
    """``16 MB`` for 16 MiB, ``64 KB`` for 64 KiB: the unit a person reads."""
    return f"{n // MIB} MB" if n >= MIB and n % MIB == 0 else f"{max(1, n // 1024)} KB"


def read_bounded(path: Path, limit: int, what: str) -> bytes:
    """The bytes of ``path``, refused when there are more than ``limit`` of them.

    Reads at most ``limit + 1`` bytes, so an endless file (``/dev/zero``, a pipe that never
    closes its end aside) costs no more than the limit.

    Raises:
        ValidationError: one line naming the file, what it was read as and the limit.
        OSError: the file cannot be opened or read (the caller words it).
    """
    with path.open("rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            f"{str(path)!r} is too large for {what}: the limit is {size_words(limit)};"
            " nothing was read"
        )
    return data
