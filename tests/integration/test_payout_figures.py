"""Run figures, finance per period and a manager's team figures against sums made by hand
on a small organisation (tests/support/figures.py), on both databases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from governance.payouts import figures
from governance.statements import team
from models.base import utcnow
from models.disputes import OPEN_STATES, Dispute
from models.payouts import PayoutLine
from tests.support.figures import figures_org

D = Decimal


def test_run_figures_sum_by_plan_team_bucket_and_against_the_previous_period(db):
    runs = figures_org(db)
    got = figures.run_figures(db, runs["Q3"])
    assert got["by_plan"] == [
        {"plan": "fig-a", "currency": "USD", "statements": 3, "payable": D("12990.00")},
        {"plan": "fig-b", "currency": "EUR", "statements": 1, "payable": D("60000.00")},
    ]
    assert got["by_team"] == [
        {"team": "(no team)", "currency": "EUR", "statements": 1, "payable": D("60000.00")},
        {"team": "east", "currency": "USD", "statements": 2, "payable": D("13000.00")},
        {"team": "west", "currency": "USD", "statements": 1, "payable": D("-10.00")},
    ]
    counts = {(r["currency"], r["bucket"]): r["statements"] for r in got["distribution"]}
    assert len(counts) == 2 * len(figures.bucket_labels())  # every bucket, per currency
    assert {k: n for k, n in counts.items() if n} == {
        ("EUR", "over 50k"): 1,
        ("USD", "below 0"): 1,
        ("USD", "up to 1k"): 1,  # 1,000.00 is in the bucket it bounds
        ("USD", "10k to 25k"): 1,
    }
    assert got["previous"] == {"run_id": runs["Q2"].id, "period": "2026-Q2", "state": "locked"}
    assert got["change_by_plan"] == [
        {
            "plan": "fig-a",
            "currency": "USD",
            "payable": D("12990.00"),
            "previous": D("45.00"),
            "change": D("12945.00"),
        },
        {
            "plan": "fig-b",
            "currency": "EUR",
            "payable": D("60000.00"),
            "previous": D("0.00"),
            "change": D("60000.00"),
        },
    ]
    assert got["change_totals"] == [
        {"currency": "EUR", "payable": D("60000.00"), "previous": D("0"), "change": D("60000")},
        {"currency": "USD", "payable": D("12990.00"), "previous": D("45"), "change": D("12945")},
    ]


def test_the_first_run_has_nothing_to_compare_with(db):
    runs = figures_org(db)
    got = figures.run_figures(db, runs["Q1"])
    assert got["previous"] is None and got["change_by_plan"] == [] == got["change_totals"]


def test_finance_counts_each_held_line_once_and_the_liability_as_a_balance(db):
    runs = figures_org(db)
    rows = figures.finance_periods(db)
    assert [
        (r["period"], r["earned"], r["held"], r["released"], r["clawed_back"], r["paid"])
        for r in rows
    ] == [
        ("2026-Q1", D("100.00"), D("80.00"), D("0.00"), D("0.00"), D("100.00")),
        ("2026-Q2", D("0.00"), D("20.00"), D("55.00"), D("-10.00"), D("45.00")),
    ]  # the Q3 draft is not finance's yet
    # Q1 holds 50 (amy) + 30 (ben); in Q2 amy's 50 is released (at 55: the release's
    # own amount is in Released, the held amount leaves the balance), ben's 30 is
    # forfeited, and 20 more is held: 20 outstanding, not 80 + 20 - 55.
    assert [(r["period"], r["held_outstanding"]) for r in rows] == [
        ("2026-Q1", D("80.00")),
        ("2026-Q2", D("20.00")),
    ]
    assert [r["run_id"] for r in rows] == [runs["Q1"].id, runs["Q2"].id]
    assert [r["published"] for r in rows] == [True, False]


def test_a_managers_team_is_everyone_below_them_in_the_newest_run(db, make_user):
    figures_org(db)
    boss = make_user("manager", participant_id="fig-boss")
    got = team.team_figures(db, boss)
    assert got["team_size"] == 3 and got["run"].period == "2026-Q3"
    assert [(r["name"], r["attainment"]) for r in got["attainment"]] == [
        ("fig Amy", D("1.25")),
        ("fig Ben", D("0.5")),
        ("fig Cat", None),
    ]
    assert [(r["name"], r["currency"], r["payable"]) for r in got["payable"]] == [
        ("fig Amy", "USD", D("12000.00")),
        ("fig Ben", "USD", D("-10.00")),
        ("fig Cat", "EUR", D("60000.00")),
    ]
    assert got["disputes_open"] == 0
    lines = db.scalars(
        select(PayoutLine).where(PayoutLine.participant_id.in_(["fig-amy", "fig-cat"]))
    ).all()
    for state, line in zip(("open", "under_review", "resolved_rejected"), lines, strict=False):
        db.add(
            Dispute(
                payout_line_id=line.id,
                participant_id="fig-amy",
                period="2026-Q1",
                reason="why",
                state=state,
                due_on=date(2026, 5, 1),
                resolved_at=None if state in OPEN_STATES else utcnow(),
                resolution=None if state in OPEN_STATES else "no",
            )
        )
    db.flush()
    assert team.team_figures(db, boss)["disputes_open"] == 2


def test_no_team_figures_for_someone_who_manages_nobody(db, make_user):
    figures_org(db)
    assert team.team_figures(db, make_user("manager", participant_id="fig-out")) is None
    assert team.team_figures(db, make_user("rep", participant_id="fig-boss")) is None
    assert team.team_figures(db, make_user("comp_admin")) is None


def test_a_large_reporting_line_charts_the_direct_reports(db, make_user, monkeypatch):
    figures_org(db)
    monkeypatch.setattr(team, "SHOWN", 2)  # boss's line (amy, ben, cat) is "large"
    got = team.team_figures(db, make_user("manager", participant_id="fig-boss"))
    assert got["team_size"] == 3 and got["direct_only"]
    assert [r["name"] for r in got["attainment"]] == ["fig Amy", "fig Ben"]  # not cat
    assert (got["people"], got["shown"]) == (2, 2)
