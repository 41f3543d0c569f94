"""The fast path for plain deal records (rules/datafast.py) reads exactly what the checked
path reads: the same `Data` for every record it accepts, and the same problems for the rest
(it hands those to the checked path)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from rules.data import check_data
from rules.datafast import plain_deal

PEOPLE = [{"id": "ana"}, {"id": "raj"}]
NUMBER = (
    st.sampled_from(
        ["120000", "0.25", "-1", "1e3", " 5", "5\n", "", "abc", "0.6", "0.4", "1", "00.5", ".5"]
    )
    | st.integers(-5, 10**6)
    | st.decimals(allow_nan=False, allow_infinity=False, places=3)
)
TEXT = st.sampled_from(["ana", "raj", "bob", "", " ", "x\ud800", "é", "USD", "usd", "USD\n"])
DATE = st.sampled_from(["2026-07-01", "2026-13-01", "20260701", "", None, 3])
OPTIONAL = st.none() | st.just([]) | st.just({}) | st.just(["p"]) | TEXT | NUMBER
SPLIT = st.fixed_dictionaries(
    {"participant": TEXT, "share": NUMBER}, optional={"role": st.just("x")}
)


GOOD = {
    "account": st.sampled_from(["acme", None]),
    "type": st.sampled_from(["new", "expansion", None]),
    "region": st.sampled_from(["EMEA", None]),
    "gross_margin": st.sampled_from(["0.40", Decimal("0.2"), 1, None]),
    "discount": st.sampled_from(["0.05", "0", None]),
    "term_months": st.sampled_from([12, 0, None]),
    "cash_collected_date": st.sampled_from(["2026-08-01", None]),
    "products": st.sampled_from([None, ["p"], []]),
    "team": st.sampled_from([None, []]),
    "touchpoints": st.sampled_from([None, []]),
    "attributes": st.sampled_from([None, {}]),
    "splits": st.sampled_from(
        [
            None,
            [{"participant": "ana", "share": "1"}],
            [{"participant": "ana", "share": "0.6"}, {"participant": "raj", "share": "0.4"}],
        ]
    ),
}
BAD = {
    "id": st.sampled_from(["", " ", None, 7, "x\ud800", "é"]),
    "amount": NUMBER,
    "currency": TEXT,
    "close_date": DATE,
    "owner": TEXT,
    "account": TEXT | NUMBER,
    "type": OPTIONAL,
    "gross_margin": NUMBER | TEXT,
    "discount": NUMBER | OPTIONAL,
    "term_months": st.integers(-2, 48) | st.just(True) | st.just("12") | st.just(1.5),
    "cash_collected_date": DATE,
    "products": OPTIONAL,
    "team": OPTIONAL,
    "touchpoints": OPTIONAL,
    "attributes": OPTIONAL,
    "splits": st.none() | st.lists(SPLIT, max_size=3),
    "unknown": st.just(1),
}


@st.composite
def deal_records(draw) -> dict:
    """A plain record, with optional fields, then a few fields set to odd values."""
    record = {
        "id": "D1",
        "amount": draw(st.sampled_from(["1200.50", "0", 15, Decimal("99.9")])),
        "currency": "USD",
        "close_date": "2026-07-01",
        "owner": "ana",
    }
    for key in draw(st.lists(st.sampled_from(sorted(GOOD)), unique=True, max_size=8)):
        record[key] = draw(GOOD[key])
    for key in draw(st.lists(st.sampled_from(sorted(BAD)), unique=True, max_size=2)):
        record[key] = draw(BAD[key])
    if draw(st.integers(0, 9)) == 0:
        record.pop(draw(st.sampled_from(sorted(record))))
    return record


@settings(max_examples=1500, deadline=None)
@given(deal_records())
def test_fast_and_checked_paths_agree(record):
    data = {"participants": PEOPLE, "deals": [record]}
    assert check_data(data) == check_data(data, fast=False)
    fast = plain_deal(record)
    if fast is not None:  # accepted: the record itself has no problem, the same deal
        people = [{"id": ref} for ref in dict.fromkeys(fast[1])]
        checked, problems = check_data({"participants": people, "deals": [record]}, fast=False)
        assert problems == [] and checked.deals == (fast[0],)


def test_a_plain_record_takes_the_fast_path():
    record = {
        "id": "D1",
        "amount": "1200.50",
        "currency": "USD",
        "close_date": "2026-07-01",
        "owner": "ana",
        "splits": [{"participant": "ana", "share": "0.6"}, {"participant": "raj", "share": 0.4}],
        "team": [],
        "term_months": 12,
    }
    deal, refs = plain_deal(record)
    assert deal.amount == Decimal("1200.50") and refs == ["ana", "ana", "raj"]
    data, problems = check_data({"participants": [{"id": "ana"}], "deals": [record]})
    assert data is None
    assert [(p.path, p.message) for p in problems] == [
        ("$.deals[0].splits[1].participant", "unknown participant 'raj'")
    ]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["D1", "D2", "D3", "D4"]), deal_records()), max_size=6),
    st.lists(st.sampled_from(["D1", "D2", "D9"]), max_size=3),
)
def test_several_records_with_repeated_ids_agree(records, events):
    """Ids checked for repeats and references once every record is read: the shortcut
    for all-plain deals reports what the record-by-record check reports."""
    deals = [dict(record, id=ident) for ident, record in records]
    data = {
        "participants": PEOPLE,
        "deals": deals,
        "events": [{"deal": d, "kind": "churn", "date": "2026-08-01"} for d in events],
    }
    assert check_data(data) == check_data(data, fast=False)
