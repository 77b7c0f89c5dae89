"""Issue 25: "this and following" made in the other app on a client-session series.

Google's web UI (or Thunderbird on CalDAV) ends the old series with an ``UNTIL`` and starts a
new recurring event, with a new id/UID, at the split (here also moved an hour later). The
promise: the client keeps a session on every day, tied to the same client, never an anonymous
event, never an overwrite of the old series; a later switch to one-way removes none of them.
Made with and without our private properties copied to the new event, on the first and on a
later occurrence, and followed by a one-way switch.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
pytest.register_assert_rewrite("sync_harness")
from sync_harness import (  # type: ignore[import-not-found]  # noqa: E402
    S0_SERIES,
    Harness,
    check_client_days,
    h_fixture,  # noqa: F401
    local_starts,
    no_duplicates,
    providers,
)

WEEKS = 6
SHIFT = timedelta(hours=1)


def _split(h: Harness, at_index: int, *, copy_private: bool) -> list:
    """A weekly series of Jane's, synced, then split in the other app at ``at_index`` (the
    rest an hour later). The starts the client must keep."""
    series = h.session(start=S0_SERIES, rrule=f"FREQ=WEEKLY;COUNT={WEEKS}")
    assert h.sync().errors == 0
    weeks = [S0_SERIES + timedelta(weeks=i) for i in range(WEEKS)]
    check_client_days(h, h.jane, weeks)
    h.remote_split(h.ref_of(series), weeks[at_index], shift=SHIFT, copy_private=copy_private)
    return weeks[:at_index] + [w + SHIFT for w in weeks[at_index:]]


SPLIT_BUG = "a split made in the other app comes back as anonymous events or overwrites the series"


@pytest.mark.parametrize("at_index", [0, 2], ids=["first", "later"])
@pytest.mark.parametrize("copy_private", [False, True], ids=["bare", "private-copied"])
@providers()
def test_issue_25_split_in_other_app_keeps_client_sessions(
    h: Harness, at_index: int, copy_private: bool
) -> None:
    want = _split(h, at_index, copy_private=copy_private)
    assert h.sync().errors == 0
    check_client_days(h, h.jane, want)
    no_duplicates(h)
    # And it stays so: a second sync changes nothing.
    h.sync()
    check_client_days(h, h.jane, want)


@pytest.mark.parametrize("copy_private", [False, True], ids=["bare", "private-copied"])
@providers()
def test_issue_25_split_then_one_way_keeps_client_sessions(h: Harness, copy_private: bool) -> None:
    want = _split(h, 2, copy_private=copy_private)
    h.sync()
    h.at(5)
    h.set_mode("one-way")
    assert local_starts(h, h.jane) == want, "client sessions missing after the one-way switch"
    h.sync()
    check_client_days(h, h.jane, want)


@pytest.mark.parametrize("at_index", [0, 2], ids=["first", "later"])
@providers()
def test_issue_25_split_made_remotely_is_what_the_other_app_makes(
    h: Harness, at_index: int
) -> None:
    """The harness's split itself (so the cases above fail on the engine, not on it): the
    server then holds one occurrence on every day, the continuation under a new id/UID."""
    series = h.session(start=S0_SERIES, rrule=f"FREQ=WEEKLY;COUNT={WEEKS}")
    h.sync()
    old = h.ref_of(series)
    new = h.remote_split(
        old, S0_SERIES + timedelta(weeks=at_index), shift=SHIFT, copy_private=False
    )
    assert new != old
    occ = sorted(h.remote(), key=lambda o: o.start)
    want = [
        S0_SERIES + timedelta(weeks=i) + (SHIFT if i >= at_index else timedelta(0))
        for i in range(WEEKS)
    ]
    assert [o.start for o in occ] == want
    assert [o.ref for o in occ] == [old] * at_index + [new] * (WEEKS - at_index)
