"""The `tests` section of a plan document (spec section 7): embedded test cases.

Each test is `{name, period, data, expect}`, checked here when the plan is loaded. File
data (a path relative to the plan's `base_dir`) is read then and replaces the path in the
document, so the version hash covers the data actually tested; its problems are reported
under `$.tests[i].data`. `PlanTest.expect` holds the expectations with numbers as
`Decimal`. Running the tests is `rules.evaluation.embedded`'s job.

What is checked: docs/plan-validation.md, "Embedded tests (spec section 7)".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from rules.canonical import DecimalText, to_document
from rules.model import PlanTest
from rules.period import Period, PeriodError
from rules.validation import Checker, child, describe
from rules.yamlload import LoadError, load_text

EXPECT_MONEY = ("payable", "held", "credited", "draw_balance")
EXPECT_NULLABLE = ("attainment", "quota")
EXPECT_KEYS = ("participant", "plan", *EXPECT_MONEY, *EXPECT_NULLABLE, "lines")
LINE_KINDS = (
    "commission",
    "spif",
    "release",
    "clawback",
    "forfeit",
    "adjustment",
    "draw",
    "draw_recovery",
)
LINE_STATUSES = ("payable", "held", "blocked", "ineligible")
LINE_TEXT = ("deal", "rule")
LINE_NUMBERS = ("share", "credit", "amount")
LINE_KEYS = ("kind", "status", *LINE_TEXT, *LINE_NUMBERS, "rate")
MAX_DATA_BYTES = 20_000_000


def read_tests(
    check: Checker,
    value: Any,
    period_kind: str | None,
    policy: str | None,
    base_dir: Path | None,
) -> tuple[PlanTest, ...]:
    """Validate `$.tests` (patching the document copy in place) and return the tests."""
    items = check.sequence(value, "$.tests", "a list of tests")
    if items is None:
        return ()
    tests: list[PlanTest] = []
    names: dict[str, str] = {}
    for i, item in enumerate(items):
        path = f"$.tests[{i}]"
        if check.mapping(item, path, "a test (a mapping with name, period, data, expect)") is None:
            continue
        ok = check.keys(item, path, ("name", "period", "data", "expect"))
        name = check.text(item, "name", path)
        if name is not None:
            if name in names:
                check.error(child(path, "name"), f"duplicate test name (first at {names[name]})")
            else:
                names[name] = child(path, "name")
        period = _period(check, item, path, period_kind)
        data, participants = _data(check, item, path, base_dir)
        expect = _expect(check, item, path, policy, participants)
        if ok and name and period and data is not None and expect:
            tests.append(PlanTest(name=name, period=period, data=data, expect=expect))
    return tuple(tests)


def _period(check: Checker, item: dict, path: str, kind: str | None) -> str | None:
    if "period" not in item:
        return None
    value = item["period"]
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # YAML reads a bare 2026 as a number
        item["period"] = value
    try:
        period = Period.parse(value)
    except PeriodError as exc:
        check.error(child(path, "period"), str(exc))
        return None
    if kind is not None and period.kind != kind:
        check.error(
            child(path, "period"),
            f"{period.name} is a {period.kind}; this plan's period is {kind}",
        )
        return None
    return period.name


def _data(
    check: Checker, item: dict, path: str, base_dir: Path | None
) -> tuple[Mapping[str, Any] | None, set[str] | None]:
    """The test's data mapping (read from its file if a path) and its participant ids."""
    from rules.data import check_data

    if "data" not in item:
        return None, None
    where = child(path, "data")
    value = item["data"]
    source = None
    if isinstance(value, str) and not isinstance(value, DecimalText):
        source = value
        value = _read_data_file(check, value, where, base_dir)
        if value is None:
            return None, None
        item["data"] = value
    if check.mapping(value, where, "the test's data (a mapping) or a path to a data file") is None:
        return None, None
    data, problems = check_data(value)
    suffix = f" (in {source})" if source else ""
    check.add((replace(p, message=p.message + suffix) for p in problems), prefix=where)
    if data is None:
        return None, None
    return value, {participant.id for participant in data.participants}


