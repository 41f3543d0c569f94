"""CSV imports on both databases: every kind, header aliases, located problems, no writes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from governance.imports.service import import_batch
from governance.imports.sources import Batch, read_source
from models import Assignment, Deal, DealEvent, FxRate, Participant, Quota
from rules.problems import InvalidData
from tests.integration.test_import_service import row_counts

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
ALL = ("participants", "assignments", "quotas", "deals", "events", "fx")


def run(db, *files: str | tuple[str, str], kind: str | None = None, **kw):
    """Import fixture files or (name, text) pairs in one batch; commit; return the report."""
    batch = Batch()
    for item in files:
        name, text = item if isinstance(item, tuple) else (item, (FIXTURES / item).read_text())
        read_source(batch, text, name=name, kind=kind, **kw)
    report = import_batch(db, batch)
    db.commit()
    return report


def problems_of(db, *files, kind=None, **kw) -> list[str]:
    with pytest.raises(InvalidData) as caught:
        run(db, *files, kind=kind, **kw)
    db.rollback()
    return [f"{p.path}: {p.message}" for p in caught.value.problems]


def created(report) -> dict[str, int]:
    return {k: c.created for k, c in report.counts.items() if c.created}


def test_every_kind_from_crm_style_headers(db):
    # Deliberately out of order: the batch is processed participants first.
    files = [f"{k}.csv" for k in reversed(ALL)]
    report = run(db, *files)
    assert created(report) == {
        "participants": 6,
        "assignments": 3,
        "quotas": 2,
        "deals": 3,
        "events": 2,
        "fx": 2,
    }
    ana = db.get(Participant, "ana")
    assert (ana.name, ana.hire_date, ana.manager_id) == ("Ana Lima", date(2025, 1, 15), "mia")
    assert ana.attributes == {"level": 3, "track": "enterprise"}
    assert db.get(Participant, "sam").attributes == {}
    bo_assignment = db.scalar(select(Assignment).where(Assignment.participant_id == "bo"))
    assert bo_assignment.end_date == date(2026, 12, 31)
    assert db.scalar(select(Quota.amount).where(Quota.participant_id == "bo")) == Decimal(
        "250000.50"
    )
    d1 = db.get(Deal, "D-1")
    assert d1.discount == Decimal("0.1")  # 10%
    assert d1.products == ["core", "analytics"]
    assert [(t.participant_id, t.role) for t in d1.team] == [("sam", "SE"), ("lee", "SE")]
    touch = d1.touchpoints[0]
    assert (touch.participant_id, touch.at, touch.channel, touch.milestone) == (
        "mo",
        date(2026, 3, 2),
        "webinar",
        "lead",
    )
    assert d1.attributes == {"csat": 9, "source": "inbound"}
    assert d1.has_splits is False
    d3 = db.get(Deal, "D-3")
    assert d3.account == "Initech, Inc."
    assert [(s.participant_id, s.share) for s in d3.splits] == [
        ("ana", Decimal("0.6")),
        ("bo", Decimal("0.4")),
    ]
    assert d3.attributes == {"csat": 7.5}
    assert d3.term_months == 24
    event = db.scalar(select(DealEvent).where(DealEvent.deal_id == "D-2"))
    assert (event.kind, event.amount) == ("downgrade", Decimal("20000"))
    assert db.scalar(select(func.count()).select_from(FxRate)) == 2


def test_reimporting_csv_files_changes_nothing(db):
    files = [f"{k}.csv" for k in ALL]
    run(db, *files)
    stamps = dict(db.execute(select(Deal.id, Deal.updated_at)).all())
    report = run(db, *files)
    assert report.changed is False
    db.expire_all()
    assert dict(db.execute(select(Deal.id, Deal.updated_at)).all()) == stamps


def test_deals_csv_after_participants_already_stored(db):
    run(db, "participants.csv")
    report = run(db, "deals.csv")
    assert created(report) == {"deals": 3}
    report = run(db, "events.csv", "assignments.csv")
    assert created(report) == {"events": 2, "assignments": 3}


def test_csv_without_a_column_keeps_the_stored_field(db):
    run(db, "participants.csv", "deals.csv")
    text = "id,amount,currency,close_date,owner\nD-1,125000,USD,2026-07-14,ana\n"
    report = run(db, ("deals.csv", text))
    assert report.counts["deals"].updated == 1
    db.expire_all()
    d1 = db.get(Deal, "D-1")
    assert d1.amount == Decimal("125000")
    assert len(d1.team) == 2 and d1.attributes["source"] == "inbound"


def test_bad_cells_are_located_by_row_and_column(db):
    run(db, "participants.csv")
    text = (
        "Opportunity ID,Amount,Currency,Close Date,Owner,Splits,Team\n"
        "D-1,12O000,USD,2026-07-14,ana,,\n"
        "D-2,100,usd,14/07/2026,zed,ana:0.5;bo:0.4,sam\n"
        "D-1,100,USD,2026-07-14,ana,,\n"
        "D-4,,USD,2026-07-14,ana,ana:0.5;bo,\n"
    )
    assert problems_of(db, ("deals.csv", text)) == [
        "deals.csv row 3, column Team (entry 1): 'sam' is not participant:role (sam:SE)",
        "deals.csv row 5, column Splits (entry 2): 'bo' is not participant:share (ana:0.6)",
        "deals.csv row 2, column Amount: expected a number, got the text '12O000'",
        "deals.csv row 3, column Currency: 'usd' is not a 3-letter currency code",
        "deals.csv row 3, column Close Date: expected a date YYYY-MM-DD, got the text '14/07/2026'",
        "deals.csv row 3, column Splits: split shares must sum to exactly 1, they sum to 0.9",
        "deals.csv row 3, column Owner: unknown participant 'zed'",
        "deals.csv row 4, column Opportunity ID: duplicate id 'D-1' (first at deals.csv row 2)",
        "deals.csv row 5, column Amount: expected a number, got an empty cell",
    ]
    assert db.scalar(select(func.count()).select_from(Deal)) == 0


def test_header_problems(db):
    text = "Opportunity ID,Amount,Close Date,Stge,Amount\nD-1,1,2026-07-14,won,1\n"
    assert problems_of(db, ("deals.csv", text)) == [
        "deals.csv row 1, column Stge: unknown deals column 'Stge' (known: id, account, "
        "type, amount, currency, close_date, gross_margin, discount, term_months, region, "
        "products, owner, splits, team, touchpoints, cash_collected_date, attr.NAME for deals "
        "attributes)",
        "deals.csv row 1, column Amount: 'Amount' and 'Amount' both give the deals field amount",
        "deals.csv row 1: missing required deals column 'currency'",
        "deals.csv row 1: missing required deals column 'owner'",
    ]
    assert problems_of(db, ("what.csv", "colour,size\nred,1\n")) == [
        "what.csv row 1: cannot tell which kind of records this file holds from its header; "
        "name it (one of participants, assignments, quotas, deals, events, fx)"
    ]
    assert problems_of(db, ("empty.csv", "")) == [
        "empty.csv row 1: the file is empty: expected a header row"
    ]


def test_columns_without_a_header_must_be_empty(db):
    text = "id,name,,\nana,Ana,,\nbo,Bo,,x\n"
    assert problems_of(db, ("people.csv", text)) == [
        "people.csv row 3, column 4: a value in a column without a header"
    ]
    report = run(db, ("people.csv", text.replace(",x", ",")))
    assert report.counts["participants"].created == 2


def test_unknown_columns_can_be_ignored(db):
    text = "Employee ID,Full Name,Department\nana,Ana,Sales\n"
    report = run(db, ("people.csv", text), ignore_unknown_columns=True)
    assert report.counts["participants"].created == 1
    assert [f"{w.path}: {w.message}" for w in report.warnings] == [
        "people.csv row 1, column Department: unknown column ignored"
    ]


def test_other_kinds_report_their_own_columns(db):
    run(db, "participants.csv", "deals.csv")
    bad = {
        "quotas.csv": "participant,plan,period,amount\nana,ae-plan,2026-Q5,1\nghost,p,2026,x\n",
        "events.csv": "deal,kind,date,amount\nD-9,cancellation,2026-10-02,\n"
        "D-1,churn,2026-10-02,-5\n",
        "assignments.csv": "participant,plan,start,end\nana,ae-plan,2026-02-01,2026-01-01\n"
        "ghost,ae-plan,2026-01-01,\n,ae-plan,2026-01-01,\n",
        "fx.csv": "pair,rate\nEUR-USD,1.1\nGBP/USD,0\nGBP/USD,1.2\n",
    }
    assert problems_of(db, *bad.items()) == [
        "assignments.csv row 2, column end: ends 2026-01-01 before it starts 2026-02-01",
        "assignments.csv row 3, column participant: unknown participant 'ghost'",
        "assignments.csv row 4, column participant: expected a participant id, got an empty cell",
        "quotas.csv row 2, column period: '2026-Q5' is not a period (2026-07, 2026-Q3 or 2026)",
        "quotas.csv row 3, column amount: expected a number, got the text 'x'",
        "quotas.csv row 3, column participant: unknown participant 'ghost'",
        "events.csv row 2, column deal: unknown deal 'D-9'",
        "events.csv row 3, column amount: must be at least 0, got -5",
        "fx.csv row 4, column pair: duplicate rate GBP/USD from the beginning "
        "(first at fx.csv row 3)",
        "fx.csv row 2, column pair: 'EUR-USD' is not a currency pair such as EUR/USD",
        "fx.csv row 3, column rate: must be more than 0, got 0",
    ]
    assert row_counts(db)["quotas"] == 0


def test_json_and_csv_in_one_batch_share_ids(db):
    text = "id,name\nana,Ana again\n"
    problems = problems_of(db, "org.json", ("people.csv", text))
    assert problems == [
        "people.csv row 2, column id: duplicate id 'ana' (first at org.json: $.participants[0])"
    ]
