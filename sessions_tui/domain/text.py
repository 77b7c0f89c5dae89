"""Text from outside (ICS, Google, CSV, typed) made safe to put on a terminal.

A title holding ``ESC ] 0 ; … BEL`` retitles the terminal window, ``ESC [ 2 J`` clears it, and
the 8-bit C1 forms (``U+009B`` is CSI) do the same on terminals that honour them. Nothing
coming from outside reaches a terminal with such a character in it: :func:`safe_text` makes
every control character *visible* instead (a person should see that a title is odd, not have it
silently changed), using the Unicode "control pictures" for C0 (``ESC`` shows as ``␛``) and a
``\\uNNNN`` escape (valid inside JSON too) for DEL, C1 and the bidirectional overrides that can
reorder what a line appears to say.

The stored text is never changed: JSON output keeps the exact characters (escaped by JSON), and
only what is shown on a screen passes through here.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
UNSAFE_CHARACTERS = f"[\x00-\x1f\x7f-\x9f{_BIDI}]"
"""A regular-expression class of every character no screen may draw raw: C0, DEL, C1 and the
bidirectional marks, overrides and isolates (what :func:`safe_text` shows visibly and the
TUI's last line filter removes)."""
_UNSAFE = re.compile(UNSAFE_CHARACTERS)
_UNSAFE_KEEP_LINES = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
# A stream keeps CRLF line ends too (an .ics written to stdout needs them); a lone CR, which
# would let text overwrite its own line on a terminal, is still shown.
_UNSAFE_STREAM = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]|\r(?!\n)")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟ (ESC is ␛)
    # DEL, C1 and bidi as ``\uNNNN``: visible, and still valid inside a JSON string.
    return f"\\u{code:04x}"


def safe_text(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every control character made visible.

    Args:
        text: Any string that may have come from outside.
        keep_newlines: Keep ``\\n`` and ``\\t`` as they are (for multi-line fields such as a
            description); otherwise they are shown as ``␊`` and ``␉`` so one line stays one line.

    Returns:
        The same text when it holds no control character (the common case costs one search).
    """
    return _shown(_UNSAFE_KEEP_LINES if keep_newlines else _UNSAFE, text)


def _shown(pattern: re.Pattern[str], text: str) -> str:
    """``text`` with what ``pattern`` matches made visible (one search when nothing is)."""
    if pattern.search(text) is None:
        return text
    return pattern.sub(_visible, text)


def has_controls(text: str) -> bool:
    """Whether ``text`` holds a character :func:`safe_text` would change (C0, DEL, C1, bidi)."""
    return _UNSAFE.search(text) is not None


class SafeStream:
    """A text stream that passes everything written through :func:`redact_secrets` and
    :func:`safe_text` (lines kept).

    The command line writes through this (``cli.run``), so no output of any command, error
    lines included, can carry a control sequence from the data it shows. The CLI writes no
    colours of its own, so nothing legitimate is lost.
    """

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner

    def write(self, text: str | bytes) -> int:
        """Write ``text`` filtered (control characters and passwords masked); return its length.

        Bytes (what click writes when a stream has no ``buffer``, as for shell completion)
        are taken as UTF-8 and filtered the same way.
        """
        value = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        self._inner.write(_shown(_UNSAFE_STREAM, redact_secrets(value)))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        """Write each of ``lines`` through :meth:`write`."""
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        # encoding, errors, isatty, flush, fileno, ... are the wrapped stream's. ``buffer`` is
        # left out on purpose, so that nothing writes bytes around the filter.
        if name == "buffer":
            raise AttributeError(name)
        return getattr(self._inner, name)


@contextmanager
def safe_std_streams() -> Iterator[None]:
    """Filter ``sys.stdout`` and ``sys.stderr`` through :class:`SafeStream` for a block."""
    out, err = sys.stdout, sys.stderr
    sys.stdout = SafeStream(out)  # type: ignore[assignment]
    sys.stderr = SafeStream(err)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


# ``scheme://user:password@host`` and libpq's ``password=...`` (keyword form or query string).
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][\w+.-]*://[^\s/:@'\"]*:)([^\s@'\"]*)@")
_KEY_PASSWORD = re.compile(r"(\bpassword\s*=\s*)('[^']*'|[^\s&'\"]+)", re.IGNORECASE)
MASK = "***"


def redact_secrets(text: str) -> str:
    """``text`` with every database password in it replaced by ``***``.

    Used for every message, hint and log line that may hold a database URL: the password in
    ``postgresql+psycopg://user:secret@host/db`` and ``password=secret`` both become ``***``.
    """
    if "://" not in text and "password" not in text.lower():
        return text
    text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{MASK}@", text)
    return _KEY_PASSWORD.sub(lambda m: f"{m.group(1)}{MASK}", text)


class RedactingFilter(logging.Filter):
    """A logging filter that masks database passwords in every record it passes.

    Installed on the handlers of the root logger by :func:`install_log_redaction`, so a record
    from any module (SQLAlchemy's and psycopg's included) is masked before it is written.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask passwords in the record's message and traceback; always pass it."""
        message = record.getMessage()
        masked = redact_secrets(message)
        if masked != message or record.exc_info:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks quote exception messages (a failed connect names its URL).
            import traceback

            lines = traceback.format_exception(*record.exc_info)
            record.msg = masked + "\n" + redact_secrets("".join(lines)).rstrip()
            record.exc_info, record.exc_text = None, None
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Add a :class:`RedactingFilter` to every handler of ``logger`` (default: the root)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


def count_of(n: int, word: str, words: str | None = None) -> str:
    """``n`` with the word in the right number: ``1 event``, ``2 events``, ``0 events``
    (``words`` for a plural that is not ``word + "s"``: ``count_of(2, "entry", "entries")``)."""
    return f"{n} {word if n == 1 else (words or word + 's')}"
