"""Where a notification's link leads (governance.notifications.subjects.path): each
recipient must be able to open it."""

from __future__ import annotations

from types import SimpleNamespace

from governance.notifications import subjects


def test_a_run_published_links_to_its_statements_which_reps_can_open():
    run = SimpleNamespace(id=7, period="2026-Q3")
    assert subjects.path("payout_run", run, "run_published") == "/statements?period=2026-Q3"


def test_other_run_events_link_to_the_run_page():
    run = SimpleNamespace(id=7, period="2026-Q3")
    for kind in ("run_ready", "run_locked", "decision_made", None):
        assert subjects.path("payout_run", run, kind) == "/payout-runs/7"
