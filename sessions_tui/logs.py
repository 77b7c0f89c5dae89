"""Logging with the standard library: one rotating file in platformdirs' user log dir.

``~/.local/state/sessions-tui/log/sessions-tui.log`` on Linux (``XDG_STATE_HOME`` moves it;
``SESSIONS_TUI_LOG_DIR`` names another folder). The CLI calls :func:`setup_logging` once, with
``--log-level`` (default ``INFO``) or ``--debug``; the help screen shows :func:`log_path`.

What goes in, and what never does:

- Only the ``sessions_tui.*`` loggers write to the file. Third-party loggers (SQLAlchemy,
  googleapiclient, urllib3) are left at their defaults and never reach it, even with
  ``--debug``: SQLAlchemy's engine log carries statement parameters (client names, notes) and
  googleapiclient's carries request URLs and bodies. The root logger's level is not touched,
  because SQLAlchemy turns statement logging on when its logger is enabled for INFO.
- Our own lines name rows by id and count them; they never carry a client's name, notes, a
  token or a password. :class:`Redact` masks what looks like a credential anyway (bearer
  tokens, ``token=…``/``password=…`` pairs, feed URL tokens), as a second line of defence.
- The file and its folder are private to the user (0600/0700): a traceback can name paths.

Rotation: 1 MB per file, three old files kept. Several processes (a TUI and a sync service)
may write the same file; a line can then land in a rotated file, nothing worse.
"""

from __future__ import annotations

import logging
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from sessions_tui.about import version

LOGGER = "sessions_tui"
LOG_FILE = "sessions-tui.log"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_MAX_BYTES = 1_000_000
_BACKUPS = 3

_handler: logging.Handler | None = None
_stderr: logging.Handler | None = None


def log_dir() -> Path:
    """The folder of the log file: ``SESSIONS_TUI_LOG_DIR``, else platformdirs' user log dir."""
    override = os.environ.get("SESSIONS_TUI_LOG_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_log_dir

    return Path(user_log_dir("sessions-tui", appauthor=False))


def log_path() -> Path:
    """Where the log file is (it may not exist yet); the help screen and ``--help`` show it."""
    return log_dir() / LOG_FILE


class Redact(logging.Filter):
    """Masks credentials in a record's message (and its traceback text) before it is written."""

    _PATTERNS = (
        (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+"), r"\1 <redacted>"),
        (
            re.compile(
                r"(?i)\b(access_token|refresh_token|id_token|client_secret|token|password|"
                r"passwd|secret|code)(['\"]?\s*[:=]\s*['\"]?)[^\s'\",&;}]+"
            ),
            r"\1\2<redacted>",
        ),
        (re.compile(r"/feeds/[A-Za-z0-9_-]{8,}"), "/feeds/<token>"),
        (re.compile(r"(?i)(://[^:/@\s]+:)[^@\s]+@"), r"\1<redacted>@"),
    )

    @classmethod
    def scrub(cls, text: str) -> str:
        """``text`` with every credential-looking part replaced by ``<redacted>``."""
        for pattern, repl in cls._PATTERNS:
            text = pattern.sub(repl, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub the record's message and traceback text (:meth:`scrub`); always pass it."""
        record.msg = self.scrub(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        return True


class _UTCFormatter(logging.Formatter):
    """Times in UTC (``2026-11-25T16:00:00.123Z``), as everything else we store."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC)
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def parse_level(name: str) -> int:
    """``"debug"``, ``"INFO"``, … as a :mod:`logging` level; anything else is a ValueError."""
    upper = name.strip().upper()
    if upper not in LEVELS:
        raise ValueError(f"unknown log level {name!r} (one of {', '.join(LEVELS).lower()})")
    return int(getattr(logging, upper))


class _LazyFile(logging.Handler):
    """The rotating log file, opened at the first record written to it.

    Most runs of the CLI write no record at the default level; they then never import
    ``logging.handlers`` and ``platformdirs`` nor touch the folder (a sixth of an ``agenda``
    run's imports). The file, when opened, is the same: made ``0600`` in a ``0700`` folder,
    every record through :class:`Redact`; a folder that cannot be made or written means no
    log file, never a failure.
    """

    def __init__(self, path: Path | None) -> None:
        super().__init__()
        self._path = path
        self._file: logging.Handler | None = None
        self._failed = False

    def open(self) -> logging.Handler | None:
        if self._file is None and not self._failed:
            import logging.handlers

            try:
                target = self._path or log_path()
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                handler = logging.handlers.RotatingFileHandler(
                    target, maxBytes=_MAX_BYTES, backupCount=_BACKUPS, encoding="utf-8"
                )
                os.chmod(target, 0o600)
            except (OSError, RuntimeError):  # RuntimeError: platformdirs found no home directory
                self._failed = True
                return None
            fmt = "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"
            handler.setFormatter(_UTCFormatter(fmt))
            handler.addFilter(Redact())
            self._file = handler
        return self._file

    def emit(self, record: logging.LogRecord) -> None:
        handler = self.open()
        if handler is not None:
            handler.handle(record)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()


def setup_logging(level: int | str = logging.INFO, path: Path | None = None) -> None:
    """Send the ``sessions_tui`` loggers to the rotating log file at ``level``.

    Called again (tests run the CLI many times in one process), it replaces its own handler.
    The file is opened at the first record (:class:`_LazyFile`); when its folder cannot be made
    or written (a read-only or missing HOME) the program runs without a log file.
    """
    global _handler, _stderr
    lvl = parse_level(level) if isinstance(level, str) else level
    logger = logging.getLogger(LOGGER)
    for old in (_handler, _stderr):
        if old is not None:
            logger.removeHandler(old)
            old.close()
    _handler = _stderr = None
    for old in [h for h in logger.handlers if isinstance(h, logging.NullHandler)]:
        logger.removeHandler(old)
    # Records still propagate to the root logger, which has no handler of ours (a test's caplog
    # has one); having found this handler, logging no longer prints warnings to stderr itself.
    logger.setLevel(lvl)
    handler = _LazyFile(path)
    logger.addHandler(handler)
    _handler = handler
    if logger.isEnabledFor(logging.DEBUG):  # version() reads the package metadata: not free
        logger.debug("sessions-tui %s, log level %s", version(), logging.getLevelName(lvl))


def set_level(level: int | str) -> None:
    """Change the level of the ``sessions_tui`` loggers (``--log-level``, ``--debug``)."""
    lvl = parse_level(level) if isinstance(level, str) else level
    logging.getLogger(LOGGER).setLevel(lvl)


def also_to_stderr(level: int = logging.INFO) -> logging.Handler:
    """Copy ``sessions_tui`` records of ``level`` and above to stderr too (a service's access
    log under systemd); the same filter masks credentials there."""
    global _stderr
    handler = logging.StreamHandler()
    handler.setLevel(level)
    handler.setFormatter(_UTCFormatter("%(asctime)s %(message)s"))
    handler.addFilter(Redact())
    logger = logging.getLogger(LOGGER)
    if _stderr is not None:
        logger.removeHandler(_stderr)
    logger.addHandler(handler)
    _stderr = handler
    if logger.getEffectiveLevel() > level:
        logger.setLevel(level)
    return handler


def log_location() -> str:
    """The log file's path as text, for the help screen (``"(no log file)"`` if unknown)."""
    try:
        return str(log_path())
    except (OSError, RuntimeError):
        return "(no log file)"
