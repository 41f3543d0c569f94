"""Problems at their lines (rules.locate): JSON paths walked through the YAML text."""

from __future__ import annotations

from rules.locate import line_of, lines_of, path_parts
from tests.integration.committee import plan_text

TEXT = plan_text("0.06", tiers=True)  # rates at lines 9-14, tiers at 15-19


def test_paths_split_into_keys_and_indexes():
    assert path_parts("$.rates[2].when") == ["rates", 2, "when"]
    assert path_parts("tests[0]") == ["tests", 0]
    assert path_parts("$") == []


def test_a_path_points_at_its_key_or_item():
    assert line_of(TEXT, "$.rates[0].rate") == 12
    assert line_of(TEXT, "$.rates[0].when") == 11
    assert line_of(TEXT, "$.tiers.bands[1].multiplier") == 19  # flow style: the item's line
    assert line_of(TEXT, "$.credit[0]") == 6


def test_the_deepest_part_found_gives_the_line():
    assert line_of(TEXT, "$.credit[0].foo") == 6  # an unknown key: the rule it is in
    assert line_of(TEXT, "$.rates[7]") == 9


def test_reading_problems_keep_their_line_and_others_have_none():
    assert line_of("a: [", "line 3, column 2") == 3
    assert line_of(TEXT, "effective_from") is None
    assert line_of("a: [", "$.rates[0]") is None
    assert lines_of(TEXT, ["$.rates[0].rate", "$"]) == [12, None]
