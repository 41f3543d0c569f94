"""The strict loader: YAML 1.1 traps, exact numbers, duplicate keys, located syntax errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rules.yamlload import LoadError, load_json, load_text, load_yaml


def test_only_true_and_false_are_booleans():
    doc = load_yaml("a: on\nb: off\nc: yes\nd: no\ne: true\nf: false\ng: True\nh: y\n")
    assert doc == {
        "a": "on",
        "b": "off",
        "c": "yes",
        "d": "no",
        "e": True,
        "f": False,
        "g": "True",
        "h": "y",
    }


def test_decimals_are_exact_and_never_floats():
    doc = load_yaml("a: 0.1\nb: 0.060\nc: -2.5\nd: .5\n")
    assert doc == {
        "a": Decimal("0.1"),
        "b": Decimal("0.060"),
        "c": Decimal("-2.5"),
        "d": Decimal("0.5"),
    }
    assert all(type(v) is Decimal for v in doc.values())
    assert str(doc["b"]) == "0.060"  # the written digits survive


def test_integers_are_ints():
    doc = load_yaml("a: 12\nb: -3\nc: 0\nd: +7\n")
    assert doc == {"a": 12, "b": -3, "c": 0, "d": 7}
    assert all(type(v) is int for v in doc.values())


def test_exponent_is_a_decimal_number():
    assert load_yaml("a: 1e3\n") == {"a": Decimal("1E+3")}
    assert load_yaml("a: 2.5E-2\n") == {"a": Decimal("0.025")}


def test_yaml11_number_oddities_stay_text():
    doc = load_yaml("a: 012\nb: 0x1F\nc: 1_000\nd: 1:30\ne: .inf\nf: .nan\ng: 0o17\n")
    assert doc == {
        "a": "012",
        "b": "0x1F",
        "c": "1_000",
        "d": "1:30",
        "e": ".inf",
        "f": ".nan",
        "g": "0o17",
    }


def test_explicit_float_tag_is_read_exactly():
    assert load_yaml("a: !!float 0.1\n") == {"a": Decimal("0.1")}


def test_dates_stay_iso_text():
    doc = load_yaml("until: 2026-12-31\nstamp: 2026-12-31T10:00:00Z\nx: !!timestamp 2026-01-02\n")
    assert doc == {"until": "2026-12-31", "stamp": "2026-12-31T10:00:00Z", "x": "2026-01-02"}


def test_null_forms():
    assert load_yaml("a: ~\nb: null\nc:\n") == {"a": None, "b": None, "c": None}


def test_duplicate_keys_are_all_reported_with_lines():
    text = "rate: 1\nid: x\nrate: 2\nnested:\n  a: 1\n  a: 2\n"
    with pytest.raises(LoadError) as caught:
        load_yaml(text)
    problems = caught.value.problems
    assert [p.path for p in problems] == ["line 3, column 1", "line 6, column 3"]
    assert "duplicate key 'rate' (first at line 1, column 1)" in problems[0].message
    assert "duplicate key 'a'" in problems[1].message


def test_syntax_error_has_line_and_column():
    with pytest.raises(LoadError) as caught:
        load_yaml("policy: x\nrates: [1, 2\n")
    (problem,) = caught.value.problems
    assert problem.path.startswith("line 3, column")
    assert "expected ',' or ']'" in problem.message


def test_tab_indentation_is_a_located_error():
    with pytest.raises(LoadError) as caught:
        load_yaml("a:\n\tb: 1\n")
    assert caught.value.problems[0].path == "line 2, column 1"


def test_aliases_are_refused():
    with pytest.raises(LoadError) as caught:
        load_yaml("a: &x [1, 2]\nb: *x\n")
    assert "aliases" in caught.value.problems[0].message
    assert caught.value.problems[0].path == "line 2, column 4"


def test_merge_key_is_just_a_key():
    # `<<` merges could silently override keys; here it is an ordinary (later unknown) key.
    assert load_yaml("<<: {a: 1}\nb: 2\n") == {"<<": {"a": 1}, "b": 2}


def test_huge_numbers_are_refused():
    with pytest.raises(LoadError) as caught:
        load_yaml("a: 1e999999999\n")
    assert "too large" in caught.value.problems[0].message


def test_json_numbers_are_exact():
    doc = load_json('{"a": 0.10, "b": 1e3, "c": 5, "d": -0.5}')
    assert doc == {"a": Decimal("0.10"), "b": Decimal("1E+3"), "c": 5, "d": Decimal("-0.5")}
    assert type(doc["c"]) is int and str(doc["a"]) == "0.10"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_rejects_nan_and_infinity(constant):
    with pytest.raises(LoadError) as caught:
        load_json('{"a": ' + constant + "}")
    assert constant.lstrip("-") in caught.value.problems[0].message


def test_json_refused_numbers_are_located_by_json_path():
    text = (
        '{"deals": [{"amount": 1}, {"amount": 1e309}], "fx": [{"rate": NaN}], "a b": [-Infinity]}'
    )
    with pytest.raises(LoadError) as caught:
        load_json(text)
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("$.deals[1].amount", "number 1E+309 is too large or too precise"),
        ("$.fx[0].rate", "NaN is not a number a plan or data file may contain"),
        ('$["a b"][0]', "-Infinity is not a number a plan or data file may contain"),
    ]


def test_json_duplicate_keys_all_reported_with_lines():
    with pytest.raises(LoadError) as caught:
        load_json('{"a": 1,\n "b": {"c": 1,\n  "c": 2}, "a": 3}')
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("line 3, column 12", "duplicate key 'a' (first at line 1, column 2)"),
        ("line 3, column 3", "duplicate key 'c' (first at line 2, column 8)"),
    ]


def test_json_duplicate_keys_without_a_location():
    # A tab after a colon is JSON but not YAML: the object is named instead of a line.
    with pytest.raises(LoadError) as caught:
        load_json('{"a":\t1, "a": 2}')
    (problem,) = caught.value.problems
    assert problem.path == "$" and problem.message == "duplicate key 'a' in the object {a}"


def test_json_syntax_error_is_located():
    with pytest.raises(LoadError) as caught:
        load_json('{\n  "a": 1,\n}')
    assert caught.value.problems[0].path == "line 3, column 1"


def test_load_text_picks_the_format():
    assert load_text('{"a": 0.1}') == {"a": Decimal("0.1")}
    assert load_text("{a: 0.1}") == {"a": Decimal("0.1")}  # a YAML flow mapping
    assert load_text("a: on", source="plan.yaml") == {"a": "on"}
    assert load_text(b'\xef\xbb\xbf{"a": 1}', source="d.json") == {"a": 1}
    with pytest.raises(LoadError):
        load_text("a: 1", source="plan.json")  # a .json file must be JSON


def test_load_text_rejects_non_utf8():
    with pytest.raises(LoadError) as caught:
        load_text(b"a: \xff\n")
    assert "UTF-8" in caught.value.problems[0].message
