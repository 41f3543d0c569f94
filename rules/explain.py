"""Plain-words explanations of statement lines, built from their traces.

    explain_line(line, currency="USD", facts={"deal.gross_margin": Decimal("0.2")})

A summary sentence per line and one sentence per trace step, every number the trace's
exact decimal text. `facts` (optional) are the values the line's deal and participant
had, which the trace does not record for every field: with them a sentence shows the
value ("gross margin 20%"), without them the condition as written. Pure Python (no
Flask, no SQLAlchemy); an unknown trace step is explained generically, never an error.

What a reader sees: docs/statements.md, "Reading a statement".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

__all__ = ["Explanation", "deal_facts", "explain_line", "explain_step", "percent"]

# Fields that are ratios people read as percentages (0.20 -> 20%).
PERCENT_FIELDS = frozenset({"deal.gross_margin", "deal.discount"})

KIND_NAMES = {
    "commission": "Commission",
    "spif": "SPIF",
    "release": "Release of a held line",
    "clawback": "Clawback",
    "forfeit": "Forfeit",
    "adjustment": "Adjustment",
    "draw": "Draw",
    "draw_recovery": "Draw recovery",
}

_COMPARISON = re.compile(
    r"^(?P<field>(?:deal|participant|assignment|credit)\.[A-Za-z0-9_.]+)\s+"
    r"(?P<op>==|!=|<=|>=|<|>|not in|in|contains)\s+(?P<literal>.+)$"
)
_FIELD = re.compile(r"\b(?:deal|participant|assignment|credit)\.[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)?")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_NO_HOLD = re.compile(r"^release date (\S+) on or before the end of (\S+) \((\S+)\): no hold$")
_CAP = re.compile(r"^earlier lines (?:on|in) (\S+): (\S+); cut (\S+) to (\S+)$")


@dataclass(frozen=True, slots=True)
class Explanation:
    summary: str
    steps: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join((self.summary, *self.steps))

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary, "steps": list(self.steps)}


# --------------------------------------------------------------------------- values


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        try:
            return Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            return None
    return None


def _plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros after the point."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def percent(value: Any) -> str:
    """0.20 -> "20%", 0.255 -> "25.5%": exact, the ratio times 100."""
    number = _decimal(value)
    if number is None:
        return str(value)
    return _plain(number * 100) + "%"


def money_text(value: Any) -> str:
    """An amount as the statement shows it: 2 decimals, half-up (already so in traces)."""
    number = _decimal(value)
    if number is None:
        return "0.00" if value is None else str(value)
    text = format(number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "f")
    return "0.00" if text == "-0.00" else text


def _value(field: str, value: Any) -> str:
    if value is None:
        return "missing"
    if field in PERCENT_FIELDS and _decimal(value) is not None:
        return percent(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return _plain(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value("", v) for v in value) + "]"
    if isinstance(value, str) and _decimal(value) is None:
        return f'"{value}"'
    return str(value)


def _label(field: str) -> str:
    """deal.gross_margin -> "gross margin"; deal.attributes.csat -> "csat"."""
    name = field.split(".")[-1]
    return name.replace("_", " ")


def condition_words(condition: str | None, facts: Mapping[str, Any] | None) -> str:
    """A condition with the values it saw: `gross margin 20% < 25%` for a single
    comparison, else the condition followed by the values of the fields it reads."""
    if not condition or condition == "no condition":
        return "no condition"
    facts = facts or {}
    single = _COMPARISON.match(condition.strip())
    if single and " and " not in condition and " or " not in condition:
        field, op, literal = single["field"], single["op"], single["literal"].strip()
        if field in facts:
            if field in PERCENT_FIELDS and _decimal(literal) is not None:
                literal = percent(literal)
            value = _value(field, facts[field])
            if op == "==" and value == literal:
                return f"{_label(field)} is {literal}"  # not `type "new" == "new"`
            if op in ("in", "not in"):
                return f"{_label(field)} {value} is {op} {literal}"
            return f"{_label(field)} {value} {op} {literal}"
        return condition
    seen = [f for f in dict.fromkeys(_FIELD.findall(condition)) if f in facts]
    if not seen:
        return condition
    values = ", ".join(f"{_label(f)} {_value(f, facts[f])}" for f in seen)
    return f"{condition} (with {values})"


def deal_facts(
    deal: Mapping[str, Any] | None,
    participant: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Condition facts from a deal and a participant in the data-JSON shape (section 3):
    `deal.<field>`, `deal.attributes.<name>`, `participant.<field>` and
    `participant.tenure_days` (days from hire date to the deal's close date)."""
    facts: dict[str, Any] = {}
    for prefix, obj in (("deal", deal), ("participant", participant)):
        for key, value in (obj or {}).items():
            if key == "attributes" and isinstance(value, Mapping):
                for name, inner in value.items():
                    facts[f"{prefix}.attributes.{name}"] = inner
            elif not isinstance(value, (Mapping, list)) or key == "products":
                facts[f"{prefix}.{key}"] = value
    hire, close = _day((participant or {}).get("hire_date")), _day((deal or {}).get("close_date"))
    if hire and close:
        facts["participant.tenure_days"] = (close - hire).days
    return facts


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


