"""The figures over HTTP and on the pages: GET /api/v1/payout-runs/N/figures and
/payout-runs/finance say what the hand sums say (tests/support/figures.py), and each
chart's CSV (?csv=name) holds the numbers of the table the page shows."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest

from tests.support.figures import figures_org
from tests.support.sessions import sign_in


@pytest.fixture
def runs(db):
    return figures_org(db)


def test_run_figures_api(client, runs, make_user, token_for):
    headers = token_for(make_user("comp_admin"))
    body = client.get(f"/api/v1/payout-runs/{runs['Q3'].id}/figures", headers=headers).get_json()
    assert body["by_plan"] == [
        {"plan": "fig-a", "currency": "USD", "statements": 3, "payable": "12990.00"},
        {"plan": "fig-b", "currency": "EUR", "statements": 1, "payable": "60000.00"},
    ]
    assert [(t["team"], t["payable"]) for t in body["by_team"]] == [
        ("(no team)", "60000.00"),
        ("east", "13000.00"),
        ("west", "-10.00"),
    ]
    assert body["previous"]["period"] == "2026-Q2"
    assert body["change_totals"] == [
        {"currency": "EUR", "payable": "60000.00", "previous": "0.00", "change": "60000.00"},
        {"currency": "USD", "payable": "12990.00", "previous": "45.00", "change": "12945.00"},
    ]
    assert sum(b["statements"] for b in body["distribution"]) == 4
    missing = client.get("/api/v1/payout-runs/999999/figures", headers=headers)
    assert missing.status_code == 404 and missing.get_json()["status"] == "Not Found"
    rep = token_for(make_user("rep", participant_id="fig-amy"))
    assert (
        client.get(f"/api/v1/payout-runs/{runs['Q3'].id}/figures", headers=rep).status_code == 403
    )


def test_finance_api(client, runs, make_user, token_for):
    body = client.get(
        "/api/v1/payout-runs/finance", headers=token_for(make_user("auditor"))
    ).get_json()
    assert body["items"] == [
        {
            "run_id": runs["Q1"].id,
            "period": "2026-Q1",
            "published": True,
            "currency": "USD",
            "earned": "100.00",
            "held": "80.00",
            "released": "0.00",
            "clawed_back": "0.00",
            "paid": "100.00",
            "held_outstanding": "80.00",
        },
        {
            "run_id": runs["Q2"].id,
            "period": "2026-Q2",
            "published": False,
            "currency": "USD",
            "earned": "0.00",
            "held": "20.00",
            "released": "55.00",
            "clawed_back": "-10.00",
            "paid": "45.00",
            "held_outstanding": "20.00",
        },
    ]


def _table(html: str, testid: str) -> list[list[str]]:
    """The rows of the table `data-testid=testid`: each cell's text."""
    table = re.search(rf'<table[^>]*data-testid="{testid}".*?</table>', html, re.S).group(0)
    body = table.split("<tbody>", 1)[1]
    return [
        [
            unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def _csv(client, path: str) -> list[list[str]]:
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))[1:]


def _plain(rows: list[list[str]]) -> list[list[str]]:
    """Table rows as the CSV has them: numbers without separators, no value empty."""
    return [
        [label, *(c.replace(",", "").replace("—", "") for c in cells)] for label, *cells in rows
    ]


def test_finance_page_table_and_csv_agree(client, runs, make_user):
    sign_in(client, make_user("comp_admin").email)
    html = client.get("/finance").get_data(as_text=True)
    table = _table(html, "finance-table-USD")
    assert table[0] == ["2026-Q1", "100.00", "80.00", "0.00", "0.00", "100.00", "80.00"]
    assert _plain(table) == _csv(client, "/finance?csv=finance-USD")
    assert client.get("/finance?csv=nope").status_code == 404


def test_run_page_charts_and_their_csv(client, runs, make_user):
    sign_in(client, make_user("comp_admin").email)
    path = f"/payout-runs/{runs['Q3'].id}"
    html = client.get(path).get_data(as_text=True)
    for name in ("by-plan", "by-team", "distribution", "change"):
        table = _table(html, f"chart-table-{name}")
        got = _csv(client, f"{path}?csv={name}")
        assert _plain(table) == got, name
    assert _csv(client, f"{path}?csv=change") == [
        ["fig-a (USD)", "45.00", "12990.00", "12945.00"],
        ["fig-b (EUR)", "0.00", "60000.00", "60000.00"],
    ]
    assert "12,945.00" in html and "+60,000.00" in html  # the change per currency, in words


def test_manager_home_charts_the_team(client, runs, make_user):
    sign_in(client, make_user("manager", participant_id="fig-boss").email)
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="manager-home"' in html and "2026-Q3" in html
    assert _table(html, "chart-table-team-attainment") == [
        ["fig Amy", "125.0%"],
        ["fig Ben", "50.0%"],
        ["fig Cat", "—"],
    ]
    assert _csv(client, "/?csv=team-attainment") == [
        ["fig Amy", "1.2500"],
        ["fig Ben", "0.5000"],
        ["fig Cat", ""],
    ]
    payable = _table(html, "chart-table-team-payable")
    assert payable == [
        ["fig Amy", "—", "12,000.00"],
        ["fig Ben", "—", "-10.00"],
        ["fig Cat", "60,000.00", "—"],
    ]
    assert _csv(client, "/?csv=team-payable") == [
        ["fig Amy", "", "12000.00"],
        ["fig Ben", "", "-10.00"],
        ["fig Cat", "60000.00", ""],
    ]


def test_no_manager_block_for_others(client, runs, make_user):
    sign_in(client, make_user("comp_admin").email)
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="manager-home"' not in html
    assert client.get("/?csv=team-payable").status_code == 404
