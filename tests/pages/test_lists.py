"""Lists (issue 15): sorting by whitelisted columns, search by name, paging in SQL,
percentages, the manager's team totals; through the test client, on both databases.

The 390 px phone and the sort links in a browser: tests/e2e/test_lists.py.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from app.pages import exceptions as exception_pages
from app.pages import statements as statement_pages
from app.pages.views import percent
from governance import periods
from governance.exceptions import workflow as exceptions
from governance.paging import Sort, sort_of
from governance.statements import read as statements
from tests.integration.exception_setup import adjustment, people, setup_plan_and_data
from tests.support.sessions import sign_in
from tests.support.statements import demo_runs

TODAY = date(2026, 12, 3)


@pytest.fixture
def runs(db):
    return demo_runs(db)


def _as(app, user):
    client = app.test_client()
    assert sign_in(client, user.email).status_code == 302
    return client


def _participants(html: str) -> list[str]:
    return re.findall(r'data-participant="([^"]+)"', html)


def test_percent_filter_shows_ratios_as_percentages():
    assert percent("1.416000000000") == "141.6%"
    assert percent(Decimal("0.04449")) == "4.4%"
    assert percent(Decimal("0.04450")) == "4.5%"  # half-up
    assert percent(None) == "\u2014"
    assert percent("0.5", 0) == "50%"


def test_an_unknown_sort_column_or_direction_falls_back_to_the_default():
    columns = {"a": 1, "b": 2}
    default = Sort("a", descending=True)
    assert sort_of("b", "desc", columns, default) == Sort("b", True)
    assert sort_of("b", None, columns, default) == Sort("b", False)
    assert sort_of("a", "sideways", columns, default) == default
    assert sort_of("id; drop table", "asc", columns, default) == default


def test_manager_finds_team_by_name_with_totals(app, db, runs, make_user):
    client = _as(app, make_user("manager", participant_id="mia"))
    page = client.get("/statements?period=2026-Q3&q=ana").get_data(as_text=True)
    assert _participants(page) == ["ana"]  # "Ana Alves", by part of her name, any case
    listed = statements.list_statements(db, None, period="2026-Q3", participant="ana")
    payable = sum(Decimal(s["payable"]) for s in listed)
    totals = re.search(r'data-testid="statement-totals">(.*?)</p>', page, re.S).group(1)
    assert "1 statement" in totals and f"<strong>{payable:.2f}</strong>" in totals
    team = client.get("/statements?period=2026-Q3").get_data(as_text=True)
    assert sorted(set(_participants(team))) == ["ana", "mia", "raj", "sam"]
    everyone = statements.list_statements(db, None, period="2026-Q3")
    team_payable = sum(
        Decimal(s["payable"]) for s in everyone if s["participant"] in {"ana", "mia", "raj", "sam"}
    )
    assert f"<strong>{team_payable:.2f}</strong>" in team
    # Outside the team nothing is found, by name or by id.
    assert _participants(client.get("/statements?period=2026-Q3&q=Cat").get_data(True)) == []


def test_statements_sort_by_column_both_ways_with_aria_sort(app, db, runs, make_user):
    client = _as(app, make_user("comp_admin"))
    listed = statements.list_statements(db, None, period="2026-Q3")
    by_payable = sorted(listed, key=lambda s: (Decimal(s["payable"]), s["participant"], s["plan"]))
    up = client.get("/statements?period=2026-Q3&sort=payable&dir=asc").get_data(as_text=True)
    assert _participants(up) == [s["participant"] for s in by_payable]
    assert re.search(r'<th scope="col" class="num" aria-sort="ascending">\s*<a[^>]*payable', up)
    # The sorted column's link flips the direction and keeps the period.
    assert "sort=payable" in up and "dir=desc" in up
    down = client.get("/statements?period=2026-Q3&sort=payable&dir=desc").get_data(as_text=True)
    payables = [
        Decimal(x) for x in re.findall(r'<td class="num">([\d.-]+)</td><td class="num">', down)
    ]
    assert payables == sorted(payables, reverse=True)
    assert 'aria-sort="descending"' in down
    # Attainment shown as a percentage, never as a raw ratio.
    assert re.search(r'data-testid="attainment">\d+\.\d%<', up)
    assert not re.search(r'data-testid="attainment">\d\.\d{4}<', up)
    # Unknown column: the default order (by name), not an error.
    fallback = client.get("/statements?period=2026-Q3&sort=password&dir=up")
    assert fallback.status_code == 200
    assert 'aria-sort="ascending"' in fallback.get_data(as_text=True)


def test_statements_page_in_sql_and_the_pager_keeps_filters(app, db, runs, make_user, monkeypatch):
    monkeypatch.setattr(statement_pages, "PER_PAGE", 2)
    client = _as(app, make_user("comp_admin"))
    listed = statements.list_statements(db, None, period="2026-Q3")
    by_name = statements.page_statements(db, None, period="2026-Q3", limit=100)["items"]
    assert len(by_name) == len(listed)
    seen = []
    for page in range(1, len(listed) // 2 + 2):
        html = client.get(f"/statements?period=2026-Q3&sort=plan&page={page}").get_data(True)
        seen += _participants(html)
        if page == 1:
            assert 'rel="next"' in html and "sort=plan" in html and "period=2026-Q3" in html
    assert sorted(seen) == sorted(s["participant"] for s in listed)  # each once: stable


def test_a_statements_lines_filter_sort_and_page(app, db, runs, make_user, monkeypatch):
    monkeypatch.setattr(statement_pages, "LINES_PER_PAGE", 2)
    client = _as(app, make_user("comp_admin"))
    st = next(
        s for s in statements.list_statements(db, None, period="2026-Q3") if s["line_count"] > 2
    )
    lines = statements.get_statement(db, None, st["id"])["lines"]
    html = client.get(f"/statements/{st['id']}").get_data(as_text=True)
    assert f"{len(lines)} lines" in html and 'rel="next"' in html
    assert re.search(r'data-testid="attainment">(\d+\.\d%|\u2014)<', html)
    status = lines[0]["status"]
    wanted = sum(1 for ln in lines if ln["status"] == status)
    filtered = client.get(f"/statements/{st['id']}?status={status}").get_data(as_text=True)
    assert f"{wanted} line{'' if wanted == 1 else 's'} match" in filtered
    page = statements.statement_lines_page(
        db, None, st["id"], sort=Sort("amount", descending=True), limit=100
    )
    amounts = [Decimal(ln["amount"]) for ln in page["lines"]]
    assert amounts == sorted(amounts, reverse=True)
    deal = next(ln["deal"] for ln in lines if ln["deal"])
    searched = statements.statement_lines_page(db, None, st["id"], search=deal.lower())
    assert searched["lines"] and all(ln["deal"] == deal for ln in searched["lines"])
    sorted_page = client.get(f"/statements/{st['id']}?sort=amount&dir=desc").get_data(True)
    assert 'data-sort="amount" aria-current="true"' in sorted_page


def test_runs_and_users_sort_and_disputes_page(app, db, runs, make_user):
    admin = _as(app, make_user("comp_admin"))
    up = admin.get("/payout-runs?sort=period&dir=asc").get_data(as_text=True)
    assert up.index(">2026-Q2<") < up.index(">2026-Q3<")
    down = admin.get("/payout-runs").get_data(as_text=True)  # newest period first
    assert down.index(">2026-Q3<") < down.index(">2026-Q2<")
    assert admin.get("/disputes?sort=due&dir=desc&page=3&resolved_page=2").status_code == 200
    boss = _as(app, make_user("admin", email="zed@example.com"))
    make_user("rep", email="amy@example.com")
    emails = re.findall(r'data-email="([^"]+)"', boss.get("/admin/users?sort=email").get_data(True))
    assert emails == sorted(emails)
    back = re.findall(
        r'data-email="([^"]+)"', boss.get("/admin/users?sort=email&dir=desc").get_data(True)
    )
    assert back == sorted(emails, reverse=True)


def test_exceptions_search_sort_and_page(app, db, monkeypatch):
    monkeypatch.setattr(periods, "today", lambda: TODAY)
    crew = people(db)
    setup_plan_and_data(db, crew["author"])
    filed = [
        exceptions.file_exception(db, crew["desk"], adjustment(amount), today=TODAY)
        for amount in ("450.00", "90.00", "1200.00")
    ]
    db.commit()
    monkeypatch.setattr(exception_pages, "PER_PAGE", 2)
    desk = _as(app, crew["lead"])
    first = desk.get("/exceptions?sort=impact&dir=desc").get_data(as_text=True)
    ids = re.findall(r'href="/exceptions/(\d+)"', first)
    assert ids == [str(filed[2].id), str(filed[0].id)] and 'rel="next"' in first
    assert "3 exceptions" in first and "sort=impact" in first
    second = desk.get("/exceptions?sort=impact&dir=desc&page=2").get_data(as_text=True)
    assert re.findall(r'href="/exceptions/(\d+)"', second) == [str(filed[1].id)]
    assert "3 exceptions" in desk.get("/exceptions?q=ANA").get_data(as_text=True)
    none = desk.get("/exceptions?q=nobody-such").get_data(as_text=True)
    assert not re.findall(r'href="/exceptions/(\d+)"', none) and "No exceptions matching" in none
