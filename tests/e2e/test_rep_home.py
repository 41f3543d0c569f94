"""The rep home in Chromium on the demo organisation (both databases), today pinned to
the demo's 2026-11-24: the attainment chart and the payable-and-held chart are drawn,
their tables hold the numbers the API gives (GET /api/v1/statements, POST
/api/v1/me/estimate), the estimator form answers what the API answers, and axe finds
nothing on the page. A statement prints without the navigation or forms.

ACCORD_REP_HOME_SCREENSHOT=docs/img/rep-home.png writes the page with an estimate.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.demo import DEMO_TODAY
from governance import periods
from tests.e2e.axe import describe, violations
from tests.e2e.demo import demo_user
from tests.e2e.setups import signed_in_page

pytestmark = pytest.mark.e2e
SHOT = os.environ.get("ACCORD_REP_HOME_SCREENSHOT")
ANA = demo_user("ana.silva@example.com")
DEAL = {"amount": "150000", "close_date": "2026-12-10", "gross_margin": "0.5"}


@pytest.fixture(scope="module")
def live_server(demo_server):
    """The demo organisation, served (Ana Silva's statements and deals)."""
    return demo_server


@pytest.fixture(autouse=True)
def demo_today(monkeypatch):
    """The live server runs in this process: its today is the demo's."""
    monkeypatch.setattr(periods, "today", lambda: DEMO_TODAY)


def _table(page, name: str) -> dict[str, list[str]]:
    """A chart's numbers table: row label -> cells (read from the DOM, folded or not)."""
    rows = page.get_by_test_id(f"chart-table-{name}").locator("tbody tr")
    return {
        row[0]: row[1:]
        for row in rows.evaluate_all(
            "rs => rs.map(r => Array.from(r.children).map(c => c.textContent.trim()))"
        )
    }


def _drawn(page, name: str) -> None:
    image = page.get_by_test_id(f"chart-{name}")
    expect(image).to_be_visible()
    assert image.evaluate("i => i.complete && i.naturalWidth > 0")
    assert image.get_attribute("alt")


def _money(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def test_the_rep_home_charts_agree_with_the_api(new_context, sign_in):
    page = signed_in_page(new_context, sign_in, ANA)
    page.goto("/")
    _drawn(page, "attainment-ae-plan")
    _drawn(page, "pay-by-period")

    listed = page.context.request.get("/api/v1/statements?participant=ana-silva").json()
    published = [s for s in listed["items"] if s["period"].startswith("2026")]
    assert published and all(s["run_published"] for s in published)
    table = _table(page, "pay-by-period")
    assert sorted(table) == sorted({s["period"] for s in published})  # no draft (Q4)
    for period, (payable, held) in table.items():
        mine = [s for s in published if s["period"] == period]
        assert _money(payable) == sum(Decimal(s["payable"]) for s in mine)
        assert _money(held) == sum(Decimal(s["held"]) for s in mine)

    standing = page.get_by_test_id("standing-ae-plan")
    attainment = standing.get_by_test_id("attainment").text_content()
    bands = _table(page, "attainment-ae-plan")
    assert set(bands) == {"You", "Tier bands"}
    reached = sum(Decimal(c.rstrip("%")) for c in bands["You"] if c != "—")
    assert f"{reached:.1f}%" == attainment
    # the tier named is the band the rep's bar ends in (the table's columns are the bands)
    columns = page.get_by_test_id("chart-table-attainment-ae-plan").locator("thead th")
    names = columns.evaluate_all("hs => hs.map(h => h.textContent.trim())")[1:]
    last = max(i for i, c in enumerate(bands["You"]) if c != "—")
    assert standing.get_by_test_id("tier").text_content() == names[last]

    page.get_by_test_id("estimate-amount").fill(DEAL["amount"])
    page.get_by_test_id("estimate-date").fill(DEAL["close_date"])
    page.get_by_label("Gross margin").fill(DEAL["gross_margin"])
    page.get_by_test_id("estimate-submit").click()
    answer = page.get_by_test_id("estimate-payable")
    expect(answer).to_be_visible()
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    api = page.context.request.post(
        "/api/v1/me/estimate", data=DEAL, headers={"X-CSRFToken": token}
    )
    assert api.ok, api.text()
    expected = api.json()
    assert answer.text_content() == f"{Decimal(expected['payable']):,.2f} {expected['currency']}"
    lines = page.get_by_test_id("estimate-lines").locator("tr[data-deal='what-if']")
    expect(lines.first).to_contain_text("Commission on deal what-if")
    if SHOT:
        Path(SHOT).parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOT, full_page=True)
    assert describe(violations(page), "/ (rep home, estimate)") == []


def test_bad_estimator_input_is_shown_at_its_field(new_context, sign_in):
    page = signed_in_page(new_context, sign_in, ANA)
    page.goto("/?amount=lots&close_date=2026-12-10#estimate")
    problems = page.get_by_test_id("estimate-problems")
    expect(problems).to_contain_text("Amount")
    expect(problems).to_contain_text("not a decimal number")


def test_a_statement_prints_without_navigation_or_forms(new_context, sign_in):
    page = signed_in_page(new_context, sign_in, ANA)
    page.goto("/statements")
    page.locator("a[href^='/statements/']").first.click()
    expect(page.get_by_test_id("totals")).to_be_visible()
    expect(page.get_by_test_id("nav")).to_be_visible()
    expect(page.locator("main > p:first-child > a")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.get_by_test_id("nav")).to_be_hidden()
    expect(page.get_by_test_id("line-filter")).to_be_hidden()
    expect(page.get_by_test_id("logout")).to_be_hidden()
    expect(page.get_by_test_id("totals")).to_be_visible()
    expect(page.get_by_test_id("line").first).to_be_visible()  # the lines' summaries print
    expect(page.locator("main > p:first-child > a")).to_be_hidden()  # back to the list
    assert page.locator("main").evaluate("m => getComputedStyle(m).maxWidth") == "none"
    page.emulate_media(media="screen")
