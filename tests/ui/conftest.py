"""Fixtures for these tests: the shared app fixtures (see ``tests/app_fixtures.py``)."""

from app_fixtures import CHICAGO, CLOCK, NOW, _isolate, demo_db, demo_template, make_app

__all__ = ["CHICAGO", "CLOCK", "NOW", "_isolate", "demo_db", "demo_template", "make_app"]
