"""RFC 5545 content lines, by hand: unfolding, splitting, TEXT escaping and folding.

The ICS reader and writer use these instead of building icalendar component trees, which cost
most of the time of a large import or export (see docs/PERFORMANCE.md). Nothing here knows
about events; :mod:`sessions_tui.sync.ics_read` and :mod:`sessions_tui.sync.ics_write` do.

Rules followed (RFC 5545 section 3.1, 3.3.11):

* A content line is folded by inserting CRLF and one space (or tab); unfolding removes a line
  break followed by one space or tab. Lines end in CRLF, but LF and CR alone are accepted.
  Blank lines are skipped (as icalendar does).
* A line is ``name *(";" param) ":" value``; a parameter value may be quoted with ``"`` and
  then contain ``:`` and ``;``.
* TEXT values escape backslash, semicolon, comma and newline (``\\\\ \\; \\, \\n``).
* Folded lines are at most 75 octets, not counting the CRLF, and a fold never splits a
  multi-byte UTF-8 character.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

_NAME = re.compile(r"[A-Za-z0-9-]+\Z")
_UNESCAPE = re.compile(r"\\([\\,;:nN])")
_FOLD_OCTETS = 75
_BLOCK = 1 << 20  # characters split into lines at a time


Source = str | Iterable[str]
"""A file's text: one string, or its blocks in order
(:func:`sessions_tui.sync.ics.parse.file_blocks` reads a file that way), each ending where a
content line ends (after a line end that no folded continuation follows), so no content line
spans two blocks."""


def blocks_of(source: Source) -> Iterable[str]:
    """The blocks of ``source`` (a string is its own single block)."""
    return (source,) if isinstance(source, str) else source


def _physical_lines(source: Source) -> Iterator[str]:
    """The lines of ``source`` without their line ends (CRLF, LF or CR), lazily.

    The text is split a block at a time: ``io.StringIO`` would copy a large file into four
    bytes per character, and ``str.splitlines`` also breaks at characters (U+2028, form feed)
    that are not line ends in iCalendar.
    """
    for text in blocks_of(source):
        size = len(text)
        pos = 0
        while pos < size:
            end = text.find("\n", min(pos + _BLOCK, size))
            end = size if end == -1 else end + 1
            parts = text[pos:end].split("\n")
            pos = end
            if parts[-1] == "":
                parts.pop()
            for line in parts:
                if "\r" in line:
                    if line[-1] == "\r":
                        line = line[:-1]
                    if "\r" in line:  # old Mac line ends: CR alone
                        yield from line.split("\r")
                        continue
                yield line


def iter_content_lines(text: Source) -> Iterator[tuple[int, str]]:
    """``(line number, unfolded content line)`` for each content line of ``text``.

    The line number is that of the content line's first physical line (1-based, counting
    CRLF, LF and CR line ends). Reading is lazy: a 100,000-event file is never split into a
    list of lines.
    """
    pending: str | None = None
    pending_at = 0
    number = 0
    for line in _physical_lines(text):
        number += 1
        if not line:
            continue
        first = line[0]
        if (first == " " or first == "\t") and pending is not None:
            pending += line[1:]
            continue
        if pending is not None:
            yield pending_at, pending
        pending, pending_at = line, number
    if pending is not None:
        yield pending_at, pending


def split_content_line(line: str) -> tuple[str, str, str] | None:
    """``(NAME in upper case, raw parameter text, raw value)``, or ``None`` if malformed.

    The parameter text is everything between the first ``;`` and the value's ``:`` (a ``:``
    inside a quoted parameter value does not end the parameters).
    """
    colon = line.find(":")
    if colon <= 0:
        return None
    semi = line.find(";", 0, colon)
    if semi == -1:
        name, params = line[:colon], ""
    else:
        name = line[:semi]
        if '"' in line[semi:colon]:
            colon = _value_colon(line, semi)
            if colon == -1:
                return None
        params = line[semi + 1 : colon]
        if not params:
            return None
    upper = _NAMES.get(name)
    if upper is None:
        if not _NAME.match(name):
            return None
        upper = name.upper()
        if len(_NAMES) < _NAMES_KEPT:
            _NAMES[name] = upper
    return upper, params, line[colon + 1 :]


_NAMES: dict[str, str] = {}
"""Property names already checked, and their upper case: a file repeats a few dozen."""
_NAMES_KEPT = 1000


def _value_colon(line: str, start: int) -> int:
    """The first ``:`` at or after ``start`` outside double quotes (-1: none, or a quote
    never closed before it)."""
    pos = start
    while True:
        colon = line.find(":", pos)
        quote = line.find('"', pos, colon if colon != -1 else len(line))
        if quote == -1:
            return colon
        closing = line.find('"', quote + 1)
        if closing == -1:
            return -1
        pos = closing + 1


def parse_params(params: str) -> dict[str, str] | None:
    """Parameters as ``{NAME: value}`` (quotes removed), or ``None`` if malformed.

    A parameter given twice, or one with a list of values, is returned as its raw text; the
    callers only act on single-valued parameters (TZID, VALUE) and hand anything odd to
    icalendar.
    """
    out: dict[str, str] = {}
    if not params:
        return out
    for part in _split_params(params):
        key, sep, value = part.partition("=")
        if not sep or not _NAME.match(key):
            return None
        if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
            value = value[1:-1]
        elif '"' in value:
            return None
        key = key.upper()
        if key in out:
            return None
        out[key] = value
    return out


def _split_params(params: str) -> list[str]:
    if '"' not in params:
        return params.split(";")
    parts: list[str] = []
    in_quotes = False
    begin = 0
    for i, ch in enumerate(params):
        if ch == '"':
            in_quotes = not in_quotes
        elif ch == ";" and not in_quotes:
            parts.append(params[begin:i])
            begin = i + 1
    parts.append(params[begin:])
    return parts


def unescape_text(value: str) -> str:
    """A TEXT value's text: ``\\n`` and ``\\N`` are newlines.

    ``\\\\ \\; \\, \\:`` lose the backslash; any other backslash is kept, as icalendar does.
    """
    if "\\" not in value:
        return value
    return _UNESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def escape_text(value: str) -> str:
    """Escape a TEXT value (backslash first, so escapes are not escaped twice)."""
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if ";" in value:
        value = value.replace(";", "\\;")
    if "," in value:
        value = value.replace(",", "\\,")
    if "\n" in value or "\r" in value:
        value = value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
    return value


def fold_line(line: str) -> str:
    """``line`` plus CRLF, folded into pieces of at most 75 octets (UTF-8) each.

    Continuation pieces start with one space, which counts towards their 75 octets. A
    multi-byte character is never split.
    """
    if len(line) <= _FOLD_OCTETS and line.isascii():
        return line + "\r\n"
    encoded = line.encode("utf-8")
    if len(encoded) <= _FOLD_OCTETS:
        return line + "\r\n"
    pieces: list[str] = []
    start = 0
    limit = _FOLD_OCTETS
    total = len(encoded)
    while start < total:
        end = min(start + limit, total)
        # Step back off UTF-8 continuation bytes (0b10xxxxxx) so a character stays whole.
        while end < total and (encoded[end] & 0xC0) == 0x80:
            end -= 1
        pieces.append(encoded[start:end].decode("utf-8"))
        start = end
        limit = _FOLD_OCTETS - 1  # the leading space of a continuation line
    return "\r\n ".join(pieces) + "\r\n"
