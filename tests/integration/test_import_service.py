"""The import service on both databases: section-3 JSON, upserts, idempotence, rejections."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from governance.imports import service as import_service
from governance.imports.service import import_data
from models import (
    Assignment,
    Deal,
    DealEvent,
    DealSplit,
    DealTeamMember,
    DealTouchpoint,
    FxRate,
    Participant,
    Quota,
)
from rules.problems import InvalidData
from rules.yamlload import load_json

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
TABLES = (
    Participant,
    Assignment,
    Quota,
    Deal,
    DealSplit,
    DealTeamMember,
    DealTouchpoint,
    DealEvent,
    FxRate,
)


def org() -> dict:
    return load_json((FIXTURES / "org.json").read_text())


def row_counts(db) -> dict[str, int]:
    return {m.__tablename__: db.scalar(select(func.count()).select_from(m)) for m in TABLES}


def counts(report) -> dict[str, tuple[int, int, int]]:
    return {k: (c.created, c.updated, c.unchanged) for k, c in report.counts.items()}


def rejected(db, payload, **kw) -> list[str]:
    """Import that must fail: every problem as 'path: message', after rolling back."""
    with pytest.raises(InvalidData) as caught:
        import_data(db, payload, **kw)
    db.rollback()
    return [f"{p.path}: {p.message}" for p in caught.value.problems]


def test_json_import_creates_everything(db):
    report = import_data(db, org(), source="org.json")
    db.commit()
    assert counts(report) == {
        "participants": (5, 0, 0),
        "assignments": (3, 0, 0),
        "quotas": (2, 0, 0),
        "deals": (2, 0, 0),
        "events": (1, 0, 0),
        "fx": (1, 0, 0),
    }
    ana = db.get(Participant, "ana")
    assert ana.manager_id == "mia"  # mia comes later in the file
    assert ana.attributes == {"level": 3, "track": "enterprise"}
    assert [(a.plan_key, a.role, a.team, a.end_date) for a in ana.assignments] == [
        ("ae-plan", "AE", "emea-1", None)
    ]
    d1 = db.get(Deal, "D-1")
    assert d1.amount == Decimal("120000") and isinstance(d1.amount, Decimal)
    assert d1.gross_margin == Decimal("0.42")
    assert d1.has_splits is False and d1.splits == []
    assert [(t.participant_id, t.role) for t in d1.team] == [("sam", "SE")]
    assert [(t.participant_id, t.channel) for t in d1.touchpoints] == [("mo", "webinar")]
    assert d1.attributes == {"csat": 9, "nps": 0.5}
    d2 = db.get(Deal, "D-2")
    assert d2.amount == Decimal("80000.50")
    assert d2.has_splits is True
    assert [(s.participant_id, s.share) for s in d2.splits] == [
        ("bo", Decimal("0.6")),
        ("ana", Decimal("0.4")),
    ]
    assert db.scalar(select(FxRate.rate).where(FxRate.base == "EUR")) == Decimal("1.08")
    quota = db.scalar(select(Quota).where(Quota.participant_id == "bo"))
    assert (quota.period, quota.amount) == ("2026-Q3", Decimal("250000"))


def test_reimport_changes_nothing(db):
    import_data(db, org())
    db.commit()
    stamps = {
        "participants": dict(db.execute(select(Participant.id, Participant.updated_at)).all()),
        "deals": dict(db.execute(select(Deal.id, Deal.updated_at)).all()),
        "splits": sorted(db.scalars(select(DealSplit.id))),
        "team": sorted(db.scalars(select(DealTeamMember.id))),
    }
    before = row_counts(db)
    report = import_data(db, org())
    db.commit()
    assert report.changed is False
    assert all(c.created == c.updated == 0 for c in report.counts.values())
    assert counts(report)["deals"] == (0, 0, 2)
    db.expire_all()
    assert row_counts(db) == before
    assert (
        dict(db.execute(select(Participant.id, Participant.updated_at)).all())
        == (stamps["participants"])
    )
    assert dict(db.execute(select(Deal.id, Deal.updated_at)).all()) == stamps["deals"]
    assert sorted(db.scalars(select(DealSplit.id))) == stamps["splits"]
    assert sorted(db.scalars(select(DealTeamMember.id))) == stamps["team"]


def test_changed_deal_is_updated_and_only_it(db):
    import_data(db, org())
    db.commit()
    untouched = db.scalar(select(Deal.updated_at).where(Deal.id == "D-1"))
    team_ids = sorted(db.scalars(select(DealTeamMember.id)))
    payload = org()
    payload["deals"][1]["amount"] = "90000"
    payload["deals"][1]["splits"] = [
        {"participant": "bo", "share": "0.5"},
        {"participant": "ana", "share": "0.5"},
    ]
    report = import_data(db, payload)
    db.commit()
    assert counts(report)["deals"] == (0, 1, 1)
    db.expire_all()
    d2 = db.get(Deal, "D-2")
    assert d2.amount == Decimal("90000")
    assert [s.share for s in d2.splits] == [Decimal("0.5"), Decimal("0.5")]
    assert db.scalar(select(Deal.updated_at).where(Deal.id == "D-1")) == untouched
    assert sorted(db.scalars(select(DealTeamMember.id))) == team_ids  # D-1's team kept


def test_absent_fields_keep_stored_values_null_clears(db):
    import_data(db, org())
    db.commit()
    payload = {
        "deals": [
            {
                "id": "D-1",
                "amount": "120000",
                "currency": "USD",
                "close_date": "2026-07-14",
                "owner": "ana",
                "discount": None,
            }
        ]
    }
    report = import_data(db, payload)
    db.commit()
    assert counts(report)["deals"] == (0, 1, 0)
    db.expire_all()
    d1 = db.get(Deal, "D-1")
    assert d1.discount is None  # null clears
    assert d1.gross_margin == Decimal("0.42")  # absent keeps
    assert [t.participant_id for t in d1.team] == ["sam"]


def test_references_to_participants_and_deals_already_stored(db):
    people = org()
    import_data(db, {"participants": people["participants"]})
    db.commit()
    report = import_data(db, {"deals": people["deals"], "quotas": people["quotas"]})
    db.commit()
    assert counts(report)["deals"] == (2, 0, 0)
    report = import_data(db, {"events": people["events"]})
    db.commit()
    assert counts(report)["events"] == (1, 0, 0)
    assert db.scalar(select(DealEvent.kind)) == "cancellation"


def test_exceptions_are_refused(db):
    payload = org()
    payload["exceptions"] = [
        {"id": "EX-1", "kind": "waive_gate", "deal": "D-2", "gate": "margin-floor"}
    ]
    problems = rejected(db, payload, source="org.json")
    assert len(problems) == 1
    assert problems[0].startswith("org.json: $.exceptions: exceptions cannot be imported")
    assert set(row_counts(db).values()) == {0}


def test_every_problem_is_listed_and_nothing_is_written(db):
    payload = org()
    payload["deals"][0]["amount"] = "12O000"
    payload["deals"][0]["cash_colected_date"] = "2026-08-01"
    payload["deals"][1]["owner"] = "nobody"
    payload["deals"][1]["splits"][0]["share"] = "0.5"
    payload["deals"].append(copy.deepcopy(payload["deals"][1]) | {"owner": "bo"})
    payload["participants"][2]["region"] = 7
    problems = rejected(db, payload)
    joined = "\n".join(problems)
    assert "$.participants[2].region: expected text, got 7" in joined
    assert "$.deals[0].amount: expected a number, got the text '12O000'" in joined
    assert "$.deals[0].cash_colected_date: unknown key" in joined
    assert "did you mean 'cash_collected_date'?" in joined
    assert "$.deals[1].owner: unknown participant 'nobody'" in joined
    assert "$.deals[1].splits: split shares must sum to exactly 1, they sum to 0.9" in joined
    assert "$.deals[2].id: duplicate id 'D-2' (first at $.deals[1])" in joined
    assert set(row_counts(db).values()) == {0}


def test_duplicate_keys_across_chunks_and_managers_later_in_the_file(db, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK", 2)
    payload = org()
    payload["events"].append(dict(payload["events"][0]))
    payload["quotas"].append(dict(payload["quotas"][0]))
    payload["participants"].append({"id": "ana"})
    problems = rejected(db, payload)
    assert problems == [
        "$.participants[5].id: duplicate id 'ana' (first at $.participants[0])",
        "$.quotas[2]: duplicate quota for ana on ae-plan in 2026-Q3 (first at $.quotas[0])",
        "$.events[1]: duplicate event cancellation of deal D-1 on 2026-10-02 "
        "(first at $.events[0])",
    ]
    report = import_data(db, org())  # five participants in chunks of two: mia is last
    db.commit()
    assert counts(report)["participants"] == (5, 0, 0)
    assert db.get(Participant, "bo").manager_id == "mia"


def test_values_the_database_cannot_hold_are_located(db):
    payload = org()
    payload["deals"][0]["amount"] = "1.1234567"
    payload["deals"][0]["account"] = "x" * 201
    payload["participants"].append({"id": "p" * 65})
    assert rejected(db, payload) == [
        "$.participants[5].id: is 65 characters long; Accord keeps at most 64",
        "$.deals[0].account: is 201 characters long; Accord keeps at most 200",
        "$.deals[0].amount: has more than 6 decimal places (1.1234567); Accord keeps 6",
    ]
    assert set(row_counts(db).values()) == {0}


def test_duplicate_assignment_of_one_participant(db):
    payload = org()
    payload["participants"][0]["assignments"].append(
        {"plan": "ae-plan", "start": "2026-01-01", "role": "AE2"}
    )
    assert rejected(db, payload) == [
        "$.participants[0].assignments[1]: duplicate assignment to ae-plan starting "
        "2026-01-01 (first at $.participants[0].assignments[0])"
    ]


def test_changed_assignment_quota_event_fx_are_updated(db):
    import_data(db, org())
    db.commit()
    payload = org()
    payload["participants"][0]["assignments"][0]["end"] = "2026-12-31"
    payload["quotas"][0]["amount"] = "310000"
    payload["events"][0]["amount"] = "1000"
    payload["fx"]["EUR/USD"] = "1.1"
    report = import_data(db, payload)
    db.commit()
    got = counts(report)
    assert got["assignments"] == (0, 1, 2)
    assert got["quotas"] == (0, 1, 1)
    assert got["events"] == (0, 1, 0)
    assert got["fx"] == (0, 1, 0)
    assert got["participants"] == (0, 0, 5)


def test_top_level_and_record_problems_are_listed_together(db):
    payload = org()
    payload["deal"] = []
    payload["quotas"] = {"not": "a list"}
    payload["deals"][0]["currency"] = "dollars"
    assert rejected(db, payload) == [
        "$.deal: unknown key 'deal'; did you mean 'deals'? (allowed: participants, quotas, "
        "deals, events, exceptions, fx)",
        "$.quotas: expected a list, got a mapping",
        "$.deals[0].currency: 'dollars' is not a 3-letter currency code",
    ]


def test_not_json_at_all_is_one_problem(db):
    assert rejected(db, ["not", "a", "mapping"]) == [
        "$: expected a data mapping (participants, quotas, deals, ...), got a list"
    ]


def test_thousands_of_deals_across_chunks(db):
    people = [{"id": f"rep{i}"} for i in range(40)]
    deals = [
        {
            "id": f"D{i:05d}",
            "amount": f"{1000 + i}.25",
            "currency": "USD",
            "close_date": "2026-07-14",
            "owner": f"rep{i % 40}",
            "splits": [
                {"participant": f"rep{i % 40}", "share": "0.5"},
                {"participant": f"rep{(i + 1) % 40}", "share": "0.5"},
            ],
            "attributes": {"segment": "smb", "score": i},
        }
        for i in range(2500)
    ]
    seen = []
    report = import_data(db, {"participants": people, "deals": deals}, progress=seen.append)
    db.commit()
    assert counts(report)["deals"] == (2500, 0, 0)
    assert sum(seen) == 2540
    assert db.scalar(select(func.count()).select_from(DealSplit)) == 5000
    deals[2499]["amount"] = "1"
    report = import_data(db, {"participants": people, "deals": deals})
    db.commit()
    assert counts(report)["deals"] == (0, 1, 2499)


def test_report_is_json_serialisable(db):
    report = import_data(db, org())
    assert json.loads(json.dumps(report.as_dict()))["counts"]["deals"]["created"] == 2


def test_attribute_numbers_survive_exactly(db):
    from governance.imports.writer import json_value

    assert json_value(Decimal("9")) == 9 and isinstance(json_value(Decimal("9.0")), int)
    assert json_value(Decimal("0.5")) == 0.5
    long = Decimal("0.12345678901234567890123")  # no float carries this exactly
    assert json_value(long) == "0.12345678901234567890123"
    payload = org()
    payload["deals"][0]["attributes"] = {"ratio": long, "tags": ["a", 1.5], "ok": True}
    import_data(db, payload)
    db.commit()
    db.expire_all()
    assert db.get(Deal, "D-1").attributes == {
        "ratio": "0.12345678901234567890123",
        "tags": ["a", 1.5],
        "ok": True,
    }
    assert import_data(db, payload).changed is False


def test_stored_participant_gets_a_manager_from_later_in_the_file(db):
    import_data(db, org())
    db.commit()
    payload = {"participants": [{"id": "ana", "manager": "zoe"}, {"id": "zoe", "name": "Zoe"}]}
    report = import_data(db, payload)
    db.commit()
    assert counts(report)["participants"] == (1, 1, 0)
    db.expire_all()
    assert db.get(Participant, "ana").manager_id == "zoe"
    assert db.get(Participant, "ana").name == "Ana"  # not carried: kept
