"""Team reads without a bound parameter per person: the reporting line in one recursive
query, a reader's own statements without walking it. Both databases."""

from __future__ import annotations

import pytest

from governance.statements import read as statements
from models import Participant
from tests.support.statements import demo_runs


@pytest.fixture
def demo(db):
    demo_runs(db)
    db.add(Participant(id="vp", name="Val Price"))
    db.flush()
    db.get(Participant, "mia").manager_id = "vp"
    db.flush()


def test_own_statements_without_the_team_and_none_of_others(db, demo, make_user, monkeypatch):
    mia = make_user("manager", participant_id="mia")
    ana = make_user("rep", participant_id="ana")
    walks = []
    real = statements.team_of
    monkeypatch.setattr(statements, "team_of", lambda *a: walks.append(a) or real(*a))
    own = statements.list_statements(db, mia, participant="mia")
    assert {s["participant"] for s in own} == {"mia"} and walks == []
    assert statements.can_read_statement(db, mia, "mia") and walks == []
    assert {s["participant"] for s in statements.list_statements(db, mia, participant="ana")} == {
        "ana"
    }
    assert walks  # someone else's: the team is walked
    assert statements.list_statements(db, mia, participant="cat") == []  # not in her team
    assert statements.list_statements(db, ana, participant="raj") == []  # a rep: own only
    assert statements.list_statements(db, make_user("rep"), participant="ana") == []


def test_the_team_is_every_level_below(db, demo):
    assert statements.team_of(db, "vp") == {"mia", "ana", "raj", "sam"}
    assert statements.team_of(db, "mia") == {"ana", "raj", "sam"}
    assert statements.team_of(db, "ana") == set()
    assert statements.team_of(db, "nobody") == set()
