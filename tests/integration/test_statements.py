"""Statements over persisted payout runs (governance.statements), on both databases:
who reads what (own, team transitively, everyone), the drill-down from a statement to its
explained lines and to one line's trace, the exports and the payroll export's refusal of
a run that is not locked."""

from __future__ import annotations

import csv
import io
import json

import pytest

from governance.errors import Conflict, Invalid, NotAllowed, NotFound
from governance.statements import exports as statement_exports
from governance.statements import read as statements
from models import Participant
from tests.support.payout_close import advance_run
from tests.support.statements import demo_runs, engine_output, persist_run


@pytest.fixture
def runs(db):
    return demo_runs(db)


@pytest.fixture
def published(db, runs):
    """The demo runs with 2026-Q3 locked and published too (a rep reads published runs)."""
    advance_run(db, runs["2026-Q3"], "published")
    return runs


def _by(items, **keys):
    found = [i for i in items if all(i[k] == v for k, v in keys.items())]
    assert len(found) == 1, found
    return found[0]


def test_a_rep_lists_only_their_own_statements(db, runs, make_user):
    ana = make_user("rep", participant_id="ana")
    listed = statements.list_statements(db, ana)  # the Q3 draft is not published
    assert [(s["period"], s["run_state"]) for s in listed] == [("2026-Q2", "locked")]
    assert [p["period"] for p in statements.periods(db, ana)] == ["2026-Q2"]
    advance_run(db, runs["2026-Q3"], "published")
    listed = statements.list_statements(db, ana)
    assert [(s["period"], s["participant"], s["plan"], s["run_state"]) for s in listed] == [
        ("2026-Q3", "ana", "ae-plan", "locked"),
        ("2026-Q2", "ana", "ae-plan", "locked"),
    ]
    q3 = statements.list_statements(db, ana, period="2026-Q3")[0]
    assert (q3["payable"], q3["held"], q3["attainment"], q3["quota"]) == (
        "2690.00",
        "6300.00",
        "1.1000",
        "300000.00",
    )
    assert statements.periods(db, ana) == [
        {"period": "2026-Q3", "run_id": runs["2026-Q3"].id, "run_state": "locked"},
        {"period": "2026-Q2", "run_id": runs["2026-Q2"].id, "run_state": "locked"},
    ]


def test_a_rep_cannot_read_another_reps_statement_or_line(db, published, make_user):
    ana = make_user("rep", participant_id="ana")
    raj_statement = _by(statements.list_statements(db, None, period="2026-Q3"), participant="raj")
    with pytest.raises(NotFound):
        statements.get_statement(db, ana, raj_statement["id"])
    raj_line = statements.get_statement(db, None, raj_statement["id"])["lines"][0]
    with pytest.raises(NotFound):
        statements.get_line(db, ana, raj_statement["id"], raj_line["id"])
    own = _by(statements.list_statements(db, ana, period="2026-Q3"), participant="ana")
    with pytest.raises(NotFound):  # a line of raj's through ana's own statement
        statements.get_line(db, ana, own["id"], raj_line["id"])
    assert statements.can_read_statement(db, ana, "ana")
    assert not statements.can_read_statement(db, ana, "raj")


def test_a_rep_without_a_participant_sees_nothing_and_deal_desk_may_not_ask(db, runs, make_user):
    assert statements.list_statements(db, make_user("rep")) == []
    with pytest.raises(NotAllowed):
        statements.list_statements(db, make_user("deal_desk"))


def test_managers_see_their_team_transitively(db, runs, make_user):
    db.add(Participant(id="vp", name="Val Price"))
    db.flush()
    db.get(Participant, "mia").manager_id = "vp"
    db.flush()
    mia = make_user("manager", participant_id="mia")
    vp = make_user("manager", participant_id="vp")
    team = {s["participant"] for s in statements.list_statements(db, mia, period="2026-Q3")}
    assert team == {"mia", "ana", "raj", "sam"}
    whole = {s["participant"] for s in statements.list_statements(db, vp, period="2026-Q3")}
    assert whole == {"mia", "ana", "raj", "sam"}  # vp has no statement of their own
    assert statements.can_read_statement(db, vp, "ana") and not statements.can_read_statement(
        db, mia, "cat"
    )


