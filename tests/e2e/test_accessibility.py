"""axe-core on every page, in Chromium (on SQLite: see `pytestmark`): one demo person of each
role walks every page reachable from home on the demo data (one page of each kind:
`/statements/N` once), and
axe-core (tests/e2e/axe.py) finds no violation of WCAG 2.2 A/AA or its best practices on
any of them; so do the pages with no link to them (sign-in, forms, the error page).

Every other browser test is checked too: the page each test ends on is run through axe
at teardown (tests/e2e/conftest.py), so each journey's pages are held to the same bar.
"""

from __future__ import annotations

import pytest

from app.demo.users import DEMO_USERS
from tests.e2e.axe import describe, violations
from tests.e2e.demo import demo_user, walk

# The walk runs on one database: the markup axe reads does not depend on it, and the walk
# is the suite's costliest browser test (7 people, ~40 pages each). PostgreSQL's pages
# are still checked by axe in every other browser test (the journeys, and each test's
# last page at teardown), all of which run on both databases.
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True, scope="session"),
]


@pytest.fixture(scope="module")
def live_server(demo_server):
    """The demo organisation, served (this module's pages need its data and people)."""
    return demo_server


# Pages no link of the walk leads to (forms behind a button; the error page), by role.
UNLINKED = {
    "admin": ["/admin/users/new", "/admin/webhooks/new", "/no-such-page"],
    "comp admin": ["/no-such-page", "/plans/ae-plan/diff"],
    "auditor": ["/plans/ae-plan/diff?from=1&to=2"],
}


def _check(page, problems: list[str]):
    def check(response, path: str) -> None:
        assert response.status in (200, 404), (path, response.status)
        problems.extend(describe(violations(page), path))

    return check


def test_the_sign_in_page_is_accessible(new_context):
    page = new_context().new_page()
    page.goto("/login")
    assert describe(violations(page), "/login") == []


# One person of each role (committee members of other functions see the same pages).
PEOPLE = {u.label: u for u in DEMO_USERS}
ONE_PER_ROLE = [
    PEOPLE[label]
    for label in (
        "admin", "comp admin", "committee: sales", "deal desk (lead)", "manager (NA East)",
        "rep (AE, NA East)", "auditor",
    )
]  # fmt: skip


@pytest.mark.parametrize("person", ONE_PER_ROLE, ids=[u.label for u in ONE_PER_ROLE])
def test_every_page_a_person_reaches_is_accessible(new_context, sign_in, person):
    page = new_context().new_page()
    sign_in(page, demo_user(person.email))
    problems: list[str] = []
    check = _check(page, problems)
    visited = walk(page, check, per_kind=1)
    for path in UNLINKED.get(person.label, []):
        check(page.goto(path), path)
    assert len(visited) >= 3, visited
    assert problems == [], "axe-core found violations:\n" + "\n".join(problems)
