"""CRM exports through a mapping on both databases (issue 11, scenario 6): only won
opportunities become deals, CRM types read as the plan's types, money, dates and owners
as a Salesforce export writes them, every bad value located, nothing written on error."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from governance.engine_input import database_data
from governance.imports.mapping import load_mapping
from governance.imports.service import import_data
from governance.plans.lookup import plan_of, version_governing
from models import Deal, Participant
from rules.evaluate import evaluate
from rules.problems import InvalidData
from tests.integration.payout_support import activate_plan
from tests.integration.test_import_csv import problems_of as csv_problems_of
from tests.integration.test_import_csv import run as csv_run

SALESFORCE = load_mapping("salesforce")
ASSIGNMENTS = "participant,plan,start\nE1001,pay-plan,2026-01-01\nE1002,pay-plan,2026-01-01\n"
HEADER = "Opportunity ID,Type,Stage,Amount,Opportunity Currency,Close Date,Owner Email\n"


def run(db, *files, mapping=SALESFORCE, **kw):
    """Import fixture files or (name, text) pairs in one batch through `mapping`; commit."""
    return csv_run(db, *files, mapping=mapping, **kw)


def problems_of(db, *files, mapping=SALESFORCE, **kw) -> list[str]:
    return csv_problems_of(db, *files, mapping=mapping, **kw)


def deal_count(db) -> int:
    return db.scalar(select(func.count()).select_from(Deal))


@pytest.fixture
def people(db):
    run(db, "salesforce_users.csv")
    run(db, ("assignments.csv", ASSIGNMENTS), mapping=None)


def test_salesforce_export_pays_new_business_at_the_new_business_rate(db, people):
    """The scenario: "New Business" paid 375.00 at the default rate; it is new business."""
    activate_plan(db)  # new-business 6%, default 2%
    db.commit()
    report = run(db, "salesforce_opportunities.csv")
    assert {k: c.created for k, c in report.counts.items() if c.created} == {"deals": 2}
    assert report.skipped == {"deals": {"lost": 1, "open": 2}}
    assert "3 skipped (1 lost, 2 open; only won opportunities are imported)" in " ".join(
        " ".join(line.split()) for line in report.summary_lines()
    )
    deal = db.get(Deal, "0065e00000AbCd1AAB")
    assert (deal.type, deal.amount, deal.currency, deal.close_date, deal.owner_id) == (
        "new",
        Decimal("18750.00"),
        "USD",
        date(2026, 11, 14),
        "E1001",
    )
    assert db.get(Deal, "0065e00000AbCd3AAB").type == "expansion"
    # Closed Lost and open opportunities are not deals.
    for lost_or_open in ("0065e00000AbCd2AAB", "0065e00000AbCd4AAB", "0065e00000AbCd5AAB"):
        assert db.get(Deal, lost_or_open) is None

    end = date(2026, 12, 31)
    result = evaluate(
        [plan_of(version_governing(db, "pay-plan", end))],
        database_data(db, up_to=end),
        "2026-Q4",
    )
    lines = {
        (st["participant"], line["deal"]): line
        for st in result["statements"]
        for line in st["lines"]
        if line["kind"] == "commission"
    }
    assert set(lines) == {("E1001", "0065e00000AbCd1AAB"), ("E1002", "0065e00000AbCd3AAB")}
    assert Decimal(lines["E1001", "0065e00000AbCd1AAB"]["amount"]) == Decimal("1125.00")
    rate_steps = [s for s in lines["E1001", "0065e00000AbCd1AAB"]["trace"] if s["step"] == "rate"]
    assert [s["rule"] for s in rate_steps] == ["new-business"]


def test_participants_carry_email_and_crm_user_id(db, people):
    ana = db.get(Participant, "E1001")
    assert (ana.name, ana.email, ana.crm_user_id, ana.hire_date) == (
        "Ana Lima",
        "Ana.Lima@example.com",
        "0055e000001AbCdAAK",
        date(2025, 1, 15),
    )
    # Re-importing the same export changes nothing.
    report = run(db, "salesforce_users.csv")
    assert report.counts["participants"].unchanged == 2
    assert not report.changed


def test_data_loader_export_owner_by_crm_user_id(db, people):
    report = run(db, "salesforce_dataloader.csv")
    assert report.counts["deals"].created == 1
    assert report.skipped == {"deals": {"lost": 1}}
    deal = db.get(Deal, "0065e00000AbCd6AAB")
    assert (deal.owner_id, deal.type, deal.amount, deal.close_date) == (
        "E1001",
        "new",
        Decimal("18750.00"),
        date(2026, 11, 14),
    )


def test_every_bad_value_is_located_and_nothing_is_written(db, people):
    text = HEADER + (
        "O-1,New Business,Closed Won,$1;00,USD,11/14/2026,ana.lima@example.com\n"
        "O-2,New Busines,Closed Won,$1,000.00,USD,11/14/2026,ana.lima@example.com\n"
        "O-3,Renewal,Closed Wonn,$1,USD,11/14/2026,ana.lima@example.com\n"
        "O-4,Renewal,,$1,USD,11/14/2026,ana.lima@example.com\n"
        "O-5,,Closed Won,$1,USD,14/11/2026,ana.lima@example.com\n"
        "O-6,Renewal,Closed Won,$1,USD,2/30/2026,zed@example.com\n"
        "O-7,Renewal,Closed Won,EUR 5,USD,11/14/2026,ana.lima@example.com\n"
        "O-8,Renewal,Closed Lost,garbage,USD,someday,nobody\n"
    )
    text = text.replace("$1,000.00", '"$1,000.00"')
    known_types = (
        "Add-On Business, Existing Customer - Downgrade, Existing Customer - Replacement, "
        "Existing Customer - Upgrade, New Business, New Customer, Renewal"
    )
    known_stages = (
        "Closed Lost, Closed Won, Id. Decision Makers, Needs Analysis, Negotiation/Review, "
        "Perception Analysis, Proposal/Price Quote, Prospecting, Qualification, "
        "Value Proposition"
    )
    assert problems_of(db, ("opps.csv", text)) == [
        "opps.csv row 2, column Amount: expected an amount such as $120,000.00, got '$1;00'",
        f"opps.csv row 3, column Type: 'New Busines' is not a type the salesforce mapping "
        f"knows (known: {known_types}); add it under deals.type in a mapping of your own",
        f"opps.csv row 4, column Stage: 'Closed Wonn' is not a stage the salesforce mapping "
        f"knows (known: {known_stages}); add it under deals.stage in a mapping of your own",
        f"opps.csv row 5, column Stage: expected a stage value, got an empty cell "
        f"(known: {known_stages})",
        f"opps.csv row 6, column Type: expected a type value, got an empty cell "
        f"(known: {known_types})",
        "opps.csv row 6, column Close Date: '14/11/2026' is not a day that exists "
        "(read as MM/DD/YYYY)",
        "opps.csv row 7, column Close Date: '2/30/2026' is not a day that exists "
        "(read as MM/DD/YYYY)",
        "opps.csv row 8, column Amount: the amount is written in EUR but Opportunity "
        "Currency is USD",
        "opps.csv row 7, column Owner Email: no participant has the e-mail "
        "'zed@example.com' (import the participants with their email column first, or in the "
        "same import)",
    ]
    assert deal_count(db) == 0


def test_a_stage_column_and_a_type_column_are_required(db, people):
    text = "Opportunity ID,Amount,Opportunity Currency,Close Date,Owner Email\n"
    assert problems_of(db, ("opps.csv", text + "O-1,$5,USD,11/14/2026,a@b.c\n")) == [
        "opps.csv row 1: missing required deals column 'stage': the salesforce mapping "
        "imports only won opportunities, so the export must carry the Stage column",
        "opps.csv row 1: missing required deals column 'type': the salesforce mapping "
        "translates the CRM's types into the ones plans test, so the export must carry them",
    ]


def test_without_a_mapping_a_stage_column_is_refused(db, people):
    text = HEADER.replace("Owner Email", "Owner") + "O-1,new,Closed Lost,5,USD,2026-11-14,E1001\n"
    for ignore in (False, True):
        problems = problems_of(db, ("opps.csv", text), mapping=None, ignore_unknown_columns=ignore)
        assert len(problems) == 1
        assert problems[0].startswith(
            "opps.csv row 1, column Stage: a Stage column cannot be read without a CRM mapping"
        )
    assert deal_count(db) == 0


def test_a_won_deal_now_lost_is_left_alone_with_a_warning(db, people):
    run(db, ("opps.csv", HEADER + "O-1,Renewal,Closed Won,$5,USD,11/14/2026,bo.berg@example.com\n"))
    report = run(
        db, ("opps.csv", HEADER + "O-1,Renewal,Closed Lost,$5,USD,11/14/2026,bo.berg@example.com\n")
    )
    assert report.skipped == {"deals": {"lost": 1}}
    assert [(w.path, w.severity) for w in report.warnings] == [
        ("opps.csv row 2, column Stage", "warning")
    ]
    assert "stored as a deal" in report.warnings[0].message
    assert db.get(Deal, "O-1") is not None


def test_owner_columns_given_twice_are_refused(db, people):
    text = HEADER.replace("Owner Email", "Owner Email,Owner ID") + (
        "O-1,Renewal,Closed Won,$5,USD,11/14/2026,bo.berg@example.com,0055e000001AbCeAAK\n"
    )
    assert problems_of(db, ("opps.csv", text)) == [
        "opps.csv row 1, column Owner ID: 'Owner ID' and 'Owner Email' both give the deals "
        "field owner"
    ]


def test_contact_keys_are_one_participant_each(db, people):
    text = (
        "Employee Number,Full Name,Email,User ID\n"
        "E1003,Cy,cy@example.com,0055e000001AbCfAAK\n"
        "E1004,Di,CY@example.com,0055e000001AbCfAAK\n"
        "E1005,Ed,bo.berg@example.com,005 x\n"
        "E1006,Fa,not-an-address,0055e000001AbCdAAK\n"
    )
    assert problems_of(db, ("users.csv", text)) == [
        "users.csv row 3, column Email: duplicate e-mail 'CY@example.com' (first at users.csv "
        "row 2)",
        "users.csv row 4, column Email: the e-mail 'bo.berg@example.com' belongs to "
        "participant 'E1002'; clear it there first (an empty cell)",
        "users.csv row 5, column Email: expected an e-mail address such as ana@example.com, "
        "got 'not-an-address'",
        "users.csv row 3, column User ID: duplicate CRM user id '0055e000001AbCfAAK' (first "
        "at users.csv row 2)",
        "users.csv row 4, column User ID: expected a CRM user id without spaces, got '005 x'",
        "users.csv row 5, column User ID: the CRM user id '0055e000001AbCdAAK' belongs to "
        "participant 'E1001'; clear it there first (an empty cell)",
    ]


def test_a_crm_user_id_can_move_between_participants_in_one_import(db, people):
    text = (
        "Employee Number,User ID\n"
        "E1001,0055e000001AbCeAAK\n"  # Bo's id moves to Ana, and Ana's to Bo
        "E1002,0055e000001AbCdAAK\n"
    )
    report = run(db, ("users.csv", text))
    assert report.counts["participants"].updated == 2
    assert db.get(Participant, "E1001").crm_user_id == "0055e000001AbCeAAK"
    assert db.get(Participant, "E1002").crm_user_id == "0055e000001AbCdAAK"


def test_custom_mapping_extends_salesforce(db, people, tmp_path):
    custom = tmp_path / "acme-sfdc.yaml"
    custom.write_text(
        "mapping: acme-sfdc\n"
        "extends: salesforce\n"
        "deals:\n"
        "  columns: {Deal Stage: stage}\n"
        "  stage: {lost: [Closed Won - Churned]}\n"
        "  type: {Existing Business: expansion}\n"
        "  currency: EUR\n"
        "  amount: {thousands: '.', decimal: ','}\n"
        "  dates: DD.MM.YYYY\n"
    )
    mapping = load_mapping(str(custom))
    text = (
        "Opportunity ID,Type,Deal Stage,Amount,Close Date,Owner Email\n"
        'O-1,Existing Business,Closed Won,"12.500,50 €",14.11.2026,bo.berg@example.com\n'
        "O-2,Renewal,Closed Won - Churned,5,14.11.2026,bo.berg@example.com\n"
    )
    report = run(db, ("opps.csv", text), mapping=mapping)
    assert report.skipped == {"deals": {"lost": 1}}
    deal = db.get(Deal, "O-1")
    assert (deal.type, deal.amount, deal.currency, deal.close_date) == (
        "expansion",
        Decimal("12500.50"),
        "EUR",
        date(2026, 11, 14),
    )


def test_section_3_participants_may_carry_contact_keys(db):
    people = {"participants": [{"id": "zo", "email": "zo@example.com", "crm_user_id": "005Z"}]}
    import_data(db, people, source="org.json")
    zo = db.get(Participant, "zo")
    assert (zo.email, zo.crm_user_id) == ("zo@example.com", "005Z")
    with pytest.raises(InvalidData) as caught:
        import_data(db, {"participants": [{"id": "yu", "email": 5}]}, source="org.json")
    assert [f"{p.path}: {p.message}" for p in caught.value.problems] == [
        "org.json: $.participants[0].email: expected the e-mail as text, got 5"
    ]
    # An empty value clears it.
    import_data(db, {"participants": [{"id": "zo", "crm_user_id": None}]})
    db.expire_all()
    assert db.get(Participant, "zo").crm_user_id is None
