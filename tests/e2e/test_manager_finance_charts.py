"""The manager's home, a payout run's figures and the finance page in Chromium, on the demo
organisation (both databases): each chart is drawn (an SVG image whose alt text states its
numbers), its table says what the API says, and axe finds nothing on the page.

ACCORD_CHART_SCREENSHOTS=docs/img writes manager-home.png, run-figures.png and
finance.png there (docs/pages.md).
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from app.charts import format_number
from tests.e2e.axe import assert_accessible
from tests.e2e.demo import demo_user
from tests.e2e.setups import signed_in_page

pytestmark = pytest.mark.e2e
SHOTS = os.environ.get("ACCORD_CHART_SCREENSHOTS")
MANAGER, COMP_ADMIN = "jordan.reyes@example.com", "claire.donovan@example.com"


@pytest.fixture(scope="module")
def live_server(demo_server):
    """The demo organisation, served (its runs, its manager and his team)."""
    return demo_server


def _api(page, path: str) -> dict:
    response = page.context.request.get(path)
    assert response.status == 200, (path, response.status)
    return response.json()


def _drawn(page, name: str) -> list[list[str]]:
    """The chart `name` is an SVG image with its numbers as alt text; its table's rows."""
    image = page.get_by_test_id(f"chart-{name}")
    assert image.get_attribute("src").startswith("data:image/svg+xml;base64,")
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")  # it rendered
    alt = image.get_attribute("alt")
    page.locator(f'figure[data-chart="{name}"] summary').click()  # unfold the numbers
    rows = page.get_by_test_id(f"chart-table-{name}").locator("tbody tr")
    table = [
        [c.strip() for c in rows.nth(i).locator("th, td").all_inner_texts()]
        for i in range(rows.count())
    ]
    for label, *values in table:  # every number the table shows is in the alt text
        assert label in alt and all(v in alt for v in values), (label, values)
    return table


def _shot(page, name: str, testid: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.get_by_test_id(testid).screenshot(path=str(Path(SHOTS) / name))


def test_a_manager_sees_the_team_side_by_side(new_context, live_server, sign_in):
    page = signed_in_page(new_context, sign_in, demo_user(MANAGER))
    page.goto("/")
    block = page.get_by_test_id("manager-home")
    assert "2026-Q4" in block.locator("h2").inner_text()
    attainment = _drawn(page, "team-attainment")
    payable = _drawn(page, "team-payable")
    listed = _api(page, "/api/v1/statements?period=2026-Q4")["items"]
    team = [s for s in listed if s["participant"] != "jordan-reyes"]
    by_name = {s["participant_name"]: s for s in team}
    assert sorted(r[0] for r in attainment) == sorted(by_name)  # one plan each here
    for name, shown in attainment:
        ratio = by_name[name]["attainment"]
        assert shown == format_number(Decimal(ratio) if ratio else None, "percent")
    for name, shown in payable:
        assert shown == format_number(Decimal(by_name[name]["payable"]), "money")
    disputes = page.get_by_test_id("team-disputes")
    count = int(page.get_by_test_id("team-disputes-open").inner_text())
    listed = _api(page, "/api/v1/disputes?scope=team&state=open&state=under_review")
    assert count == len(listed) > 0
    assert_accessible(page)
    _shot(page, "manager-home.png", "manager-home")
    disputes.click()
    assert page.url.endswith("/disputes")


def test_a_run_page_charts_its_figures(new_context, live_server, sign_in):
    page = signed_in_page(new_context, sign_in, demo_user(COMP_ADMIN))
    (run,) = _api(page, "/api/v1/payout-runs?period=2026-Q4")["items"]
    figures = _api(page, f"/api/v1/payout-runs/{run['id']}/figures")
    page.goto(f"/payout-runs/{run['id']}")
    by_plan = _drawn(page, "by-plan")
    assert by_plan == [
        [p["plan"], format_number(Decimal(p["payable"]), "money")] for p in figures["by_plan"]
    ]
    assert _drawn(page, "by-team") == [
        [t["team"], format_number(Decimal(t["payable"]), "money")] for t in figures["by_team"]
    ]
    assert _drawn(page, "distribution") == [
        [b["bucket"], str(b["statements"])] for b in figures["distribution"]
    ]
    assert figures["previous"]["period"] == "2026-Q3"
    assert _drawn(page, "change") == [
        [
            c["plan"],
            *(format_number(Decimal(c[f]), "money") for f in ("previous", "payable", "change")),
        ]
        for c in figures["change_by_plan"]
    ]
    (total,) = figures["change_totals"]
    assert f"{Decimal(total['change']):+,.2f}" in page.get_by_test_id("change-totals").inner_text()
    assert_accessible(page)
    _shot(page, "run-figures.png", "run-figures")


def test_finance_sees_pay_per_period(new_context, live_server, sign_in):
    page = signed_in_page(new_context, sign_in, demo_user(COMP_ADMIN))
    page.goto("/")
    page.get_by_test_id("nav").get_by_role("link", name="Finance").click()
    page.wait_for_url("**/finance")
    items = _api(page, "/api/v1/payout-runs/finance")["items"]
    assert [i["period"] for i in items] == ["2026-Q1", "2026-Q2", "2026-Q3"]  # locked only
    fields = ("earned", "held", "released", "clawed_back", "paid", "held_outstanding")
    want = [[i["period"], *(format_number(Decimal(i[f]), "money") for f in fields)] for i in items]
    assert _drawn(page, "finance-USD") == want
    rows = page.get_by_test_id("finance-table-USD").locator("tbody tr")
    table = [rows.nth(i).locator("th, td").all_inner_texts() for i in range(rows.count())]
    assert [[c.strip() for c in row] for row in table] == want
    assert_accessible(page)
    _shot(page, "finance.png", "finance-USD")
