"""The database read back as evaluation data: it round-trips with the import service."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.demo.generator import generate_demo_data
from governance.engine_input import among, database_data, database_json, deals_json
from governance.imports.service import import_data
from models import Deal
from rules.data import data_to_json, load_data

SPEC_EXAMPLE = {
    "participants": [
        {
            "id": "ana",
            "name": "Ana",
            "hire_date": "2025-01-15",
            "region": "EMEA",
            "manager": "mia",
            "attributes": {"level": 3, "ratio": "0.125", "tags": ["a", 2]},
            "assignments": [
                {"plan": "ae-plan", "role": "AE", "team": "emea-1", "start": "2026-01-01"}
            ],
        },
        {"id": "mia", "name": "Mia"},
        {"id": "sam"},
        {"id": "mo"},
    ],
    "quotas": [
        {"participant": "ana", "plan": "ae-plan", "period": "2026-Q3", "amount": "300000"},
        {"participant": "ana", "plan": "ae-plan", "period": "2026-Q4", "amount": "310000.50"},
    ],
    "deals": [
        {
            "id": "D-1",
            "account": "Acme",
            "type": "new",
            "amount": "120000",
            "currency": "USD",
            "close_date": "2026-07-14",
            "gross_margin": "0.42",
            "discount": "0.10",
            "term_months": 12,
            "region": "EMEA",
            "products": ["core"],
            "owner": "ana",
            "splits": None,
            "team": [{"participant": "sam", "role": "SE"}],
            "touchpoints": [
                {"participant": "mo", "at": "2026-03-02", "channel": "webinar"},
                {"participant": "ana", "at": "2026-04-02", "milestone": "lead"},
            ],
            "cash_collected_date": "2026-08-01",
            "attributes": {"csat": 9},
        },
        {
            "id": "D-2",
            "amount": "80000.5",
            "currency": "EUR",
            "close_date": "2026-11-03",
            "owner": "ana",
            "splits": [
                {"participant": "ana", "share": "0.6"},
                {"participant": "sam", "share": "0.4"},
            ],
        },
    ],
    "events": [
        {"deal": "D-1", "kind": "cancellation", "date": "2026-10-02", "amount": None},
        {"deal": "D-1", "kind": "churn", "date": "2026-12-02", "amount": "1000"},
    ],
    "fx": {"EUR/USD": "1.08"},
}


def _sorted(obj: dict) -> dict:
    """data_to_json with records in a stable order (the database orders by key)."""
    out = dict(obj)
    out["participants"] = sorted(obj["participants"], key=lambda p: p["id"])
    out["deals"] = sorted(obj["deals"], key=lambda d: d["id"])
    out["quotas"] = sorted(obj["quotas"], key=lambda q: (q["participant"], q["plan"], q["period"]))
    out["events"] = sorted(obj["events"], key=lambda e: (e["deal"], e["date"], e["kind"]))
    return out


def _same_data(back, original) -> None:
    """Record by record, by value: `"310000.50"` in and `"310000.5"` out are one amount
    (the database keeps the number, not how it was written)."""
    ours, theirs = _sorted(data_to_json(back)), _sorted(data_to_json(original))
    assert load_data(ours) == load_data(theirs)


def test_the_spec_example_round_trips(db):
    import_data(db, SPEC_EXAMPLE, source="spec")
    _same_data(database_data(db), load_data(SPEC_EXAMPLE))
    # Numbers come back as their exact, normalised text, never through float.
    deal = next(d for d in database_json(db)["deals"] if d["id"] == "D-1")
    assert (deal["amount"], deal["discount"], deal["splits"]) == ("120000", "0.1", None)
    assert deal["attributes"] == {"csat": "9"}


def test_up_to_keeps_everything_earlier_and_nothing_later(db):
    import_data(db, SPEC_EXAMPLE, source="spec")
    data = database_data(db, up_to=date(2026, 9, 30))
    assert [d.id for d in data.deals] == ["D-1"]
    assert [q.period for q in data.quotas] == ["2026-Q3"]
    assert data.events == ()  # both events are after the cut
    assert {p.id for p in data.participants} == {"ana", "mia", "sam", "mo"}
    later = database_data(db, up_to=date(2026, 10, 31))
    assert [(e.kind, str(e.date)) for e in later.events] == [("cancellation", "2026-10-02")]


def test_exceptions_are_passed_through_and_validated(db):
    import_data(db, SPEC_EXAMPLE, source="spec")
    waiver = {"id": "EX-1", "kind": "waive_gate", "deal": "D-1", "gate": "margin-floor"}
    data = database_data(db, exceptions=[waiver])
    assert [(x.id, x.kind, x.deal) for x in data.exceptions] == [("EX-1", "waive_gate", "D-1")]


def test_the_demo_organisation_round_trips(db):
    demo = generate_demo_data(seed=7, deals=120)
    import_data(db, demo, source="demo")
    back = database_data(db)
    _same_data(back, load_data(demo))
    assert len(back.deals) == 120 and back.events


def test_deals_chosen_by_id_one_parameter_for_any_number_of_them(db):
    """`among` binds the ids as one array (PostgreSQL) or JSON list (SQLite): 40,000 ids
    are more than SQLite's bound-parameter limit, and odd ids pass as they are."""
    data = generate_demo_data(deals=300)
    import_data(db, {k: v for k, v in data.items() if k != "exceptions"}, source="test")
    everything = database_json(db)
    chosen = {d["id"] for d in everything["deals"][::7]}
    noise = {f"no-such-deal-{i}" for i in range(40_000)} | {'it\'s "quoted"', "dеal-ц"}
    part = deals_json(db, ids=chosen | noise)
    assert [d["id"] for d in part["deals"]] == [
        d["id"]
        for d in sorted(everything["deals"], key=lambda d: (d["close_date"], d["id"]))
        if d["id"] in chosen
    ]
    assert part["events"] == [e for e in everything["events"] if e["deal"] in chosen]
    assert deals_json(db, ids=set()) == {"deals": [], "events": []}
    owners = db.scalars(select(Deal.id).where(among(db, Deal.owner_id, noise))).all()
    assert owners == []