# --------------------------------------------------------------------------- steps


def _fx(e: Mapping[str, Any], facts) -> str:
    return f"Converted the deal amount into the plan currency at {e['detail']} = {e['amount']}."


def _credit(e: Mapping[str, Any], facts) -> str:
    why = e.get("detail") or ""
    text = f"Credit rule {e['rule']} ({why}) gives a share of {e['share']}"
    text += f": {e['share']} x {e['deal_amount']} = {e['credit']} of credit"
    if e.get("exception"):
        text += f", set by exception {e['exception']}"
    elif e.get("when"):
        text += f"; it applies because {condition_words(e['when'], facts)}"
    return text + "."


def _eligibility(e: Mapping[str, Any], facts) -> str:
    condition = condition_words(e.get("detail"), facts)
    if e.get("holds"):
        return f"Eligibility rule {e['rule']} holds: {condition}."
    return (
        f"Eligibility rule {e['rule']} does not hold: {condition} is false, so the line is "
        "ineligible, earns nothing and its credit does not count toward attainment."
    )


def _rate(e: Mapping[str, Any], facts) -> str:
    if e.get("rule") is None:
        return "No rate rule holds: the base rate is 0."
    condition = condition_words(e.get("detail"), facts)
    if condition == "no condition":
        return f"Rate rule {e['rule']} (no condition) gives a base rate of {e['rate']}."
    return f"Rate rule {e['rule']} applies ({condition}): base rate {e['rate']}."


def _tier(e: Mapping[str, Any], facts) -> str:
    if e.get("rule") is None:
        return f"{e['credit']} of credit falls in no tier band and earns 0."
    text = (
        f"Tier {e['rule']}, {e['detail']} ({e['basis']}, {e['mode']}): "
        f"{e['credit']} of credit at rate {e['rate']} earns {e['amount']}"
    )
    extra = []
    if "cumulative_before" in e:
        extra.append(
            f"credit before this line {e['cumulative_before']}, for the period {e['final']}"
        )
    if e.get("quota"):
        extra.append(f"quota {e['quota']}")
    if extra:
        text += " (" + "; ".join(extra) + ")"
    return text + "."


def _gate(e: Mapping[str, Any], facts) -> str:
    gate = e["rule"]
    condition = condition_words(e.get("detail"), facts)
    effect = str(e.get("effect") or "")
    if e.get("exception"):
        what = effect.split(" waived by ")[0]
        return (
            f"Gate {gate} would {_effect_verb(what)} this line ({condition}), "
            f"but exception {e['exception']} waives it for this deal."
        )
    when = "" if condition == "no condition" else f": {condition}"
    if effect == "block":
        return f"Gate {gate} blocked this line{when}."
    if effect == "reduce":
        return f"Gate {gate} reduced this line by a factor of {e.get('factor')}{when}."
    if effect == "hold":
        until = e.get("hold_until")
        target = f"until {until}" if until else "until the data supplies a date"
        return f"Gate {gate} holds payment {target}{when}."
    return f"Gate {gate} ({effect}){when}."


