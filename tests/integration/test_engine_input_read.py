"""The database read of a payout run (`engine_input.deals_json`, `organisation_json`) gives
the same section-3 input as the read it replaced: rows through the ORM session and every
number through `normalise_decimal` (docs/decisions.md, "Batch speed"; on PostgreSQL the new
read has the server write each number's text: `engine_input.number_text`). On the demo data
(splits, teams, touchpoints, FX, events, attributes) plus stored numbers at the edges of
the columns' scales, on both databases."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from sqlalchemy import select, update

from app.demo.generator import generate_demo_data
from governance import engine_input
from governance.imports.service import import_data
from governance.payouts.batches import plan_batches, read_batch
from models import Deal, DealSplit
from rules.canonical import normalise_decimal

END = date(2026, 9, 30)


def _previous_read(monkeypatch) -> None:
    monkeypatch.setattr(engine_input, "_num", lambda v: None if v is None else normalise_decimal(v))
    monkeypatch.setattr(engine_input, "core_rows", lambda session, stmt: session.execute(stmt))
    monkeypatch.setattr(engine_input, "number_text", lambda session, column: column)


def _text(value) -> str:
    return json.dumps(value, sort_keys=True, default=repr)  # types too (DecimalText, int...)


def test_the_fast_read_is_the_previous_read(db, monkeypatch):
    data = generate_demo_data(deals=300)
    import_data(db, {k: v for k, v in data.items() if k != "exceptions"}, source="test")
    ids = db.scalars(select(Deal.id).order_by(Deal.id).limit(6)).all()
    edges = [
        {"amount": Decimal("0"), "gross_margin": Decimal("0.000000000001")},
        {"amount": Decimal("1000000000000000.5"), "discount": Decimal("1")},
        {"amount": Decimal("12.340000"), "gross_margin": Decimal("-0.25"), "discount": None},
        {"amount": Decimal("100"), "gross_margin": Decimal("0.1")},
        {"amount": Decimal("0.000001"), "gross_margin": Decimal("-0.000000000001")},
        {"amount": Decimal("999999999999999999.999999"), "discount": Decimal("0.5")},
    ]
    for deal_id, values in zip(ids, edges, strict=True):
        db.execute(update(Deal).where(Deal.id == deal_id).values(**values))
    split = db.scalars(select(DealSplit).limit(1)).first()
    assert split is not None  # the demo has split deals
    db.commit()

    org = engine_input.organisation_json(db, up_to=END)
    everything = engine_input.deals_json(db, up_to=END)
    batches = list(plan_batches(db, END, [], deals_per_batch=40))
    assert len(batches) > 2
    parts = [_text(read_batch(db, b, END, org, [])) for b in batches]
    assert everything["deals"] and everything["events"]
    assert any(d["touchpoints"] for d in everything["deals"])
    assert any(d["splits"] for d in everything["deals"])

    _previous_read(monkeypatch)
    assert _text(engine_input.organisation_json(db, up_to=END)) == _text(org)
    assert _text(engine_input.deals_json(db, up_to=END)) == _text(everything)
    assert [_text(read_batch(db, b, END, org, [])) for b in batches] == parts
