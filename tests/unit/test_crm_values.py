"""CRM cell parsers (money, declared dates, picklists) and mapping files, without a database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.imports.crm import read_mapped_csv
from governance.imports.crm_values import CellError, DateFormat, Money, OwnerRef, fold_value
from governance.imports.mapping import built_in_names, load_mapping
from rules.problems import InvalidData

US = Money()
EU = Money(thousands=".", decimal=",")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("$120,000.00", ("120000.00", None)),
        ("120000", ("120000", None)),
        ("$ 1,234,567.5", ("1234567.5", None)),
        ("USD 120,000.00", ("120000.00", "USD")),
        ("120,000.00 EUR", ("120000.00", "EUR")),
        ("-$5.00", ("-5.00", None)),
        ("$-5.00", ("-5.00", None)),
        ("€999", ("999", None)),
        (" 0.5 ", ("0.5", None)),
    ],
)
def test_money_reads_what_crm_exports_write(cell, expected):
    assert US.parse(cell) == expected


@pytest.mark.parametrize(
    "cell",
    [
        "1,20,000",
        "12,0000",
        "$1,000.",
        "1.000,00",
        "$$5",
        "USD5",
        "USD 5 EUR",
        "--5",
        "-$-5",
        "ten",
        "",
        "1e5",
        "$ 5 $",
        "5,",
        ",500",
    ],
)
def test_money_refuses_anything_else(cell):
    with pytest.raises(CellError, match="expected an amount such as \\$120,000.00"):
        US.parse(cell)


def test_money_with_declared_separators():
    assert EU.parse("120.000,50 €") == ("120000.50", None)
    assert EU.parse("1.234.567") == ("1234567", None)
    with pytest.raises(CellError, match=r"\$120\.000,00"):
        EU.parse("120,000.50")


@given(
    st.decimals(min_value=0, max_value=Decimal("1e15"), places=2, allow_nan=False),
    st.sampled_from(["", "$", "USD ", "€"]),
    st.sampled_from([US, EU]),
)
def test_money_round_trips(amount, prefix, money):
    whole, frac = f"{amount:.2f}".split(".")
    groups = []
    while len(whole) > 3:
        whole, groups = whole[:-3], [whole[-3:], *groups]
    text = prefix + money.thousands.join([whole, *groups]) + money.decimal + frac
    value, code = money.parse(text)
    assert Decimal(value) == amount
    assert code == ("USD" if prefix == "USD " else None)


@pytest.mark.parametrize(
    ("declared", "cell", "expected"),
    [
        ("MM/DD/YYYY", "11/14/2026", "2026-11-14"),
        ("MM/DD/YYYY", "1/5/2026", "2026-01-05"),
        ("MM/DD/YYYY", "2026-11-14", "2026-11-14"),  # ISO is always read
        ("DD.MM.YYYY", "14.11.2026", "2026-11-14"),
        ("DD/MM/YYYY", "05/01/2026", "2026-01-05"),
        ("YYYY-MM-DD", "2026-11-14", "2026-11-14"),
    ],
)
def test_dates_in_the_declared_format(declared, cell, expected):
    assert DateFormat(declared).parse(cell) == expected


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("14/11/2026", "'14/11/2026' is not a day that exists (read as MM/DD/YYYY)"),
        ("2/29/2026", "'2/29/2026' is not a day that exists (read as MM/DD/YYYY)"),
        ("11-14-2026", "expected a date MM/DD/YYYY, got '11-14-2026'"),
        ("11/14/26", "expected a date MM/DD/YYYY, got '11/14/26'"),
        ("Nov 14, 2026", "expected a date MM/DD/YYYY, got 'Nov 14, 2026'"),
        ("11/14/2026 10:00", "expected a date MM/DD/YYYY, got '11/14/2026 10:00'"),
    ],
)
def test_dates_not_in_the_format_are_refused(cell, message):
    with pytest.raises(CellError) as caught:
        DateFormat("MM/DD/YYYY").parse(cell)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "declared", ["MM/DD/YY", "MM/DD", "DD/MM/YYYY/MM", "MM//DD/YYYY", "%m/%d/%Y"]
)
def test_date_formats_are_checked(declared):
    with pytest.raises(ValueError, match="is not a date format made of YYYY, MM and DD"):
        DateFormat(declared)


@given(
    st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)),
    st.sampled_from(["MM/DD/YYYY", "DD.MM.YYYY", "DD/MM/YYYY", "YYYY-MM-DD", "DD MM YYYY"]),
    st.booleans(),
)
def test_dates_round_trip(day, declared, pad):
    form = DateFormat(declared)
    assert form.parse(form.format(day, pad=pad)) == day.isoformat()


def test_picklist_values_fold_case_and_spaces():
    assert fold_value("  Closed   WON ") == fold_value("closed won") == "closed won"
    assert str(OwnerRef("email", "ana@example.com")) == "ana@example.com"


def test_salesforce_is_built_in():
    assert "salesforce" in built_in_names()
    deals = load_mapping("salesforce").kinds["deals"]
    assert deals.stages is not None and deals.types is not None
    assert deals.stages[fold_value("Closed Won")][0] == "won"
    assert deals.stages[fold_value("Closed Lost")][0] == "lost"
    assert deals.types[fold_value("New Business")][0] == "new"
    assert deals.target("Owner Email") == "owner_email"
    assert deals.target("Probability (%)") == ""
    assert deals.target("Gross Margin") is None  # Accord's own aliases decide


def test_mapping_file_problems_are_located(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "mapping: bad\n"
        "extend: salesforce\n"
        "deals:\n"
        "  columns: {Stage: stag, Amount: amount}\n"
        "  stage: {won: [Done], lost: [done], maybe: [x]}\n"
        "  type: {New: ''}\n"
        "  amount: {thousands: '.', decimal: '.'}\n"
        "  dates: MM/DD/YY\n"
        "  currency: usd\n"
        "  colums: {}\n"
    )
    with pytest.raises(InvalidData) as caught:
        load_mapping(str(path))
    assert [f"{p.path}: {p.message}" for p in caught.value.problems] == [
        "bad.yaml: extend: unknown key (known: mapping, title, extends, participants, "
        "assignments, quotas, deals, events, fx)",
        "bad.yaml: deals.colums: unknown key (known: columns, ignore, stage, type, amount, "
        "dates, currency)",
        "bad.yaml: deals.columns.Stage: 'stag' is not a deals field (one of id, account, type, "
        "amount, currency, close_date, gross_margin, discount, term_months, region, products, "
        "owner, splits, team, touchpoints, cash_collected_date, stage, owner_email, "
        "owner_crm_user_id)",
        "bad.yaml: deals.stage.lost: 'done' is also listed under won",
        "bad.yaml: deals.stage.maybe: unknown class (one of won, lost, open)",
        "bad.yaml: deals.stage.won: at least one stage must mean won (only won rows become deals)",
        "bad.yaml: deals.type.New: expected text: text, got 'New': ''",
        "bad.yaml: deals.amount: thousands and decimal are two different single characters",
        "bad.yaml: deals.dates: 'MM/DD/YY' is not a date format made of YYYY, MM and DD "
        "separated by one of / - . or a space (MM/DD/YYYY, DD.MM.YYYY, YYYY-MM-DD)",
        "bad.yaml: deals.currency: expected a currency code such as USD, got 'usd'",
    ]


def test_unknown_mappings_and_bad_yaml(tmp_path):
    with pytest.raises(InvalidData, match="cannot read the mapping .*built in: salesforce"):
        load_mapping("hubspot")
    with pytest.raises(InvalidData, match="no built-in mapping 'sap'"):
        load_mapping("mine.yaml", "mapping: mine\nextends: sap\n")
    with pytest.raises(InvalidData) as caught:
        load_mapping("mine.yaml", "mapping: [\n")
    assert caught.value.problems[0].path.startswith("mine.yaml: ")


def test_reading_through_a_mapping_skips_rows_not_won():
    text = (
        "Opportunity ID,Type,Stage,Amount,Opportunity Currency,Close Date,Owner ID,Next Step\n"
        'O-1,New Customer,Closed Won,"$1,000.00",USD,11/14/2026,005A,call\n'
        "O-2,New Customer,Closed Lost,$5,USD,11/14/2026,005A,\n"
        "O-3,Renewal,Prospecting,$5,USD,11/14/2026,005A,\n"
    )
    out = read_mapped_csv(text, name="opps.csv", mapping=load_mapping("salesforce"))
    assert out.problems == []
    assert out.records == [
        {
            "id": "O-1",
            "type": "new",
            "amount": "1000.00",
            "currency": "USD",
            "close_date": "2026-11-14",
            "owner": OwnerRef("crm_user_id", "005A"),
        }
    ]
    assert out.rows == [2]
    assert out.skipped == {"lost": 1, "open": 1}
    assert out.skipped_rows == [(3, "O-2", "Closed Lost"), (4, "O-3", "Prospecting")]


def test_the_documented_example_mapping_loads():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "imports.md").read_text()
    section = doc[doc.index("### Writing a mapping") :]
    text = section[section.index("```yaml") + len("```yaml") : section.index("```\n\n")]
    mapping = load_mapping("acme-salesforce.yaml", text)
    deals = mapping.kinds["deals"]
    assert (mapping.name, deals.currency, deals.dates) == (
        "acme-salesforce",
        "EUR",
        DateFormat("DD.MM.YYYY"),
    )
    assert deals.stages is not None and deals.types is not None
    assert deals.stages[fold_value("Closed Won - Churned")][0] == "lost"
    assert deals.types[fold_value("Existing Business")][0] == "expansion"
    assert deals.types[fold_value("New Business")][0] == "new"  # from salesforce


def test_a_mapping_may_say_what_an_empty_type_means():
    mapping = load_mapping(
        "mine.yaml", 'mapping: mine\nextends: salesforce\ndeals:\n  type: {"": other}\n'
    )
    text = (
        "Opportunity ID,Type,Stage,Amount,CurrencyIsoCode,CloseDate,OwnerId\n"
        "O-1,,Closed Won,5,USD,2026-11-14,005A\n"
        "O-2,Upsell,Closed Won,5,USD,2026-11-14,005A\n"
    )
    out = read_mapped_csv(text, name="opps.csv", mapping=mapping)
    assert out.records[0]["type"] == "other"
    assert [p.message for p in out.problems] == [
        "'Upsell' is not a type the mine mapping knows (known: \"\", Add-On Business, "
        "Existing Customer - Downgrade, Existing Customer - Replacement, Existing Customer - "
        "Upgrade, New Business, New Customer, Renewal); add it under deals.type in a mapping "
        "of your own"
    ]
