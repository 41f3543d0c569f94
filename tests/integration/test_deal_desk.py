"""The deal desk's look-ups (governance/desk/) on both databases: search by id or name,
a deal's lines in the latest run with the gate that blocked, reduced or held them, and the
gates and clawbacks of the governing plan version."""

from __future__ import annotations

import pytest

from governance.desk import deals as desk
from governance.desk import search
from governance.errors import NotAllowed, NotFound
from governance.payouts.runs import start_run
from models import Participant
from tests.integration.exception_setup import people, setup_held_discount, setup_plan_and_data


@pytest.fixture
def crew(db):
    crew = people(db)
    setup_plan_and_data(db, crew["author"])
    db.get(Participant, "ana").name = "Ana Lima"
    db.flush()
    return crew


def test_search_deals_by_id_account_or_owner_name_and_participants_by_name(db, crew):
    desk_user = crew["desk"]
    rows, total = search.deals(db, desk_user, "d-2")
    assert total == 1 and rows[0][0].id == "D-2" and rows[0][1] == "Ana Lima"
    rows, total = search.deals(db, desk_user, "lima")  # the owner's name
    assert [d.id for d, _ in rows] == ["D-1", "D-2"] and total == 2
    rows, total = search.deals(db, desk_user, "D-", offset=1, limit=1)
    assert [d.id for d, _ in rows] == ["D-2"] and total == 3
    assert search.deals(db, desk_user, "%")[1] == 0  # a wildcard is a character
    people_found, total = search.participants(db, desk_user, "ANA")
    assert [p.id for p in people_found] == ["ana"] and total == 1
    with pytest.raises(NotAllowed):
        search.deals(db, crew["rep"], "D-1")


def test_a_blocked_deal_shows_its_line_the_gate_and_the_plan_rules(db, crew):
    start_run(db, None, "2026-Q3")
    view = desk.deal_view(db, crew["desk"], "D-2")
    assert view.run is not None and view.names["ana"] == "Ana Lima"
    (line,) = view.lines
    assert line.line.status == "blocked" and line.participant_name == "Ana Lima"
    assert [(e.rule, e.effect) for e in line.effects] == [("margin-floor", "block")]
    (rules,) = view.plans
    assert rules.version_label == "ae-plan/1"
    assert [g["id"] for g in rules.gates] == ["margin-floor"]
    assert [c["id"] for c in rules.clawbacks] == ["churn"]
    paying = desk.deal_view(db, crew["desk"], "D-1")
    assert [(li.line.status, li.effects) for li in paying.lines] == [("payable", [])]
    with pytest.raises(NotFound):
        desk.deal_view(db, crew["desk"], "D-404")


def test_a_deal_without_a_run_still_offers_its_plans_rules(db, crew):
    view = desk.deal_view(db, crew["desk"], "D-2")
    assert view.run is None and view.lines == []
    assert [p.plan_key for p in view.plans] == ["ae-plan"]


def test_reduced_and_held_lines_name_their_gates(db, crew):
    setup_held_discount(db, crew["author"])
    start_run(db, None, "2026-Q3")
    view = desk.deal_view(db, crew["desk"], "D-9")
    kinds = {(e.rule, e.effect) for li in view.lines for e in li.effects}
    assert ("deep-discount", "reduce") in kinds and ("pay-on-cash", "hold") in kinds
    assert any(li.reduced for li in view.lines)
