"""A missing optional field is null, never an empty value (issue 17, item 1).

Spec section 2: "A comparison with a missing (null) field is false (so are `!=` and
`not in`), except `== null` / `!= null`"; section 3 makes `products` (and every other
deal field but id, amount, currency, close_date and owner) optional. An absent field and
an explicit `null` must therefore evaluate identically, and differently from `[]`.
"""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from rules.conditions import parse_condition
from rules.data import data_to_json, load_data
from rules.evaluate import evaluate, to_json
from rules.evaluation.facts import deal_facts
from tests.unit.test_eval_helpers import D, amounts, data, deal, person, plan, run, statement

# 0.10 when the deal has no products, else 0.01: the rate decides the amount.
NO_PRODUCTS = plan(
    rates=[
        {"id": "unknown-products", "when": "deal.products == null", "rate": D("0.10")},
        {"id": "default", "rate": D("0.01")},
    ]
)


def test_absent_products_are_null_not_an_empty_list():
    """1,000 x 0.10 = 100.00 for a deal without `products` (absent or null); a deal with
    `products: []` has a list (empty, not null): 1,000 x 0.01 = 10.00. Before the fix the
    absent list read as [] and paid a tenth, 10.00."""
    the_data = data(
        [
            deal("D1", 1000, "2026-07-01"),
            deal("D2", 1000, "2026-07-02", products=None),
            deal("D3", 1000, "2026-07-03", products=[]),
        ]
    )
    assert the_data.deals[0].products is None and the_data.deals[2].products == ()
    st_ = statement(run(NO_PRODUCTS, the_data))
    assert amounts(st_) == ["100.00", "100.00", "10.00"]
    assert [ln["trace"][1]["rule"] for ln in st_["lines"]] == [
        "unknown-products",
        "unknown-products",
        "default",
    ]


def test_not_equal_null_and_not_in_are_false_for_absent_products():
    """`!= null` is false and `contains` false for a missing list; `not (...)` negates."""
    the_plan = plan(
        rates=[
            {"id": "known", "when": "deal.products != null", "rate": D("0.05")},
            {"id": "no-core", "when": 'not (deal.products contains "core")', "rate": D("0.02")},
        ]
    )
    out = run(the_plan, data([deal("D1", 1000, "2026-07-01")]), engine="durable")
    # not known (null), `contains` false so its negation holds: 1,000 x 0.02 = 20.00
    assert amounts(statement(out)) == ["20.00"]
    assert out == run(the_plan, data([deal("D1", 1000, "2026-07-01")]), engine="python")


def test_absent_products_round_trip_as_null():
    loaded = data([deal("D1", 1000, "2026-07-01")])
    assert data_to_json(loaded)["deals"][0]["products"] is None
    assert load_data(data_to_json(loaded)) == loaded


# ------------------------------------------------------------------ metamorphic property

OPTIONAL = {
    "account": st.sampled_from(["Acme", "Beta"]),
    "type": st.sampled_from(["new", "renewal"]),
    "gross_margin": st.sampled_from(["0.1", "0.3", "0.5"]),
    "discount": st.sampled_from(["0", "0.15", "0.3"]),
    "term_months": st.sampled_from([0, 12, 36]),
    "region": st.sampled_from(["EMEA", "AMER"]),
    "products": st.lists(st.sampled_from(["core", "addon"]), max_size=2),
    "cash_collected_date": st.sampled_from(["2026-07-20", "2026-10-05"]),
    "attributes": st.fixed_dictionaries({}, optional={"tier": st.sampled_from(["gold", "1"])}),
}
# One condition per optional field, each written with every operator family (==, !=,
# not in, ordering, contains, == null), so a field read as anything but null shows up.
PROBE = plan(
    credit=[{"id": "owner", "to": "owner", "when": 'deal.region != "APAC"'}],
    eligibility=[{"id": "dated", "when": 'not (deal.cash_collected_date < "2026-08-01")'}],
    rates=[
        {"id": "r1", "when": 'deal.account == null and deal.type not in ["x"]', "rate": D("0.09")},
        {
            "id": "r2",
            "when": "deal.gross_margin != 0.3 or deal.discount >= 0.15",
            "rate": D("0.08"),
        },
        {"id": "r3", "when": 'not (deal.products contains "core")', "rate": D("0.07")},
        {"id": "r4", "when": "deal.term_months > 6 or deal.products == null", "rate": D("0.06")},
        {"id": "r5", "when": 'deal.attributes.tier != "gold"', "rate": D("0.05")},
        {"id": "default", "rate": D("0.01")},
    ],
    gates=[
        {"id": "reg", "when": "deal.region == null", "effect": {"reduce": D("0.5")}},
        {
            "id": "cash",
            "when": "deal.discount != null",
            "effect": {"hold_until": "deal.cash_collected_date"},
        },
    ],
    spifs=[{"id": "s", "when": 'deal.products != null and deal.type != "new"', "amount": 50}],
)


def _spec_facts(raw: dict) -> dict:
    """The deal facts read straight from the JSON as the spec says, independently of
    `rules.data`: a missing key is null, lists are lists, numbers Decimal, dates dates."""
    facts = {}
    for key, value in raw.items():
        if key == "attributes":
            facts.update({f"deal.attributes.{k}": v for k, v in (value or {}).items()})
        elif key in ("gross_margin", "discount", "amount") and value is not None:
            facts[f"deal.{key}"] = D(value)
        elif key in ("close_date", "cash_collected_date") and value is not None:
            facts[f"deal.{key}"] = date.fromisoformat(value)
        elif isinstance(value, list):
            facts[f"deal.{key}"] = tuple(value)
        else:
            facts[f"deal.{key}"] = value
    return facts


PROBES = [
    parse_condition(f"{field} {test}")
    for field in [f"deal.{k}" for k in OPTIONAL if k != "attributes"] + ["deal.attributes.tier"]
    for test in ("== null", "!= null")
] + [parse_condition(r["when"]) for r in PROBE.document["rates"] if "when" in r]


@given(
    st.lists(st.fixed_dictionaries({}, optional=OPTIONAL), min_size=1, max_size=4),
    st.data(),
)
@settings(max_examples=60, deadline=None, derandomize=True)
def test_dropping_an_optional_field_is_exactly_null(fields, draw):
    """Every deal written twice: some optional fields dropped, or written as explicit
    null. Each probe condition must hold on the engine's facts exactly when it holds on
    the facts read from the JSON as the spec says (missing = null), and the dropped and
    nulled data must give the same output byte for byte, on both engines."""
    dropped, nulled = [], []
    for i, present in enumerate(fields):
        gone = draw.draw(st.sets(st.sampled_from(sorted(OPTIONAL))), label=f"drop {i}")
        kept = {k: v for k, v in present.items() if k not in gone}
        dropped.append(deal(f"D{i}", 1000 + i, f"2026-07-{i + 1:02d}", **kept))
        nulled.append({**dropped[-1], **dict.fromkeys(gone)})
    for raw, loaded in zip(dropped, data(dropped).deals, strict=True):
        engine = deal_facts(loaded, loaded.amount)
        spec = _spec_facts(raw)
        for probe in PROBES:
            assert probe.holds(engine) == probe.holds(spec), (probe.text, raw)
    people = [person("ana")]
    a = to_json(evaluate([PROBE], data(dropped, people), "2026-Q3", engine="python"))
    b = to_json(evaluate([PROBE], data(nulled, people), "2026-Q3", engine="python"))
    c = to_json(evaluate([PROBE], data(nulled, people), "2026-Q3", engine="durable"))
    assert a == b == c
