"""The `when` language: parsing, type errors with positions, and the oracle's semantics."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from rules.conditions import ROOTS, Condition, ConditionError, parse_condition

D = Decimal


def holds(text: str, **facts: object) -> bool:
    return parse_condition(text).holds({k.replace("__", "."): v for k, v in facts.items()})


def error(text: str, roots: frozenset[str] = ROOTS) -> ConditionError:
    with pytest.raises(ConditionError) as info:
        parse_condition(text, roots)
    assert info.value.text == text
    return info.value


# ------------------------------------------------------------------ parsing


def test_fields_are_collected():
    cond = parse_condition('deal.type == "new" and deal.attributes.csat > 8 or credit.share < 1')
    assert cond.fields == {"deal.type", "deal.attributes.csat", "credit.share"}


def test_precedence_not_binds_tighter_than_and_than_or():
    cond = parse_condition("not deal.amount > 5 and deal.term_months == 12 or deal.discount == 0")
    assert cond.canonical() == (
        "not (deal.amount > 5) and deal.term_months == 12 or deal.discount == 0"
    )
    # or is weakest: the right side alone suffices
    assert cond.holds({"deal.amount": D(9), "deal.discount": D(0)})
    assert not cond.holds({"deal.amount": D(9), "deal.term_months": 12})
    assert cond.holds({"deal.amount": D(1), "deal.term_months": 12})


def test_parentheses_group():
    cond = parse_condition("deal.amount > 5 and (deal.term_months == 12 or deal.discount == 0)")
    assert not cond.holds({"deal.amount": D(1), "deal.discount": D(0)})
    assert cond.holds({"deal.amount": D(6), "deal.discount": D(0)})


def test_literals_are_read_exactly():
    cond = parse_condition("deal.gross_margin == 0.1000000000000000000000000001")
    assert cond.holds({"deal.gross_margin": D("0.1000000000000000000000000001")})
    assert not cond.holds({"deal.gross_margin": D("0.1")})


def test_string_escapes():
    cond = parse_condition(r'deal.account == "say \"hi\"\\ \u00e9\n"')
    assert cond.holds({"deal.account": 'say "hi"\\ é\n'})


def test_canonical_normalises_layout_numbers_and_parentheses():
    a = parse_condition('((deal.type=="new"))and deal.amount>=10000.00 and (deal.discount < 0.20)')
    b = parse_condition('deal.type == "new" and (deal.amount >= 10000 and deal.discount < 0.2)')
    assert a.canonical() == b.canonical()
    assert a.canonical() == 'deal.type == "new" and deal.amount >= 10000 and deal.discount < 0.2'
    assert a != b  # equality is by text; canonical() is the normalised view


def test_condition_is_frozen_and_hashable():
    cond = parse_condition("deal.amount > 5")
    assert cond == parse_condition("deal.amount > 5")
    assert len({cond, parse_condition("deal.amount > 5")}) == 1
    assert isinstance(cond, Condition)
    with pytest.raises(AttributeError):
        cond.text = "x"  # type: ignore[misc]


# ------------------------------------------------------------------ errors and positions


def test_unknown_field_with_suggestion():
    err = error("deal.amount > 5 and deal.amout > 3")
    assert err.message == "unknown field deal.amout (did you mean deal.amount?)"
    assert err.position == 21


def test_missing_value_after_operator():
    err = error("deal.amount >= and deal.type == 1")
    assert err.message == "expected a value after '>=', found 'and'"
    assert err.position == 16
    assert str(err) == "expected a value after '>=', found 'and' at column 16"


def test_ordering_on_a_string_field():
    err = error('deal.type < "z"')
    assert err.message == "'<' applies to numbers and dates, deal.type is a string"
    assert err.position == 11


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("", "the condition is empty", 1),
        (
            "deal.amount > 5 deal.type",
            "unexpected 'deal.type'; expected 'and', 'or' or the end",
            17,
        ),
        (
            "(deal.amount > 5",
            "expected ')' to close the '(' at column 1, found the end of the condition",
            17,
        ),
        ("deal.amount = 5", "use '==' to compare, not '='", 13),
        ("deal.amount > 1e5", "malformed number '1e5' (write plain decimals such as 0.25)", 15),
        ("deal.discount > 6%", "write rates as decimals (0.06), not percentages", 18),
        ("deal.type == 'new'", 'strings use double quotes: "..."', 14),
        ('deal.type == "new', "unterminated string", 14),
        ("deal.amount > 5 && deal.amount < 9", "unexpected '&': write 'and'", 17),
        # Changed for issue 17 (item 7): `5 < deal.amount` was an error here; the spec's
        # "every document written to the contract must be accepted" admits a literal on
        # the left (test_literal_on_the_left_...). Two literals are still an error.
        ("5 == 5", "compare a field with a value; found '5'", 6),
        (
            '"core" in deal.products',
            "write the field first with 'in', e.g. deal.products contains \"core\"",
            8,
        ),
        (
            "deal.amount",
            "expected an operator (==, !=, <, <=, >, >=, in, not in, contains) "
            "after deal.amount, found the end of the condition",
            12,
        ),
        (
            'deal.amount == "5"',
            'deal.amount is a decimal; compare it with a number, not the string "5"',
            16,
        ),
        (
            "deal.type == 5",
            'deal.type is a string; compare it with a "string", not the number 5',
            14,
        ),
        (
            'deal.close_date > "2026-02-30"',
            'deal.close_date is a date; "2026-02-30" is not a valid date (write "YYYY-MM-DD")',
            19,
        ),
        (
            'deal.close_date > "July 1"',
            'deal.close_date is a date; "July 1" is not a valid date (write "YYYY-MM-DD")',
            19,
        ),
        ('deal.type contains "a"', "'contains' applies to lists, deal.type is a string", 11),
        (
            'deal.products == "core"',
            "deal.products is a list of strings: use 'contains', not '=='",
            15,
        ),
        ("deal.products contains 5", "'contains' needs a string value, not the number 5", 24),
        ("deal.amount > null", "null can only be compared with == or !=, not '>'", 15),
        # (issue 17 item 7: `deal.type in ["a", null]` is no longer an error; see below)
        (
            'deal.attributes.x in ["a", 1, null]',
            "a list must hold values of one type (numbers, strings or booleans)",
            22,
        ),
        (
            'deal.attributes.x in [1, "a"]',
            "a list must hold values of one type (numbers, strings or booleans)",
            22,
        ),
        (
            'deal.attributes.x < "abc"',
            "'<' applies to numbers and dates, not the string \"abc\"",
            21,
        ),
        ("deal.attributes > 5", "deal.attributes needs a name: deal.attributes.NAME", 1),
        ("assignment.rol == 1", "unknown field assignment.rol (did you mean assignment.role?)", 1),
        ("deal.amount in 5", "expected a list [..] after 'in', found '5'", 16),
        ("deal.amount == [1]", "a list needs 'in' or 'not in', not '=='", 16),
    ],
)
def test_error_messages_and_columns(text, message, position):
    err = error(text)
    assert (err.message, err.position) == (message, position)


def test_deep_nesting_is_an_error_not_a_recursion_error():
    err = error("not " * 60 + "deal.amount > 5")
    assert err.message == "the condition is nested too deeply (over 50 levels)"
    assert err.position == 201
    assert parse_condition("(" * 40 + "deal.amount > 5" + ")" * 40).holds({"deal.amount": D(6)})
    wide = " or ".join(f"deal.amount == {i}" for i in range(2000))
    assert parse_condition(wide).holds({"deal.amount": D(1999)})


def test_allowed_roots_restrict_fields():
    err = error('participant.region == "EMEA"', frozenset({"deal"}))
    assert err.message == "participant.region cannot be used here; only deal.* fields are allowed"
    assert parse_condition('deal.region == "EMEA"', frozenset({"deal"})).fields == {"deal.region"}


# ------------------------------------------------------------------ operators (oracle)


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ("deal.amount == 100", D("100.00"), True),
        ("deal.amount != 100", D("100.01"), True),
        ("deal.amount < 100", D("99.9999999"), True),
        ("deal.amount <= 100", D("100"), True),
        ("deal.amount > 100", D("100.0000001"), True),
        ("deal.amount >= 100", D("99.99"), False),
        ("deal.amount in [1, 2, 3.5]", D("3.50"), True),
        ("deal.amount not in [1, 2]", D("3"), True),
        ("deal.amount not in [1, 2]", D("2.0"), False),
        ("deal.term_months == 12", 12, True),
        ("deal.gross_margin < 0.25", D("0.2500001"), False),
        ("deal.gross_margin > 0.25", D("0.2500001"), True),
        ("deal.amount > 999999999999.98", D("999999999999.99"), True),
    ],
)
def test_number_operators(text, value, expected):
    assert holds(text, **{text.split()[0].replace(".", "__"): value}) is expected


def test_dates_compare_as_dates():
    assert holds('deal.close_date >= "2026-07-01"', deal__close_date=date(2026, 7, 14))
    assert not holds('deal.close_date < "2026-07-01"', deal__close_date=date(2026, 7, 1))
    assert holds('deal.close_date in ["2026-07-01"]', deal__close_date=date(2026, 7, 1))
    assert holds('assignment.end != "2026-12-31"', assignment__end=date(2027, 1, 1))


def test_strings_lists_and_contains():
    assert holds('deal.type in ["new", "expansion"]', deal__type="new")
    assert holds('deal.type not in ["new"]', deal__type="renewal")
    assert holds('deal.products contains "core"', deal__products=("core", "addon"))
    assert not holds('deal.products contains "core"', deal__products=())
    assert holds('not deal.products contains "core"', deal__products=["addon"])


@pytest.mark.parametrize(
    "text",
    [
        "deal.amount == 5",
        "deal.amount != 5",
        "deal.amount < 5",
        "deal.amount >= 5",
        "deal.amount in [5]",
        "deal.amount not in [5]",
        'deal.products contains "core"',
    ],
)
def test_a_comparison_with_null_is_false(text):
    field = text.split()[0]
    assert parse_condition(text).holds({}) is False
    assert parse_condition(text).holds({field: None}) is False


def test_null_checks():
    assert holds("deal.cash_collected_date == null")
    assert holds("deal.cash_collected_date == null", deal__cash_collected_date=None)
    assert not holds("deal.cash_collected_date != null", deal__cash_collected_date=None)
    assert holds("deal.cash_collected_date != null", deal__cash_collected_date=date(2026, 8, 1))
    assert holds("deal.products != null", deal__products=())  # an empty list is not null


def test_not_of_a_null_comparison_is_true():
    """Decision (docs/conditions.md): `not` negates the whole comparison, which is false."""
    assert holds("not (deal.gross_margin > 0.25)")
    assert holds("not (deal.gross_margin != 0.25)")
    assert not holds("deal.gross_margin <= 0.25")  # so `not (x > a)` differs from `x <= a`


def test_attributes_of_mismatched_types_compare_false():
    assert holds("deal.attributes.csat == 9", deal__attributes__csat=9)
    assert holds("deal.attributes.csat == 9", deal__attributes__csat=D("9.0"))
    assert not holds("deal.attributes.csat == 9", deal__attributes__csat="9")
    assert not holds("deal.attributes.csat != 9", deal__attributes__csat="9")
    assert not holds("deal.attributes.csat > 8", deal__attributes__csat="9000.00")
    assert not holds("deal.attributes.csat == 1", deal__attributes__csat=True)
    assert holds("deal.attributes.vip == true", deal__attributes__vip=True)
    assert not holds("deal.attributes.vip in [true]", deal__attributes__vip=1)
    assert not holds('deal.attributes.tags not in ["a"]', deal__attributes__tags=5)


def test_attribute_dates():
    assert holds('deal.attributes.renewal > "2026-01-01"', deal__attributes__renewal="2026-03-01")
    assert holds(
        'deal.attributes.renewal > "2026-01-01"', deal__attributes__renewal=date(2026, 3, 1)
    )
    assert not holds('deal.attributes.renewal > "2026-01-01"', deal__attributes__renewal="soon")
    assert holds(
        'deal.attributes.renewal == "2026-03-01"', deal__attributes__renewal=date(2026, 3, 1)
    )


def test_empty_lists():
    assert not holds("deal.type in []", deal__type="new")
    assert holds("deal.type not in []", deal__type="new")
    assert not holds("deal.type not in []")


def test_floats_are_refused():
    with pytest.raises(TypeError, match="float"):
        holds("deal.amount > 5", deal__amount=5.5)


# ------------------------------------------------------------------ never_matches


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "deal.term_months == 12.5",
            "deal.term_months == 12.5 never holds: deal.term_months is an integer",
        ),
        ("deal.amount < 0", "deal.amount < 0 never holds: deal.amount is never negative"),
        (
            "deal.amount < 5 and deal.amount > 7",
            "deal.amount < 5 and deal.amount > 7 cannot all hold",
        ),
        (
            'deal.type == "a" and deal.type == "b"',
            'deal.type == "a" and deal.type == "b" cannot all hold',
        ),
        ("deal.type in []", "deal.type in [] never holds: the list is empty"),
        (
            "deal.amount == null and deal.amount > 1",
            "deal.amount == null and deal.amount > 1 cannot all hold",
        ),
        (
            "participant.tenure_days > 1 and participant.tenure_days < 2",
            "participant.tenure_days > 1 and participant.tenure_days < 2 cannot all hold",
        ),
    ],
)
def test_never_matches(text, reason):
    assert parse_condition(text).never_matches() == reason


@pytest.mark.parametrize(
    "text",
    [
        "deal.amount > 5 and deal.amount < 7",
        "deal.term_months == 12",
        "deal.amount <= 0",
        "deal.amount < 5 or deal.amount > 7",
        'deal.attributes.d == "2026-03-01" and deal.attributes.d > "2026-01-01"',
        "not (deal.amount > 5) and not (deal.amount < 7)",
        'deal.type != "a" and deal.type == "b"',
    ],
)
def test_may_match(text):
    assert parse_condition(text).never_matches() is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("deal.amount > ５", "unexpected character '５' (15)"),
        ("deal.term_months == ٣", "unexpected character '٣' (21)"),
        (
            'deal.close_date > "２０２６-07-01"',
            'deal.close_date is a date; "２０２６-07-01" is not a valid date '
            '(write "YYYY-MM-DD") (19)',
        ),
    ],
)
def test_numbers_and_dates_are_ascii_digits_only(text, message):
    """Issue 17 item 4: `str.isdigit`, `\\d` and `Decimal` all accept any Unicode digit."""
    with pytest.raises(ConditionError) as caught:
        parse_condition(text)
    assert f"{caught.value.message} ({caught.value.position})" == message


def test_a_surrogate_pair_escape_is_one_character():
    """Issue 17 item 6: `"\\ud83d\\ude42 Corp"` is "🙂 Corp" (as JSON reads it); the two
    halves were kept apart, so the oracle never matched while durable-rules (which sees
    ASCII escapes on both sides) did."""
    cond = parse_condition('deal.account == "\\ud83d\\ude42 Corp"')
    assert cond.node.value == "🙂 Corp"
    assert cond.holds({"deal.account": "🙂 Corp"})
    assert parse_condition('deal.account == "\\uD83D\\uDE42 Corp"').node.value == "🙂 Corp"


@pytest.mark.parametrize("literal", ['"\\ud83d"', '"x\\ude42"', '"\\ude42\\ud83d"', '"a\ud83d"'])
def test_a_lone_surrogate_is_no_character(literal):
    e = error(f"deal.account == {literal}")
    assert e.message.startswith("the string contains a lone UTF-16 surrogate")
    assert e.position == 17


# ------------------------------------------------------------------ issue 17, item 7


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("100000 <= deal.amount", "deal.amount >= 100000"),
        ('"new" == deal.type', 'deal.type == "new"'),
        ("0.25 > deal.gross_margin", "deal.gross_margin < 0.25"),
        ('"2026-07-01" < deal.close_date', 'deal.close_date > "2026-07-01"'),
        ("null != deal.discount", "deal.discount != null"),
        ("deal.type in [null]", "deal.type == null"),
        ('deal.type in ["new", null]', 'deal.type in ["new"] or deal.type == null'),
        ("deal.type not in [null]", "deal.type != null"),
        ('deal.type not in ["new", null]', 'deal.type not in ["new"]'),
        ("deal.products in [null]", "deal.products == null"),
    ],
)
def test_conditions_the_spec_allows_are_read_in_one_form(text, canonical):
    """The spec's literals and operators admit a literal on the left and `null` in a list;
    "every document written to the contract must be accepted". Each is read as the one
    field-first form (so the oracle, the matcher and diffs see a single meaning)."""
    assert parse_condition(text).canonical() == canonical


def test_literal_on_the_left_and_null_in_lists_hold_as_written():
    assert holds("100000 <= deal.amount", deal__amount=D(100000))
    assert not holds("100000 <= deal.amount", deal__amount=D("99999.99"))
    assert not holds("100000 <= deal.amount")  # null: false, as `deal.amount >= 100000`
    assert holds('deal.type in ["new", null]', deal__type=None)
    assert holds('deal.type in ["new", null]', deal__type="new")
    assert not holds('deal.type in ["new", null]', deal__type="renewal")
    # `x not in [a, null]` = `x != a and x != null`: false for null, as `not in` is.
    assert not holds('deal.type not in ["new", null]')
    assert holds('deal.type not in ["new", null]', deal__type="renewal")
    assert holds("deal.type not in [null]", deal__type="renewal")


def test_two_fields_compare_by_value_and_null_is_false():
    """Decision (docs/conditions.md): two fields of one type family may be compared;
    a null on either side is false, `!=` included, as with a literal."""
    same = "participant.region == deal.region"
    assert holds(same, participant__region="EMEA", deal__region="EMEA")
    assert not holds(same, participant__region="EMEA", deal__region="AMER")
    assert not holds(same)  # both null: false, not "equal"
    assert not holds("participant.region != deal.region", participant__region="EMEA")
    paid_late = "deal.cash_collected_date > deal.close_date"
    assert holds(
        paid_late, deal__cash_collected_date=date(2026, 8, 1), deal__close_date=date(2026, 7, 1)
    )
    assert holds(
        "deal.attributes.floor <= deal.amount", deal__attributes__floor=9, deal__amount=D(9)
    )
    assert not holds(
        "deal.attributes.floor <= deal.amount", deal__attributes__floor="9", deal__amount=D(9)
    )
    # an attribute holding "YYYY-MM-DD" reads as a date beside a date field
    assert holds(
        "deal.attributes.golive > deal.close_date",
        deal__attributes__golive="2026-08-01",
        deal__close_date=date(2026, 7, 1),
    )


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        (
            "deal.amount == deal.region",
            "deal.amount is a decimal and deal.region is a string: they cannot be compared",
            13,
        ),
        (
            "deal.region < participant.region",
            "'<' applies to numbers and dates, deal.region is a string",
            13,
        ),
        (
            "deal.products == deal.region",
            "deal.products is a list of strings: use 'contains' with a \"string\"",
            1,
        ),
        (
            "deal.close_date > deal.amount",
            "deal.close_date is a date and deal.amount is a decimal: they cannot be compared",
            17,
        ),
    ],
)
def test_two_fields_of_different_types_are_rejected(text, message, position):
    err = error(text)
    assert (err.message, err.position) == (message, position)
