"""Version hash and canonical form: equal plans hash equal, any real change changes the hash."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from rules.canonical import DecimalText, canonical_json, normalise_decimal, to_document
from rules.document import dump_plan_yaml, load_plan, plan_from_mapping
from tests.unit.plandocs import SPEC_PLAN, spec_plan


def test_version_is_sha256_of_the_canonical_document():
    plan = load_plan(SPEC_PLAN)
    expected = hashlib.sha256(canonical_json(plan.document).encode("utf-8")).hexdigest()
    assert plan.version == f"sha256:{expected}"


def test_key_order_whitespace_and_comments_do_not_change_the_hash():
    reordered = """\
# the same plan, written differently
title:    "Account Executive plan FY2026"
policy: ae-plan
period: quarter
currency: USD
credit: [{share: 1, to: splits, id: owner}]
eligibility: [{when: participant.tenure_days >= 90, id: ramped}]
rates:
  - {rate: 0.06, id: new-business, when: 'deal.type == "new"'}
  - {rate: 0.04, id: expansion, when: 'deal.type == "expansion"'}
  - {rate: 0.02, id: default}
caps: {per_period: 150000, per_deal: 25000}
tiers:
  mode: marginal
  basis: attainment
  bands:
    - {from: 0, to: 0.5, multiplier: 0, id: below-threshold}
    - {from: 0.5, to: 1.0, multiplier: 1, id: base}
    - {from: 1.0, to: 1.5, multiplier: 1.5, id: accelerator}
    - {from: 1.5, multiplier: 2, id: stretch}
gates:
  - {effect: block, when: deal.gross_margin < 0.25, id: margin-floor}
  - {effect: {reduce: 0.5}, when: deal.discount > 0.20, id: deep-discount}
  - {effect: {hold_until: deal.cash_collected_date}, id: pay-on-cash}
clawbacks: [{recover: prorated, within_days: 180, triggers: [cancellation, churn], id: early-churn}]
spifs: [{amount: 500, when: deal.term_months >= 24, id: multi-year}]
draw: {until: "2026-12-31", recoverable: true, amount: 2000, id: ramp-draw}
"""
    assert load_plan(reordered).version == load_plan(SPEC_PLAN).version


def test_yaml_and_json_of_the_same_plan_hash_equal():
    plan = load_plan(SPEC_PLAN)
    as_json = json.dumps(json.loads(canonical_json(plan.document)), indent=2)
    assert load_plan(as_json).version == plan.version
    assert load_plan(canonical_json(plan.document)).version == plan.version


def test_equal_numbers_hash_equal():
    versions = set()
    for rate in (Decimal("0.06"), Decimal("0.060"), Decimal("6E-2"), "0.06", 0.06):
        doc = spec_plan()
        doc["rates"][0]["rate"] = rate
        versions.add(plan_from_mapping(doc).version)
    assert len(versions) == 1
    versions = set()
    for amount in (2000, Decimal("2000.00"), Decimal("2E+3"), "2000"):
        doc = spec_plan()
        doc["draw"]["amount"] = amount
        versions.add(plan_from_mapping(doc).version)
    assert len(versions) == 1


def test_a_changed_rate_changes_the_hash():
    doc = spec_plan()
    doc["rates"][0]["rate"] = Decimal("0.061")
    assert plan_from_mapping(doc).version != load_plan(SPEC_PLAN).version


def test_a_changed_condition_or_title_changes_the_hash():
    base = load_plan(SPEC_PLAN).version
    doc = spec_plan()
    doc["gates"][0]["when"] = "deal.gross_margin < 0.26"
    assert plan_from_mapping(doc).version != base
    doc = spec_plan()
    doc["title"] += "."
    assert plan_from_mapping(doc).version != base


def test_embedded_tests_are_part_of_the_hash():
    base = load_plan(SPEC_PLAN)
    with_test = SPEC_PLAN + (
        "tests:\n  - name: nothing closes\n    period: 2026-Q3\n"
        "    data: {participants: [{id: ana}]}\n"
        "    expect: [{participant: ana, payable: 0}]\n"
    )
    changed = with_test.replace("payable: 0", "payable: 1")
    assert len({base.version, load_plan(with_test).version, load_plan(changed).version}) == 3


def test_canonical_json_format():
    doc = to_document(
        {"b": Decimal("0.060"), "a": [1, Decimal("1.0"), True, None], "é": "ü", "c": Decimal("-0")}
    )
    assert canonical_json(doc) == '{"a":[1,1,true,null],"b":0.06,"c":0,"é":"ü"}'


def test_normalise_decimal():
    assert normalise_decimal(Decimal("0.060")) == "0.06"
    assert normalise_decimal(Decimal("1E+3")) == "1000"
    assert normalise_decimal(Decimal("100.0")) == "100"
    assert normalise_decimal(Decimal("-0.00")) == "0"
    assert normalise_decimal(Decimal("1.5E-7")) == "0.00000015"


def test_document_is_plain_json_with_decimals_as_text():
    plan = load_plan(SPEC_PLAN)
    assert plan.document["rates"][0]["rate"] == "0.06"
    assert isinstance(plan.document["rates"][0]["rate"], DecimalText)
    assert plan.document["caps"]["per_deal"] == 25000
    assert plan.document["draw"]["until"] == "2026-12-31"
    assert json.loads(json.dumps(plan.document))["tiers"]["bands"][2]["multiplier"] == "1.5"


def test_dump_plan_yaml_round_trips_to_the_same_version():
    plan = load_plan(SPEC_PLAN)
    text = dump_plan_yaml(plan)
    assert load_plan(text).version == plan.version
    assert dump_plan_yaml(plan) == text  # deterministic
    assert text.startswith("policy: ae-plan\ntitle: Account Executive plan FY2026\n")
    assert "  rate: 0.06\n" in text  # numbers are written plainly, not quoted
    assert "until: '2026-12-31'" in text


def test_dump_quotes_text_that_other_yaml_readers_would_misread():
    doc = spec_plan()
    doc["title"] = "on"
    doc["rates"][0]["id"] = "012"
    text = dump_plan_yaml(doc)
    assert "title: 'on'" in text and "id: '012'" in text
    assert load_plan(text).version == plan_from_mapping(doc).version


def test_dump_of_a_plan_with_tests_round_trips():
    text = SPEC_PLAN + (
        "tests:\n  - name: owner pays\n    period: 2026-Q3\n"
        "    data: {participants: [{id: ana, attributes: {score: 4.5}}], fx: {EUR/USD: 1.08}}\n"
        '    expect: [{participant: ana, payable: "0.00", attainment: null}]\n'
    )
    plan = load_plan(text)
    assert load_plan(dump_plan_yaml(plan)).version == plan.version