def test_a_reporting_cycle_in_the_data_ends(db, runs, make_user):
    db.get(Participant, "mia").manager_id = "ana"  # ana -> mia -> ana
    db.flush()
    assert statements.team_of(db, "mia") == {"ana", "raj", "sam"}
    assert statements.team_of(db, "ana") == {"mia", "raj", "sam"}


@pytest.mark.parametrize("role", ["comp_admin", "committee", "auditor", "admin"])
def test_readers_of_all_see_every_statement(db, runs, make_user, role):
    user = make_user(role, functions=["finance"] if role == "committee" else [])
    listed = statements.list_statements(db, user, period="2026-Q3")
    assert {s["participant"] for s in listed} == {"ana", "raj", "sam", "mo", "lea", "cat", "mia"}


def test_drill_down_statement_lines_explanations_and_a_trace(db, published, make_user):
    ana = make_user("rep", participant_id="ana")
    listed = _by(statements.list_statements(db, ana, period="2026-Q3"), plan="ae-plan")
    statement = statements.get_statement(db, ana, listed["id"])
    assert statement["participant_name"] == "Ana Alves"
    assert [(ln["kind"], ln["deal"], ln["amount"], ln["status"]) for ln in statement["lines"]] == [
        ("commission", "D-101", "3600.00", "payable"),
        ("commission", "D-107", "900.00", "payable"),
        ("commission", "D-102", "0.00", "blocked"),
        ("commission", "D-103", "6300.00", "held"),
        ("spif", "D-101", "500.00", "payable"),
        ("release", "D-100", "2400.00", "payable"),
        ("clawback", "D-107", "-710.00", "payable"),
        ("draw_recovery", None, "-4000.00", "payable"),
    ]
    blocked = statement["lines"][2]
    assert "trace" not in blocked
    assert blocked["explanation"]["summary"] == (
        "Commission on deal D-102 (credit rule owner): blocked, pays 0.00 USD."
    )
    # The deal's values come from the database: the gate's sentence shows them.
    assert (
        "Gate margin-floor blocked this line: gross margin 20% < 25%."
        in (blocked["explanation"]["steps"])
    )
    line = statements.get_line(db, ana, listed["id"], blocked["id"])
    assert line["statement"]["id"] == listed["id"]
    assert [e["step"] for e in line["trace"]] == [
        "credit",
        "eligibility",
        "rate",
        "tier",
        "gate",
        "gate",
        "hold",
        "round",
    ]
    assert line["trace"][4] == {
        "step": "gate",
        "rule": "margin-floor",
        "detail": "deal.gross_margin < 0.25",
        "effect": "block",
    }
    assert line["explanation"] == blocked["explanation"]


def test_a_deal_changed_after_the_run_shows_the_condition_not_todays_value(db, runs):
    from models import Deal
    from models.base import utcnow

    deal = db.get(Deal, "D-102")
    deal.gross_margin = deal.gross_margin + 1  # whatever it is now, the run saw 0.20
    deal.updated_at = utcnow()
    db.flush()
    st = _by(statements.list_statements(db, None, period="2026-Q3"), participant="ana")
    blocked = statements.get_statement(db, None, st["id"])["lines"][2]
    assert (
        "Gate margin-floor blocked this line: deal.gross_margin < 0.25."
        in (blocked["explanation"]["steps"])
    )


def test_unknown_statement_and_line(db, runs):
    with pytest.raises(NotFound):
        statements.get_statement(db, None, 10**9)
    st = statements.list_statements(db, None, period="2026-Q3")[0]
    with pytest.raises(NotFound):
        statements.get_line(db, None, st["id"], 10**9)


