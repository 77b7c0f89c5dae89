"""Errors raised by domain rules and services.

Every error carries a one-line, human message naming what was wrong; the CLI prints it as is
and the UI shows it next to the field it names.
"""

from __future__ import annotations


class SessionsError(Exception):
    """Base class of every error the product reports to a person."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class ValidationError(SessionsError):
    """Input breaks a domain rule (end before start, unknown zone, ...)."""


class NotFoundError(SessionsError):
    """A named thing (practitioner, client, location, event) does not exist."""


class PermissionDenied(SessionsError):
    """The current user's role does not allow the action."""


class ConflictError(SessionsError):
    """The change collides with another one (stale version, double booking)."""
