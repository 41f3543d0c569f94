"""Lists on a 390 px phone, in a real browser, on both databases: the main tables scroll
inside their own box (the page itself never scrolls sideways) and the column headers'
sort links re-order the rows, with aria-sort on the sorted column.

The statements here are the demo quarter's engine output renamed into a period and
participants of their own (the live database is shared by every e2e test).
"""

from __future__ import annotations

import pytest

from tests.support.statements import engine_output, persist_run

pytestmark = pytest.mark.e2e

PERIOD = "2015-Q3"  # a period no other e2e test runs
PHONE = {"width": 390, "height": 844}
# What sticks out past the viewport's right edge (for the failure message).
WIDEST = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > 390 && !e.closest('.table-scroll'))
  .slice(0, 8)
  .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


@pytest.fixture(scope="module")
def lists(live_server):
    """A manager (list-mia) over list-ana, list-raj, list-sam, their PERIOD statements."""
    from app.database import db_session
    from models import Participant, User

    manager = live_server.make_user("manager", name="Mia Lists")
    admin = live_server.make_user("admin", name="Lists Admin")
    with live_server.app.app_context():
        session = db_session()
        output = engine_output("2026-Q3")
        output["period"] = PERIOD
        team = ("ana", "raj", "sam", "mia")
        output["statements"] = [
            dict(st, participant=f"list-{st['participant']}")
            for st in output["statements"]
            if st["participant"] in team
        ]
        session.add(Participant(id="list-mia", name="Mia Moreau-Lists"))
        session.flush()
        session.add_all(
            [
                Participant(id=f"list-{p}", name=f"{p.title()} Lists", manager_id="list-mia")
                for p in team[:3]
            ]
        )
        session.flush()
        persist_run(session, output, state="published")
        session.get(User, manager.id).participant_id = "list-mia"
        session.commit()
    return manager, admin


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(WIDEST) if width > PHONE["width"] else []
    assert width <= PHONE["width"], f"{page.url}: the page is {width} px wide: {wide}"


def test_main_tables_fit_a_phone_and_sort_links_work(new_context, live_server, sign_in, lists):
    manager, admin = lists
    page = new_context().new_page()
    page.set_viewport_size(PHONE)
    sign_in(page, manager)
    page.goto(f"{live_server.url}/statements?period={PERIOD}")
    rows = page.get_by_test_id("statements").locator("tbody tr")
    assert rows.count() == 4
    _no_sideways_scroll(page)
    assert "%" in page.get_by_test_id("attainment").first.inner_text()

    page.get_by_test_id("statements").locator('a[data-sort="payable"]').click()
    header = page.locator("th[aria-sort]")
    assert header.get_attribute("aria-sort") == "ascending" and "Payable" in header.inner_text()
    cells = rows.locator("td:nth-child(4)")
    up = [float(c) for c in cells.all_inner_texts()]
    assert up == sorted(up)
    page.get_by_test_id("statements").locator('a[data-sort="payable"]').click()
    assert page.locator("th[aria-sort]").get_attribute("aria-sort") == "descending"
    down = [float(c) for c in rows.locator("td:nth-child(4)").all_inner_texts()]
    assert down == sorted(up, reverse=True)
    assert "period=" + PERIOD in page.url  # the filter is kept

    page.get_by_test_id("participant").fill("raj")
    page.get_by_role("button", name="Show").click()
    assert rows.count() == 1 and "list-raj" in rows.first.inner_text()
    assert "1 statement" in page.get_by_test_id("statement-totals").inner_text()

    page.locator("a", has_text="Open").first.click()
    assert "%" in page.get_by_test_id("attainment").inner_text()
    _no_sideways_scroll(page)

    admin_page = new_context().new_page()
    admin_page.set_viewport_size(PHONE)
    sign_in(admin_page, admin)
    for path in ("/admin/users", "/audit", f"/statements?period={PERIOD}"):
        admin_page.goto(live_server.url + path)
        _no_sideways_scroll(admin_page)
