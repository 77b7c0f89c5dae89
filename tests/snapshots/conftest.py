"""Fixtures for these tests: the shared app fixtures (see ``tests/app_fixtures.py``), and
``snap_compare`` taking its picture only once the picture has stopped changing."""

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from app_fixtures import CHICAGO, CLOCK, NOW, _isolate, demo_db, demo_template, make_app, still

__all__ = ["CHICAGO", "CLOCK", "NOW", "_isolate", "demo_db", "demo_template", "make_app"]


@pytest.fixture
def snap_compare(snap_compare: Callable[..., bool]) -> Callable[..., bool]:
    """The plugin's comparison, with every test's ``run_before`` followed by :func:`still`."""

    def compare(
        app: Any, *args: Any, run_before: Callable[..., Any] | None = None, **kw: Any
    ) -> bool:
        async def then_still(pilot: Any) -> None:
            if run_before is not None:
                done = run_before(pilot)
                if isinstance(done, Awaitable):
                    await done
            await still(pilot)

        return snap_compare(app, *args, run_before=then_still, **kw)

    return compare