def _effect_verb(effect: str) -> str:
    return {"block": "block", "reduce": "reduce", "hold": "hold"}.get(effect, effect)


def _hold(e: Mapping[str, Any], facts) -> str:
    detail = str(e.get("detail") or "")
    found = _NO_HOLD.match(detail)
    if found:
        day, period, end = found.groups()
        return (
            f"Not held: the release date {day} is on or before the end of {period} ({end}), "
            "so the line pays in this period."
        )
    if detail == "held until the data supplies a date":
        return "Held: no release date yet; the line pays once the data supplies one."
    if detail.startswith("held until "):
        day = detail.removeprefix("held until ")
        return f"Held until {day}: the line pays in the period that contains that date."
    return f"Hold: {detail}."


def _round(e: Mapping[str, Any], facts) -> str:
    return f"Exact amount {e['exact']}, rounded half-up to cents: {e['amount']}."


def _cap(e: Mapping[str, Any], facts) -> str:
    which = "per-deal" if e.get("rule") == "per_deal" else "per-period"
    found = _CAP.match(str(e.get("detail") or ""))
    if found:
        scope, earlier, before, after = found.groups()
        where = f"on {scope}" if which == "per-deal" else f"in {scope}"
        return (
            f"The {which} cap of {e['cap']} cut this line from {before} to {after} "
            f"(earlier lines {where}: {earlier})."
        )
    return f"The {which} cap of {e['cap']} applies: {e.get('detail')}; amount {e['amount']}."


def _spif(e: Mapping[str, Any], facts) -> str:
    condition = condition_words(e.get("detail"), facts)
    when = "" if condition == "no condition" else f" ({condition})"
    text = f"SPIF {e['rule']}{when} pays amount x share: {e['amount']}"
    if e.get("credit_rule"):
        text += f", for the share from credit rule {e['credit_rule']}"
    return text + "."


def _release(e: Mapping[str, Any], facts) -> str:
    gates = e.get("rule") or ""
    by = f" by gate {gates}" if gates and "," not in gates else ""
    if "," in gates:
        by = f" by gates {gates.replace(',', ', ')}"
    return f"Released: the {e['detail']}{by} pays {e['amount']} now."


def _clawback(e: Mapping[str, Any], facts, kind: str = "clawback") -> str:
    rule = e["rule"]
    detail = str(e.get("detail") or "")
    if kind == "forfeit":
        return f"Forfeited under clawback {rule}: the {detail}."
    if e.get("exception"):
        event = detail.split(": waived by ")[0]
        return (
            f"Clawback {rule} on {event} is waived by exception {e['exception']}: "
            "nothing is recovered."
        )
    text = f"Clawback {rule}: {detail} = {e['fraction']} of what was paid is recovered"
    if e.get("event_amount"):
        text += f", times the event's share of the deal {e['event_amount']}"
    if "paid" in e:
        text += f"; paid on this deal {e['paid']}, recovered {e['amount']}"
    return text + "."


def _draw(e: Mapping[str, Any], facts) -> str:
    detail = str(e.get("detail") or "")
    text = f"Draw {e['rule']}: {_is(detail)}, so the draw pays {e['amount']}"
    if e.get("recoverable"):
        text += f"; it is recoverable: balance {e.get('balance')}"
    else:
        text += "; it is not recoverable"
    return text + "."


def _draw_recovery(e: Mapping[str, Any], facts) -> str:
    detail = str(e.get("detail") or "")
    earned, _, recovery = detail.partition("; ")
    return (
        f"Draw recovery {e['rule']}: {_is(earned)}; {recovery} is recovered: "
        f"{e['amount']}, outstanding draw balance now {e.get('balance')}."
    )


