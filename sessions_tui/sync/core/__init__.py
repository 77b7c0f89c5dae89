"""The part of two-way sync that is the same for every provider: the account, its calendars and
links, and the run (:class:`~sessions_tui.sync.core.engine.AccountEngine`). Google
(``sync/google``) and CalDAV (``sync/caldav``) add their protocol and mapping; the rules both
follow are in :mod:`sessions_tui.sync.engine`."""
