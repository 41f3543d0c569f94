"""The story's date: the day a demo step "happened", for the services that read the clock.

Two governance services take "today" from the clock rather than as a parameter:
`change_requests.attach_review` (the date a change request's impact simulation counts
its periods back from) and `exceptions._today` (whether an exception has expired, which
decides whether it can still be voted on). The demo's history happened on given days
before the pinned today (2026-11-24), so `on(day)` swaps those two clock reads for the
duration of one step. The stored content is then the same on every load, whatever the
real date. Timestamps (audit records, votes, transitions) stay the real time of the
load: the audit log is never backdated.

Safe because the demo loads in one thread (the CLI, or a test); the swap is undone on
the way out, error or not.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, date, datetime

from governance.exceptions import workflow as exceptions
from governance.plans import change_requests

# Fail at import, not silently, if a service stops reading the clock through these names
# (assigning a missing module attribute would just add it and pin nothing).
for _module, _name in ((change_requests, "utcnow"), (exceptions, "_today")):
    if not callable(getattr(_module, _name, None)):
        raise ImportError(f"{_module.__name__}.{_name} is gone: update app/demo/clock.py")


@contextlib.contextmanager
def on(day: date) -> Iterator[None]:
    real_now, real_today = change_requests.utcnow, exceptions._today
    change_requests.utcnow = lambda: datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    exceptions._today = lambda: day
    try:
        yield
    finally:
        change_requests.utcnow, exceptions._today = real_now, real_today
