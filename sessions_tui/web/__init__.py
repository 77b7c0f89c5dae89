"""The practice web service (ASGI): booking pages, ICS feeds, health."""