def test_exports_as_csv_and_json(db, published, make_user):
    ana = make_user("rep", participant_id="ana")
    rows = list(
        csv.DictReader(
            io.StringIO(statement_exports.export_statements(db, ana, "csv", period="2026-Q3"))
        )
    )
    assert len(rows) == 8 and {r["participant"] for r in rows} == {"ana"}
    assert rows[2]["status"] == "blocked" and rows[2]["payable"] == "2690.00"
    assert rows[2]["explanation"].startswith(
        "Commission on deal D-102 (credit rule owner): blocked, pays 0.00 USD. Credit rule"
    )
    doc = json.loads(statement_exports.export_statements(db, ana, "json", period="2026-Q3"))
    (only,) = doc["statements"]
    assert only["participant"] == "ana" and len(only["lines"]) == 8
    assert only["lines"][0]["trace"][0]["step"] == "credit"
    with pytest.raises(Invalid):
        statement_exports.export_statements(db, ana, "xml")


def test_payroll_export_of_a_locked_run(db, runs, make_user):
    finance = make_user("committee", functions=["finance"])
    rows = list(
        csv.DictReader(
            io.StringIO(statement_exports.export_payroll(db, finance, runs["2026-Q2"].id))
        )
    )
    q2 = engine_output("2026-Q2")
    expected = sorted((st["participant"], st["payable"]) for st in q2["statements"])
    assert [(r["participant"], r["amount_payable"]) for r in rows] == expected
    assert rows[0].keys() == {"participant", "name", "amount_payable", "currency", "period"}
    assert {r["period"] for r in rows} == {"2026-Q2"} and {r["currency"] for r in rows} == {"USD"}
    as_json = json.loads(statement_exports.export_payroll(db, finance, runs["2026-Q2"].id, "json"))
    assert as_json["rows"] == [dict(r) for r in rows]


def test_payroll_export_refuses_a_run_that_is_not_locked(db, runs, make_user):
    admin = make_user("comp_admin")
    with pytest.raises(Conflict):
        statement_exports.export_payroll(db, admin, runs["2026-Q3"].id)
    with pytest.raises(NotFound):
        statement_exports.export_payroll(db, admin, 10**9)
    with pytest.raises(NotAllowed):
        statement_exports.export_payroll(
            db, make_user("manager", participant_id="mia"), runs["2026-Q2"].id
        )


def test_payroll_sums_a_participants_plans_per_currency(db, make_user):
    from tests.support.statements import import_demo

    import_demo(db)
    out = engine_output("2026-Q3")
    # A second statement for ana under another plan: payroll pays the sum.
    extra = dict(_by(out["statements"], participant="ana", plan="ae-plan"), plan="ae-bonus")
    out["statements"].append(extra)
    out["plans"].append({"policy": "ae-bonus", "version": "sha256:" + "9" * 64})
    run = persist_run(db, out, state="locked")
    rows = statement_exports.payroll_rows(db, None, run.id)
    assert _by(rows, participant="ana")["amount_payable"] == "5380.00"
    assert len(rows) == len({st["participant"] for st in out["statements"]})


def test_csv_cells_a_spreadsheet_would_run_are_quoted(db, runs):
    db.get(Participant, "cat").name = "=HYPERLINK(0)"
    db.flush()
    rows = list(
        csv.DictReader(io.StringIO(statement_exports.export_payroll(db, None, runs["2026-Q2"].id)))
    )
    assert _by(rows, participant="cat")["name"] == "'=HYPERLINK(0)"
    text = statement_exports.export_statements(db, None, "csv", period="2026-Q3", participant="ana")
    amounts = [r["amount"] for r in csv.DictReader(io.StringIO(text))]
    assert "-710.00" in amounts and "-4000.00" in amounts  # numbers are left as they are
