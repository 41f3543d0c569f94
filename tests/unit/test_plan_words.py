"""A plan in plain words (rules.plan_words): what a rep reads on /my-plan."""

from __future__ import annotations

from pathlib import Path

from rules.document import load_plan
from rules.plan_words import condition_words, describe_plan

SPEC_PLAN = Path(__file__).with_name("plan_words_spec_plan.yaml")

SIMPLE = """\
policy: simple-plan
title: Simple
currency: EUR
period: quarter
credit: [{id: owner, to: owner, share: 1}]
rates: [{id: everything, rate: 0.10}]
tiers:
  bands:
    - {id: base, from: 0, to: 1, multiplier: 1}
    - {id: above, from: 1, multiplier: 1.5}
"""


def _words(text: str) -> dict[str, list[str]]:
    return {s.title: s.sentences for s in describe_plan(load_plan(text))}


def test_one_rate_with_tiers_reads_as_one_sentence():
    earning = _words(SIMPLE)["How you earn"]
    assert earning[0].startswith(
        "10% of the credited amount up to 100% of quota, 15% above. Bands measure your"
        " attainment in the quarter (credit / quota); each part of your credit earns"
    )


def test_every_part_of_the_spec_plan_is_said():
    words = _words(SPEC_PLAN.read_text())
    assert list(words) == [
        "How you earn",
        "Who is credited",
        "Who earns",
        "Gates",
        "Caps",
        "Clawbacks",
        "SPIFs",
        "Draw",
    ]
    earning = " ".join(words["How you earn"])
    assert '6% of the credited amount when the deal\'s type is "new" (new-business).' in earning
    assert "2% of the credited amount otherwise (default)." in earning
    assert "nothing up to 50% of quota, 1 × the base rate from 50% to 100% of quota" in earning
    assert "2 × the base rate above" in earning
    assert words["Who is credited"] == [
        "Each person in the deal's split table is credited with 100% of their split of its"
        " amount (without splits, the owner with all of it) (owner)."
    ]
    assert words["Who earns"] == [
        "You earn on a deal only when your tenure days is at least 90 (ramped)."
    ]
    assert words["Gates"] == [
        "Nothing is paid on a deal when the deal's gross margin is below 25% (margin-floor).",
        "Commission is cut to 50% when the deal's discount is above 20% (deep-discount).",
        "Commission is held until the deal's cash collected date (pay-on-cash).",
    ]
    assert words["Caps"] == [
        "At most USD 25,000.00 of commission per deal.",
        "At most USD 150,000.00 of commission per quarter.",
    ]
    assert "cancellation or churn within 180 days" in words["Clawbacks"][0]
    assert "(prorated)" in words["Clawbacks"][0]
    assert words["SPIFs"] == [
        "A bonus of USD 500.00 for each deal when the deal's term months is at least 24"
        " (multi-year)."
    ]
    assert words["Draw"] == [
        "You are paid at least USD 2,000.00 per quarter; what the draw adds is recovered"
        " from later commission above it, until 2026-12-31 (ramp-draw)."
    ]


def test_one_rate_alone_is_on_every_deal():
    text = SIMPLE.split("tiers:")[0]
    assert _words(text)["How you earn"] == [
        "10% of the credited amount on every deal (everything)."
    ]


def test_conditions_read_as_words_or_stay_as_written():
    assert condition_words('deal.region in ["EMEA", "APAC"]') == (
        'the deal\'s region is one of ["EMEA", "APAC"]'
    )
    assert condition_words("deal.amount >= 1000 and deal.term_months > 12") == (
        "the deal's amount is at least 1000 and the deal's term months is above 12"
    )
    assert condition_words('deal.type == "new" or deal.amount > 5') == (
        '`deal.type == "new" or deal.amount > 5`'
    )
    assert condition_words("deal.attributes.csat >= 8") == "the deal's csat is at least 8"