def _read_data_file(check: Checker, relative: str, where: str, base_dir: Path | None) -> Any:
    if base_dir is None:
        check.error(where, f"test data path {relative!r} needs the plan file's folder to read it")
        return None
    candidate = Path(relative)
    if candidate.is_absolute():
        check.error(where, f"test data path {relative!r} must be relative to the plan file")
        return None
    root = Path(base_dir).resolve()
    target = (root / candidate).resolve()
    if not target.is_relative_to(root):
        check.error(where, f"test data path {relative!r} leaves the plan's folder")
        return None
    try:
        if target.stat().st_size > MAX_DATA_BYTES:
            check.error(where, f"test data file {relative!r} is too large")
            return None
        text = target.read_bytes()
    except OSError as exc:
        check.error(where, f"cannot read test data file {relative!r}: {exc.strerror}")
        return None
    try:
        loaded = load_text(text, source=target.name)
    except LoadError as exc:
        for p in exc.problems:
            check.error(where, f"{relative}: {p.path}: {p.message}")
        return None
    return to_document(loaded)


def _expect(
    check: Checker,
    item: Mapping,
    path: str,
    policy: str | None,
    participants: set[str] | None,
) -> tuple[Mapping[str, Any], ...] | None:
    if "expect" not in item:
        return None
    where = child(path, "expect")
    entries = check.sequence(item["expect"], where, "a list of expected statements")
    if entries is None:
        return None
    if not entries:
        check.error(where, "needs at least one expected statement")
        return None
    before = len(check.problems)
    out: list[dict[str, Any]] = []
    for i, entry in enumerate(entries):
        entry_path = child(where, i)
        if check.mapping(entry, entry_path, "an expected statement (a mapping)") is None:
            continue
        check.keys(entry, entry_path, ("participant",), EXPECT_KEYS[1:])
        expected: dict[str, Any] = {}
        participant = check.text(entry, "participant", entry_path)
        if participant is not None:
            expected["participant"] = participant
            if participants is not None and participant not in participants:
                check.error(
                    child(entry_path, "participant"),
                    f"participant {participant!r} is not in this test's data",
                )
        plan = check.text(entry, "plan", entry_path)
        if plan is not None:
            expected["plan"] = plan
            if policy is not None and plan != policy:
                check.error(
                    child(entry_path, "plan"),
                    f"this test runs plan {policy!r} only, not {plan!r}",
                )
        for key in EXPECT_MONEY:
            number = check.decimal(entry, key, entry_path)
            if number is not None:
                expected[key] = number
        for key in EXPECT_NULLABLE:
            if key in entry:
                expected[key] = check.decimal(entry, key, entry_path, nullable=True)
        if "lines" in entry:
            expected["lines"] = _lines(check, entry["lines"], child(entry_path, "lines"))
        out.append(expected)
    if len(check.problems) != before:
        return None
    return tuple(out)


def _lines(check: Checker, value: Any, path: str) -> tuple[dict[str, Any], ...]:
    items = check.sequence(value, path, "a list of expected lines")
    if items is None:
        return ()
    lines: list[dict[str, Any]] = []
    for i, line in enumerate(items):
        where = child(path, i)
        if check.mapping(line, where, "an expected line (a mapping)") is None:
            continue
        check.keys(line, where, (), LINE_KEYS)
        expected: dict[str, Any] = {}
        for key, choices in (("kind", LINE_KINDS), ("status", LINE_STATUSES)):
            if key in line:
                if line[key] in choices:
                    expected[key] = line[key]
                else:
                    check.error(
                        child(where, key),
                        f"expected one of {', '.join(choices)}, got {describe(line[key])}",
                    )
        for key in LINE_TEXT:
            text = check.text(line, key, where)
            if text is not None:
                expected[key] = text
        for key in LINE_NUMBERS:
            number = check.decimal(line, key, where)
            if number is not None:
                expected[key] = number
        if "rate" in line:
            expected["rate"] = check.decimal(line, "rate", where, nullable=True)
        lines.append(expected)
    return tuple(lines)
