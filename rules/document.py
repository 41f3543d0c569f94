"""Plan documents in, validated and typed: YAML/JSON text or a mapping -> `rules.model.Plan`.

`load_plan` and `plan_from_mapping` check every key of spec section 1 (unknown keys are
errors everywhere), every type and range, the id patterns, ids unique across the whole
document, every `when` (through `rules.conditions`) and every embedded test, and raise
`InvalidPlan` with *all* problems found, each with its JSON path, rule id and, inside an
expression, column. Lint-level findings (warnings) live in `rules.lint`.

The accepted document, with numbers normalised (see `rules.canonical`), is kept on
`Plan.document`, and `Plan.version` is the SHA-256 of its canonical JSON.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from rules.canonical import DecimalText, dump_yaml, out_of_range, to_document, version_hash
from rules.model import (
    Band,
    Caps,
    Clawback,
    CreditRule,
    CreditTarget,
    Draw,
    EligibilityRule,
    Gate,
    GateEffect,
    Plan,
    RateRule,
    Spif,
    Tiers,
)
from rules.plantests import read_tests
from rules.problems import InvalidPlan, Problem
from rules.text import LONE_SURROGATE, lone_surrogates
from rules.validation import TOO_LARGE, Checker, child, describe
from rules.yamlload import MAX_DEPTH, LoadError, load_text, too_deep

POLICY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
RULE_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
PERIOD_KINDS = ("month", "quarter", "year")
ATTRIBUTION_MODELS = ("first_touch", "last_touch", "linear", "u_shaped", "w_shaped")
TIER_BASES = ("attainment", "credited", "deal")
TIER_MODES = ("marginal", "retroactive")
RECOVERY = ("full", "prorated")
# Dates a line can be held until: the deal's own dates, or a deal attribute holding one.
HOLD_FIELDS = ("deal.cash_collected_date", "deal.close_date")
HOLD_ATTRIBUTE = re.compile(r"^deal\.attributes\.[A-Za-z_][A-Za-z0-9_]*$")
DEAL_ONLY = frozenset({"deal"})

TOP_REQUIRED = ("policy", "title", "currency", "period", "credit", "rates")
TOP_OPTIONAL = (
    "eligibility",
    "tiers",
    "gates",
    "caps",
    "clawbacks",
    "spifs",
    "draw",
    "tests",
)


def load_plan(text: str | bytes, *, source: str = "<plan>", base_dir: Path | None = None) -> Plan:
    """Parse and validate plan text (YAML or JSON); raise `InvalidPlan` listing every problem.

    `base_dir` is where relative test-data paths are read from (the plan file's folder).
    """
    try:
        raw = load_text(text, source=source)
    except LoadError as exc:
        raise InvalidPlan(exc.problems) from None
    return plan_from_mapping(raw, base_dir=base_dir)


def plan_from_mapping(doc: Any, *, base_dir: Path | None = None) -> Plan:
    """Validate an already-parsed document (a mapping); raise `InvalidPlan` on any error."""
    return _PlanReader(base_dir).read(doc)


def dump_plan_yaml(plan_or_mapping: Plan | Mapping[str, Any]) -> str:
    """Deterministic YAML of a plan's document; `load_plan` gives back the same version."""
    if isinstance(plan_or_mapping, Plan):
        return dump_yaml(plan_or_mapping.document)
    return dump_yaml(plan_or_mapping)


class _PlanReader:
    def __init__(self, base_dir: Path | None):
        self.base_dir = base_dir
        self.check = Checker(patch_numbers=True)
        self.ids: dict[str, str] = {}  # rule id -> path of its first use

    # ------------------------------------------------------------------ top level
    def read(self, raw: Any) -> Plan:
        check = self.check
        if too_deep(raw):
            raise InvalidPlan(
                [Problem("$", f"the document nests more than {MAX_DEPTH} levels deep")]
            )
        doc = to_document(raw)
        lone = lone_surrogates(doc)
        if lone:  # text that is not characters: nothing else can be checked or hashed
            raise InvalidPlan([Problem(where, f"the text {LONE_SURROGATE}") for where in lone])
        if check.mapping(doc, "$", "a plan document (a mapping of keys)") is None:
            raise InvalidPlan(check.problems)
        for where in out_of_range(doc):
            check.error(where, TOO_LARGE)
        check.keys(doc, "$", TOP_REQUIRED, TOP_OPTIONAL)
        policy = check.text(
            doc, "policy", "$", pattern=POLICY_PATTERN, pattern_help="a plan key such as ae-plan"
        )
        title = check.text(doc, "title", "$")
        currency = check.text(
            doc,
            "currency",
            "$",
            pattern=CURRENCY_PATTERN,
            pattern_help="an ISO 4217 code of 3 capital letters such as USD",
        )
        period = self._choice(doc, "period", "$", PERIOD_KINDS)

        eligibility = self._rules(doc, "eligibility", self._eligibility)
        credit = self._rules(doc, "credit", self._credit, at_least_one=True)
        rates = self._rules(doc, "rates", self._rate)
        tiers = self._tiers(doc["tiers"]) if "tiers" in doc else None
        gates = self._rules(doc, "gates", self._gate)
        caps = self._caps(doc["caps"]) if "caps" in doc else Caps()
        clawbacks = self._rules(doc, "clawbacks", self._clawback)
        spifs = self._rules(doc, "spifs", self._spif)
        draw = self._draw(doc["draw"]) if "draw" in doc else None
        tests = (
            read_tests(check, doc["tests"], period, policy, self.base_dir) if "tests" in doc else ()
        )
        self._credit_total(credit)

        if check.has_errors:
            raise InvalidPlan([p for p in check.problems if p.severity == "error"])
        return Plan(
            policy=policy,
            title=title,
            currency=currency,
            period=period,
            credit=tuple(credit),
            rates=tuple(rates),
            eligibility=tuple(eligibility),
            tiers=tiers,
            gates=tuple(gates),
            caps=caps,
            clawbacks=tuple(clawbacks),
            spifs=tuple(spifs),
            draw=draw,
            tests=tests,
            version=version_hash(doc),
            document=doc,
        )

    # ------------------------------------------------------------------ helpers
    def _choice(self, mapping: Mapping, key: str, path: str, choices, rule=None) -> Any:
        if key not in mapping:
            return None
        value = mapping[key]
        if isinstance(value, str) and value in choices:
            return value
        self.check.error(
            child(path, key), f"expected one of {', '.join(choices)}, got {describe(value)}", rule
        )
        return None

    def _rules(
        self,
        doc: Mapping,
        key: str,
        read_one: Callable,
        *,
        at_least_one: bool = False,
        parent: str = "$",
    ) -> list:
        """Read a list of rules, each a mapping with an `id`; bad entries are skipped."""
        if key not in doc:
            return []
        path = child(parent, key)
        items = self.check.sequence(doc[key], path, "a list of rules")
        if items is None:
            return []
        if at_least_one and not items:
            self.check.error(path, "needs at least one rule")
        out = []
        for i, item in enumerate(items):
            item_path = child(path, i)
            if self.check.mapping(item, item_path, "a rule (a mapping with an id)") is None:
                continue
            before = len(self.check.problems)
            rule_id = self._rule_id(item, item_path)
            result = read_one(item, item_path, rule_id)
            if result is not None:
                out.append(result)
            elif len(self.check.problems) == before:
                # Never drop a rule silently: a skipped rule must have said why.
                self.check.error(item_path, "this rule could not be read", rule_id)
        return out

    def _rule_id(self, item: Mapping, path: str) -> str | None:
        if "id" not in item:
            return None  # reported as a missing key by the rule's own key check
        rule_id = self.check.text(
            item, "id", path, pattern=RULE_ID_PATTERN, pattern_help="an id such as new-business"
        )
        if rule_id is None:
            return None
        if rule_id in self.ids:
            self.check.error(
                child(path, "id"),
                f"duplicate id {rule_id!r} (first used at {self.ids[rule_id]})",
                rule_id,
            )
        else:
            self.ids[rule_id] = child(path, "id")
        return rule_id

    def _when(self, item: Mapping, path: str, rule: str | None, roots=None):
        """Parse the rule's `when`; None when absent or invalid (then a problem is recorded)."""
        if "when" not in item:
            return None
        text = self.check.text(item, "when", path, rule=rule)
        if text is None:
            return None
        from rules.conditions import ROOTS, ConditionError, parse_condition

        try:
            return parse_condition(text, allowed_roots=roots if roots is not None else ROOTS)
        except ConditionError as exc:
            self.check.error(
                child(path, "when"), f"{exc.message}: {text}", rule, position=exc.position
            )
        except RecursionError:
            self.check.error(child(path, "when"), "the condition is nested too deeply", rule)
        return None

    # ------------------------------------------------------------------ rules
    def _eligibility(self, item: Mapping, path: str, rid: str | None):
        ok = self.check.keys(item, path, ("id", "when"), (), rid)
        when = self._when(item, path, rid)
        if ok and rid and when is not None:
            return EligibilityRule(id=rid, when=when)
        return None

    def _credit(self, item: Mapping, path: str, rid: str | None):
        ok = self.check.keys(item, path, ("id", "to"), ("share", "when"), rid)
        target = self._target(item["to"], child(path, "to"), rid) if "to" in item else None
        share = Decimal(1)
        if "share" in item:
            share = self.check.decimal(item, "share", path, rule=rid, above=0, maximum=1)
        when = self._when(item, path, rid, DEAL_ONLY)
        bad_when = "when" in item and when is None
        if ok and rid and target and share is not None and not bad_when:
            return CreditRule(id=rid, to=target, share=share, when=when)
        return None

    def _target(self, value: Any, path: str, rid: str | None) -> CreditTarget | None:
        forms = (
            "owner, splits, {team: ROLE}, {manager_of: owner} or {touchpoints: MODEL} "
            f"(MODEL: {', '.join(ATTRIBUTION_MODELS)} or {{time_decay: DAYS}})"
        )
        if value in ("owner", "splits"):
            return CreditTarget(kind=value)
        if not isinstance(value, Mapping) or len(value) != 1:
            self.check.error(path, f"expected {forms}, got {describe(value)}", rid)
            return None
        ((key, arg),) = value.items()
        if key == "team":
            role = self.check.text(value, "team", path, rule=rid)
            return CreditTarget(kind="team", role=role) if role else None
        if key == "manager_of":
            if arg == "owner":
                return CreditTarget(kind="manager_of")
            self.check.error(
                child(path, key), f"only manager_of: owner is supported, got {describe(arg)}", rid
            )
            return None
        if key == "touchpoints":
            tp_path = child(path, key)
            if isinstance(arg, str) and arg in ATTRIBUTION_MODELS:
                return CreditTarget(kind="touchpoints", model=arg)
            if isinstance(arg, Mapping) and list(arg) == ["time_decay"]:
                days = self.check.decimal(arg, "time_decay", tp_path, rule=rid, above=0)
                if days is None:
                    return None
                return CreditTarget(kind="touchpoints", model="time_decay", half_life_days=days)
            self.check.error(
                tp_path,
                f"expected an attribution model ({', '.join(ATTRIBUTION_MODELS)} or "
                f"{{time_decay: HALF_LIFE_DAYS}}), got {describe(arg)}",
                rid,
            )
            return None
        self.check.error(child(path, key), f"unknown credit target {key!r}; expected {forms}", rid)
        return None

    def _credit_total(self, credit: list[CreditRule]) -> None:
        unconditional = [rule for rule in credit if rule.when is None]
        total = sum((rule.share for rule in unconditional), Decimal(0))
        if total > 1:
            names = ", ".join(f"{r.id} ({r.share})" for r in unconditional)
            self.check.error(
                "$.credit",
                f"unconditional credit rules hand out {total} of every deal, more than 1: {names}",
            )

    def _rate(self, item: Mapping, path: str, rid: str | None):
        ok = self.check.keys(item, path, ("id", "rate"), ("when",), rid)
        rate = self.check.decimal(item, "rate", path, rule=rid, minimum=0)
        when = self._when(item, path, rid)
        bad_when = "when" in item and when is None
        if ok and rid and rate is not None and not bad_when:
            return RateRule(id=rid, rate=rate, when=when)
        return None

    def _tiers(self, value: Any) -> Tiers | None:
        path = "$.tiers"
        check = self.check
        if check.mapping(value, path, "a mapping with basis, mode and bands") is None:
            return None
        ok = check.keys(value, path, ("bands",), ("basis", "mode"))
        basis = self._choice(value, "basis", path, TIER_BASES) if "basis" in value else "attainment"
        mode = self._choice(value, "mode", path, TIER_MODES) if "mode" in value else "marginal"
        self.bounds: dict[int, tuple[str | None, Decimal, Decimal | None]] = {}
        bands = self._rules(value, "bands", self._band, at_least_one=True, parent=path)
        self._band_order()
        if ok and basis and mode and bands:
            return Tiers(basis=basis, mode=mode, bands=tuple(bands))
        return None

    def _band(self, item: Mapping, path: str, rid: str | None):
        check = self.check
        ok = check.keys(item, path, ("id", "from"), ("to", "multiplier", "rate"), rid)
        lower = check.decimal(item, "from", path, rule=rid, minimum=0)
        upper = check.decimal(item, "to", path, rule=rid, nullable=True)
        if lower is not None and upper is not None and upper <= lower:
            check.error(child(path, "to"), f"must be more than from ({lower}), got {upper}", rid)
            ok = False
        elif lower is not None and (upper is not None or item.get("to") is None):
            # Kept even when the band is otherwise bad, so order problems are found too.
            self.bounds[int(path.rsplit("[", 1)[1].rstrip("]"))] = (rid, lower, upper)
        given = [key for key in ("multiplier", "rate") if key in item]
        if len(given) != 1:
            check.error(path, "a band needs exactly one of multiplier or rate", rid)
            ok = False
        multiplier = check.decimal(item, "multiplier", path, rule=rid, minimum=0)
        rate = check.decimal(item, "rate", path, rule=rid, minimum=0)
        if ok and rid and lower is not None and (multiplier is not None or rate is not None):
            return Band(id=rid, lower=lower, upper=upper, multiplier=multiplier, rate=rate)
        return None

    def _band_order(self) -> None:
        """Sorted, no overlaps, only the last open-ended. Gaps are legal (see rules.lint)."""
        bounds = self.bounds
        for i in sorted(bounds):
            if i + 1 not in bounds:
                continue
            (rid, lower, upper), (next_id, next_lower, _) = bounds[i], bounds[i + 1]
            where = f"$.tiers.bands[{i + 1}].from"
            if upper is None:
                self.check.error(f"$.tiers.bands[{i}].to", "only the last band may omit to", rid)
            elif next_lower < lower:
                self.check.error(
                    where,
                    f"bands must be sorted by from: {next_lower} comes after "
                    f"band {rid} starting at {lower}",
                    next_id,
                )
            elif next_lower < upper:
                self.check.error(
                    where,
                    f"overlaps band {rid} [{lower}, {upper}): starts at {next_lower}",
                    next_id,
                )

    def _gate(self, item: Mapping, path: str, rid: str | None):
        ok = self.check.keys(item, path, ("id", "effect"), ("when",), rid)
        effect = (
            self._effect(item["effect"], child(path, "effect"), rid) if "effect" in item else None
        )
        when = self._when(item, path, rid)
        bad_when = "when" in item and when is None
        if ok and rid and effect and not bad_when:
            return Gate(id=rid, effect=effect, when=when)
        return None

    def _effect(self, value: Any, path: str, rid: str | None) -> GateEffect | None:
        forms = "block, {reduce: FACTOR} or {hold_until: DATE_FIELD}"
        if value == "block":
            return GateEffect(kind="block")
        if not isinstance(value, Mapping) or len(value) != 1:
            self.check.error(path, f"expected {forms}, got {describe(value)}", rid)
            return None
        ((key, arg),) = value.items()
        if key == "reduce":
            factor = self.check.decimal(value, "reduce", path, rule=rid, minimum=0, maximum=1)
            return GateEffect(kind="reduce", factor=factor) if factor is not None else None
        if key == "hold_until":
            if isinstance(arg, str) and (arg in HOLD_FIELDS or HOLD_ATTRIBUTE.match(arg)):
                return GateEffect(kind="hold", hold_field=arg)
            self.check.error(
                child(path, key),
                f"expected a date field ({', '.join(HOLD_FIELDS)} or deal.attributes.NAME), "
                f"got {describe(arg)}",
                rid,
            )
            return None
        self.check.error(child(path, key), f"unknown gate effect {key!r}; expected {forms}", rid)
        return None

    def _caps(self, value: Any) -> Caps:
        path = "$.caps"
        if self.check.mapping(value, path, "a mapping with per_deal and/or per_period") is None:
            return Caps()
        self.check.keys(value, path, (), ("per_deal", "per_period"))
        per_deal = self.check.decimal(value, "per_deal", path, above=0)
        per_period = self.check.decimal(value, "per_period", path, above=0)
        return Caps(per_deal=per_deal, per_period=per_period)

    def _clawback(self, item: Mapping, path: str, rid: str | None):
        check = self.check
        ok = check.keys(
            item, path, ("id", "triggers", "recover"), ("within_days", "within_months"), rid
        )
        triggers = self._triggers(item, path, rid)
        windows = [key for key in ("within_days", "within_months") if key in item]
        if len(windows) != 1:
            check.error(path, "a clawback needs exactly one of within_days or within_months", rid)
            ok = False
        days = check.integer(item, "within_days", path, rule=rid, minimum=1)
        months = check.integer(item, "within_months", path, rule=rid, minimum=1)
        recover = self._choice(item, "recover", path, RECOVERY, rid)
        if ok and rid and triggers and recover and (days is not None or months is not None):
            return Clawback(
                id=rid, triggers=triggers, recover=recover, within_days=days, within_months=months
            )
        return None

    def _triggers(self, item: Mapping, path: str, rid: str | None) -> tuple[str, ...] | None:
        if "triggers" not in item:
            return None
        where = child(path, "triggers")
        items = self.check.sequence(item["triggers"], where, "a list of event kinds", rid)
        if items is None:
            return None
        if not items:
            self.check.error(where, "needs at least one event kind", rid)
            return None
        kinds: list[str] = []
        for i, kind in enumerate(items):
            if not isinstance(kind, str) or isinstance(kind, DecimalText) or not kind.strip():
                self.check.error(
                    child(where, i), f"expected an event kind, got {describe(kind)}", rid
                )
            elif kind in kinds:
                self.check.error(child(where, i), f"event kind {kind!r} is listed twice", rid)
            else:
                kinds.append(kind)
        return tuple(kinds) if len(kinds) == len(items) else None

    def _spif(self, item: Mapping, path: str, rid: str | None):
        ok = self.check.keys(item, path, ("id", "amount"), ("when",), rid)
        amount = self.check.decimal(item, "amount", path, rule=rid, above=0)
        when = self._when(item, path, rid)
        bad_when = "when" in item and when is None
        if ok and rid and amount is not None and not bad_when:
            return Spif(id=rid, amount=amount, when=when)
        return None

    def _draw(self, value: Any) -> Draw | None:
        path = "$.draw"
        check = self.check
        if check.mapping(value, path, "a mapping with id, amount and recoverable") is None:
            return None
        rid = self._rule_id(value, path)
        ok = check.keys(value, path, ("id", "amount", "recoverable"), ("until",), rid)
        amount = check.decimal(value, "amount", path, rule=rid, above=0)
        recoverable = check.boolean(value, "recoverable", path, rule=rid)
        until = check.date(value, "until", path, rule=rid, nullable=True)
        bad_until = value.get("until") is not None and until is None
        if ok and rid and amount is not None and recoverable is not None and not bad_until:
            return Draw(id=rid, amount=amount, recoverable=recoverable, until=until)
        return None
