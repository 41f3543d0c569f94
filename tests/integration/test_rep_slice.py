"""A rep's slice (`reps.standing.rep_raw`) reads only the participants it names, and is
the input a payout batch reads narrowed to them: the same mapping, key for key, as the
whole organisation read and then narrowed. A statements reader's own statements need no
walk of the reporting line. Both databases."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from governance import engine_input
from governance.engine_input import organisation_json
from governance.payouts.batches import Batch, read_batch
from governance.payouts.build import exception_people
from governance.reps import standing
from models import Participant
from rules.period import Period
from tests.support.statements import demo_runs

PEOPLE = ("ana", "raj", "sam", "mo", "lea", "cat", "mia", "vp")
EXCEPTIONS = [  # section-3 shape: one credits cat on ana's deal, one pays lea
    {
        "id": "EX-9",
        "kind": "override_split",
        "plan": "ae-plan",
        "deal": "D-101",
        "credits": [{"participant": "ana", "share": "0.5"}, {"participant": "cat", "share": "0.5"}],
    },
    {"id": "EX-10", "kind": "adjustment", "participant": "lea", "plan": "marketing-attribution"},
]


@pytest.fixture
def demo(db):
    demo_runs(db)
    db.add(Participant(id="vp", name="Val Price"))  # mia's manager: in no slice but mia's
    db.flush()
    db.get(Participant, "mia").manager_id = "vp"
    db.flush()


def _whole_then_narrowed(db, participant: str, period: Period, exceptions: list) -> dict:
    """The slice as it was first read: the batch with every participant and quota, then
    only those it names (a kept participant's manager who is not kept reads as none)."""
    reports = set(db.scalars(select(Participant.id).where(Participant.manager_id == participant)))
    credited = {participant} | reports
    extra = {x["deal"] for x in exceptions if x.get("deal") and exception_people(x) & credited}
    batch = Batch(frozenset({participant}), frozenset(credited), frozenset(extra))
    raw = read_batch(db, batch, period.end, organisation_json(db, up_to=period.end), exceptions)
    by_id = {p["id"]: p for p in raw["participants"]}
    keep = {participant, (by_id.get(participant) or {}).get("manager")}
    for d in raw["deals"]:
        keep.add(d["owner"])
        keep.update(s["participant"] for s in d.get("splits") or ())
        keep.update(t["participant"] for t in d.get("team") or ())
        keep.update(t["participant"] for t in d.get("touchpoints") or ())
    for x in raw["exceptions"]:
        keep |= exception_people(x)
    participants = [
        p if p.get("manager") in keep else {**p, "manager": None}
        for p in raw["participants"]
        if p["id"] in keep
    ]
    quotas = [q for q in raw["quotas"] if q["participant"] in keep]
    return {**raw, "participants": participants, "quotas": quotas}


def _text(raw: dict) -> str:
    return json.dumps(raw, default=str)


@pytest.mark.parametrize("period", ["2026-Q3", "2026-Q2", "2026-08"])
def test_a_slice_is_the_whole_read_narrowed(db, demo, monkeypatch, period):
    monkeypatch.setattr(standing, "approved_exceptions", lambda *_a, **_k: EXCEPTIONS)
    for participant in PEOPLE:
        got = standing.rep_raw(db, participant, Period.parse(period))
        assert list(got) == ["participants", "quotas", "deals", "events", "exceptions", "fx"]
        whole = _whole_then_narrowed(db, participant, Period.parse(period), EXCEPTIONS)
        assert _text(got) == _text(whole)
    ana = standing.rep_raw(db, "ana", Period.parse("2026-Q3"))
    kept = {p["id"]: p["manager"] for p in ana["participants"]}
    assert kept["cat"] is None and "cat" in kept  # named by the exception on D-101 only
    assert kept["mia"] is None  # ana's manager kept, mia's own manager (vp) not
    assert "vp" not in kept and "lea" in kept  # lea: the adjustment names her
    assert {q["participant"] for q in ana["quotas"]} <= set(kept)


def test_the_organisation_of_some_people_is_the_whole_one_narrowed(db, demo):
    end = Period.parse("2026-Q3").end
    whole = organisation_json(db, up_to=end)
    some = engine_input.organisation_json(db, up_to=end, people={"raj", "mia", "nobody"})
    assert [p["id"] for p in some["participants"]] == ["mia", "raj"]
    assert some["participants"] == [p for p in whole["participants"] if p["id"] in {"raj", "mia"}]
    assert some["quotas"] == [q for q in whole["quotas"] if q["participant"] in {"raj", "mia"}]
    assert some["quotas"] and some["fx"] == whole["fx"]
    assert organisation_json(db, up_to=end, people=set())["participants"] == []
