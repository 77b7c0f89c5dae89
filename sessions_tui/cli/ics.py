"""``sessions-tui ics``: export, import, serve and url (one-way sync)."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import click

from sessions_tui.cli.options import checked_by, global_options, opts
from sessions_tui.cli.web import serve, serve_options
from sessions_tui.domain.errors import NotFoundError, ValidationError
from sessions_tui.domain.text import count_of
from sessions_tui.domain.urls import check_base_url

_IDENTIFIERS = ["full", "internal-id", "first-name", "initials"]

log = logging.getLogger(__name__)


@click.group()
@global_options
def ics() -> None:
    """One-way sync: ICS export, import and the feed server."""


def _confirm_full(identifier: str | None, i_understand: bool) -> bool:
    """Full names need ``--i-understand-pii`` or an interactive yes; prints the warning."""
    if identifier != "full":
        return False
    from sessions_tui.services.feeds import PII_WARNING

    click.echo(f"Warning: {PII_WARNING}", err=True)
    if i_understand:
        return True
    if sys.stdin.isatty():
        return click.confirm("Put full client names in the calendar?", default=False, err=True)
    raise ValidationError(
        "full client names need --i-understand-pii (or an interactive yes); nothing written"
    )


@ics.command("export")
@global_options
@click.option(
    "--practitioner",
    metavar="NAME",
    help="Their calendar (default: yours, or the whole practice for schedulers and admins).",
)
@click.option(
    "--identifier",
    type=click.Choice(_IDENTIFIERS),
    default=None,
    help="How clients are named (default: the feed's setting, else initials).",
)
@click.option(
    "--i-understand-pii", "pii", is_flag=True, help="Confirm full client names (PII/HIPAA)."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE (default, or -: standard output).",
)
def ics_export(
    practitioner: str | None, identifier: str | None, pii: bool, output: Path | None
) -> None:
    """Write an RFC 5545 calendar."""
    from sessions_tui.services.feeds import IdentifierMode, get_feed, parse_identifier
    from sessions_tui.services.permissions import is_manager
    from sessions_tui.services.practice import find_practitioner
    from sessions_tui.sync.ics import export_calendar

    ctx = opts().context()
    actor = ctx.require_actor()
    pid: int | None
    if practitioner:
        pid = find_practitioner(ctx, practitioner).id
    elif is_manager(actor):
        pid = None
    else:
        pid = actor.id
    if identifier is not None:
        mode = parse_identifier(identifier)
    elif pid is not None:
        mode = get_feed(ctx, pid).identifier
    else:
        mode = IdentifierMode.INITIALS
    if identifier is None and mode is IdentifierMode.FULL:
        # The feed's own setting, confirmed when it was chosen; warn again all the same.
        from sessions_tui.services.feeds import PII_WARNING

        click.echo(f"Warning: {PII_WARNING}", err=True)
        confirmed = True
    else:
        confirmed = _confirm_full(mode.value, pii)
    data = export_calendar(ctx, practitioner_id=pid, identifier=mode, confirm_pii=confirmed)
    if output is None or str(output) == "-":  # ``-o -`` is standard output, as elsewhere
        click.echo(data.decode("utf-8"), nl=False)
        return
    if output.parent and not output.parent.exists():
        raise ValidationError(
            f"bad -o {str(output)!r}: folder {str(output.parent)!r} does not exist"
        )
    _write_file(output, data)
    log.info("ICS export (practitioner %s): %s bytes", pid, len(data))
    click.echo(f"Wrote {count_of(data.count(b'BEGIN:VEVENT'), 'event')} to {output}.", err=True)


def _write_file(output: Path, data: bytes) -> None:
    """Write ``data`` to ``output``: a regular file is replaced whole (a temporary file beside
    it, then a rename), so a failure leaves the old file as it was; anything else (a pipe,
    ``/dev/stdout``) is written directly.

    Raises:
        ValidationError: the file cannot be written, naming it and why.
    """
    import os

    try:
        regular = not output.exists() or output.is_file()
        if not regular:
            output.write_bytes(data)
            return
        tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, output)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ValidationError(f"cannot write -o {str(output)!r}: {reason}") from None


class _Reading:
    """A binary file that moves a progress bar as it is read; the import reads it twice (a
    scan, then the events), so the bar runs over twice its size."""

    def __init__(self, fp: BinaryIO, bar: Any, size: int) -> None:
        self.fp, self.bar, self.size = fp, bar, size
        self.passes = -1
        self.done = 0

    def seek(self, offset: int, whence: int = 0) -> int:
        if offset == 0 and whence == 0:
            self.passes += 1
        return self.fp.seek(offset, whence)

    def read(self, n: int = -1) -> bytes:
        data = self.fp.read(n)
        at = min(max(self.passes, 0) * self.size + self.fp.tell(), 2 * self.size)
        if at > self.done:
            self.bar.update(at - self.done)
            self.done = at
        return data

    def fileno(self) -> int:
        return self.fp.fileno()


@contextlib.contextmanager
def _progress(fp: BinaryIO, size: int) -> Iterator[BinaryIO]:
    """``fp``, drawing a progress bar on stderr while it is read when stderr is a terminal
    and the file is large enough to wait for (1 MB); silent when piped."""
    if size < (1 << 20) or not sys.stderr.isatty():
        yield fp
        return
    with click.progressbar(length=2 * size, label="Importing", file=sys.stderr) as bar:
        yield _Reading(fp, bar, size)  # type: ignore[misc]


@ics.command("import")
@global_options
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--practitioner", metavar="NAME", required=True, help="Whose calendar gets them.")
@click.option(
    "--calendar",
    "label",
    metavar="LABEL",
    help="Label of the imported calendar (default: X-WR-CALNAME, else the file name).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Refuse the whole file at its first bad event (default: skip it and say so).",
)
@click.option(
    "--max-size",
    type=click.IntRange(1, 1 << 16),
    default=256,
    show_default=True,
    metavar="MB",
    help="Refuse a file larger than this.",
)
def ics_import(
    file: Path, practitioner: str, label: str | None, strict: bool, max_size: int
) -> None:
    """Bring an .ics file in as other events (by UID). An event that cannot be read is skipped
    with a line naming it; --strict refuses the whole file instead. A progress bar shows on
    stderr when it is a terminal."""
    from sessions_tui.services.practice import find_practitioner
    from sessions_tui.sync.ics import import_calendar

    ctx = opts().context()
    pid = find_practitioner(ctx, practitioner).id
    # The file is read in blocks (twice), never held whole: memory does not grow with it.
    try:
        with file.open("rb") as fp:
            size = os.fstat(fp.fileno()).st_size
            with _progress(fp, size) as source:
                report = import_calendar(
                    ctx,
                    source,
                    practitioner_id=pid,
                    name=file.name,
                    label=label,
                    strict=strict,
                    max_bytes=max_size << 20,
                )
    except OSError as exc:
        raise ValidationError(f"cannot read {str(file)!r}: {exc.strerror or exc}") from None
    log.info("ICS import for practitioner %s: %s bytes, %s events", pid, size, report.events)
    for line in report.lines():
        click.echo(line, err=True)
    click.echo(report.summary())


@ics.command("url")
@global_options
@click.option("--practitioner", metavar="NAME", required=True, help="Whose feed.")
@click.option("--rotate", is_flag=True, help="Make a new secret URL; the old one stops working.")
@click.option(
    "--identifier",
    type=click.Choice(_IDENTIFIERS),
    default=None,
    help="Change how clients are named in the feed.",
)
@click.option(
    "--i-understand-pii", "pii", is_flag=True, help="Confirm full client names (PII/HIPAA)."
)
@click.option("--disable", is_flag=True, help="Turn the feed off (the URL then gives 404).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True)
@click.option(
    "--base-url",
    metavar="URL",
    callback=checked_by(check_base_url),
    help="Public base URL behind a reverse proxy, e.g. https://cal.example.org",
)
def ics_url(
    practitioner: str,
    rotate: bool,
    identifier: str | None,
    pii: bool,
    disable: bool,
    host: str,
    port: int,
    base_url: str | None,
) -> None:
    """Print (creating if needed) a practitioner's feed URL."""
    from sessions_tui.services import feeds
    from sessions_tui.services.practice import find_practitioner

    ctx = opts().context()
    pid = find_practitioner(ctx, practitioner).id
    if identifier is not None:
        mode = feeds.parse_identifier(identifier)
        feeds.set_identifier(ctx, pid, mode, confirm_pii=_confirm_full(identifier, pii))
    if disable:
        feeds.set_enabled(ctx, pid, False)
        click.echo("The feed is off; its URL answers 404 until it is turned on again.")
        return
    feed = feeds.rotate_token(ctx, pid) if rotate else feeds.ensure_feed(ctx, pid)
    url = feed.url(base_url or f"http://{host}:{port}")
    if url is None:
        # Only the token's hash is stored, so a copy of the database gives no working URL;
        # the URL was shown once, when it was made.
        raise NotFoundError(
            "the feed's URL is shown only when it is made and is not stored; "
            f"`sessions-tui ics url --practitioner {practitioner} --rotate` makes a new one "
            "(the old URL then stops working)"
        )
    click.echo(url)
    click.echo(f"Clients are named by: {feed.identifier.label.lower()}.", err=True)


@ics.command("serve")
@global_options
@serve_options
def ics_serve(
    host: str, port: int, max_connections: int, idle_timeout: float, page_limit: int
) -> None:
    """Serve the feeds at /feeds/<token>.ics: the web service (the same as `web serve`)."""
    serve(host, port, max_connections, idle_timeout, page_limit)