def test_among_with_values_that_hold_the_separator_or_are_empty(db):
    """On PostgreSQL `among` binds one text split by the server; a value holding the
    separator, or an empty value, makes it bind an array: the same rows either way."""
    data = generate_demo_data(deals=60)
    import_data(db, {k: v for k, v in data.items() if k != "exceptions"}, source="test")
    ids = set(db.scalars(select(Deal.id)).all())
    chosen = set(sorted(ids)[::3])

    def found(values):
        return set(db.scalars(select(Deal.id).where(among(db, Deal.id, values))).all())

    assert found(chosen) == chosen
    assert found(chosen | {"odd\x1fid"}) == chosen
    assert found(chosen | {""}) == chosen
    assert found({"", "\x1f"}) == set()
    assert found(set()) == set()


def test_a_deal_without_products_keeps_products_null(db):
    """Issue 17 item 1: the engine reads a missing `products` as null, not []; the
    database keeps it as JSON null (the column is NOT NULL), so a payout run evaluates
    the same deal as `accord evaluate` does. `[]` stays an empty list."""
    deals = [
        {**SPEC_EXAMPLE["deals"][0], "id": "D-7", "products": None},
        {**SPEC_EXAMPLE["deals"][0], "id": "D-8", "products": []},
    ]
    import_data(db, {**SPEC_EXAMPLE, "deals": SPEC_EXAMPLE["deals"] + deals}, source="spec")
    by_id = {d.id: d for d in database_data(db).deals}
    assert (by_id["D-2"].products, by_id["D-7"].products, by_id["D-8"].products) == (None, None, ())