def _is(detail: str) -> str:
    """ "payable 250.00 below the draw 2000.00" -> "payable 250.00 is below the draw..."."""
    for word in (" below ", " above "):
        if word in detail:
            head, _, tail = detail.partition(word)
            return f"{head} is{word}{tail}"
    return detail


def _exception(e: Mapping[str, Any], facts) -> str:
    reason = e.get("detail")
    why = f" ({reason})" if reason else ""
    return f"Adjustment by exception {e['rule']}{why}: {e.get('amount')}."


def _prior_period(e: Mapping[str, Any], facts) -> str:
    return (
        f"Prior-period adjustment: {e['detail']}. The difference, {e['amount']}, is paid "
        "in this period."
    )


_STEPS = {
    "prior_period_adjustment": _prior_period,
    "fx": _fx,
    "credit": _credit,
    "eligibility": _eligibility,
    "rate": _rate,
    "tier": _tier,
    "gate": _gate,
    "hold": _hold,
    "round": _round,
    "cap": _cap,
    "spif": _spif,
    "release": _release,
    "clawback": _clawback,
    "draw": _draw,
    "draw_recovery": _draw_recovery,
    "exception": _exception,
}


def explain_step(
    entry: Mapping[str, Any], facts: Mapping[str, Any] | None = None, *, kind: str = ""
) -> str:
    """One sentence for one trace entry."""
    step = entry.get("step")
    try:
        if step == "clawback":
            return _clawback(entry, facts, kind)
        explainer = _STEPS.get(step)
        if explainer is not None:
            return explainer(entry, facts)
    except KeyError:
        pass  # a malformed or newer entry: say what it holds rather than fail
    parts = [f"{k} {v}" for k, v in entry.items() if k not in ("step", "rule", "detail")]
    head = f"{step} {entry.get('rule')}" if entry.get("rule") else str(step)
    detail = f": {entry['detail']}" if entry.get("detail") else ""
    tail = f" ({', '.join(parts)})" if parts else ""
    return f"{head[:1].upper()}{head[1:]}{detail}{tail}."


# --------------------------------------------------------------------------- lines


def _summary(line: Mapping[str, Any], currency: str | None) -> str:
    kind = str(line.get("kind") or "line")
    amount = money_text(line.get("amount"))
    money = f"{amount} {currency}" if currency else amount
    status = line.get("status") or "payable"
    rule, deal = line.get("rule"), line.get("deal")
    name = KIND_NAMES.get(kind, kind.replace("_", " ").capitalize())
    if kind == "commission":
        head = f"{name} on deal {deal} (credit rule {rule})"
    elif kind in ("spif", "clawback"):
        head = f"{name} {rule} on deal {deal}"
    elif kind == "forfeit":
        head = f"{name} on deal {deal} (clawback {rule})"
    elif kind == "release":
        head = f"{name} on deal {deal}"
    elif kind == "adjustment" and line.get("adjusts_period"):
        head = f"{name} of {line['adjusts_period']}"
    else:
        head = f"{name} {rule}" if rule else name
    if status == "payable":
        tail = f"{money} payable"
    elif status == "held":
        tail = f"{money} held"
    else:
        tail = f"{status}, pays {money_text(0)}" + (f" {currency}" if currency else "")
    return f"{head}: {tail}."


def explain_line(
    line: Mapping[str, Any],
    *,
    currency: str | None = None,
    facts: Mapping[str, Any] | None = None,
) -> Explanation:
    """The summary and one sentence per trace step of a statement line."""
    kind = str(line.get("kind") or "")
    trace: Sequence[Mapping[str, Any]] = line.get("trace") or ()
    steps = [explain_step(entry, facts, kind=kind) for entry in trace]
    # A prior-period adjustment's trace already names its reasons.
    if line.get("reason") and not any(e.get("step") == "prior_period_adjustment" for e in trace):
        steps.append(f"Reason: {line['reason']}.")
    return Explanation(_summary(line, currency), tuple(steps))
