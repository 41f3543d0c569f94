"""The causes of one line's change, read from its two traces (`pay_changes` matches the
lines; this module says why they differ).

A plan cause names the rule and field the plan diff changed when the line's trace went
through that rule; the other causes compare the trace steps themselves: `fx` (pair,
rate), `credit` (the deal's amount, the participant's share, a split set by exception),
`eligibility`, `rate`, `tier` (earlier credit, quota: the attainment), `gate` (a
condition, a hold date, a waiver by exception), the hold, `cap`, `clawback`, `draw`, and
the `exception` and prior-period adjustment lines. Pure: no database, no Flask.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from governance.plans.diff import PlanDiff

Line = Mapping[str, Any]
Entry = Mapping[str, Any]

# Trace step -> the plan section its `rule` names (governance.plans.diff sections).
SECTIONS = {
    "credit": "credit",
    "eligibility": "eligibility",
    "rate": "rates",
    "tier": "tiers.bands",
    "gate": "gates",
    "clawback": "clawbacks",
    "spif": "spifs",
    "draw": "draw",
    "draw_recovery": "draw",
}
SECTION_WORDS = {
    "credit": "credit rule",
    "eligibility": "eligibility rule",
    "rates": "rate rule",
    "tiers.bands": "tier band",
    "gates": "gate",
    "clawbacks": "clawback",
    "spifs": "SPIF",
    "draw": "draw",
}
# Plan fields (not rules) that a step depends on.
STEP_FIELDS = {"cap": ("caps.per_deal", "caps.per_period"), "tier": ("tiers.basis", "tiers.mode")}


def money(value: Any) -> Decimal:
    """A line amount as Decimal at the cent (text, int or Decimal; None is 0)."""
    if value is None or value == "":
        return Decimal("0.00")
    return Decimal(str(value)).quantize(Decimal("0.01"))


def show(value: Decimal) -> str:
    return f"{value:,.2f}"


@dataclass(frozen=True)
class Cause:
    kind: str  # one of pay_changes.CAUSE_KINDS
    text: str
    field: str | None = None
    before: str | None = None
    after: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "text": self.text,
            "field": self.field,
            "before": self.before,
            "after": self.after,
        }


@dataclass(frozen=True)
class Context:
    """What the wording and the plan causes need besides the lines."""

    labels: tuple[str, str] = ("before", "after")  # "2026-Q3", "2026-Q4", "build 2"...
    versions: tuple[str | None, str | None] = (None, None)  # plan version labels
    plan_diff: PlanDiff | None = None
    same_period: bool = True

    @property
    def plan_changed(self) -> bool:
        return self.plan_diff is not None and not self.plan_diff.unchanged

    def version_words(self) -> str:
        b, a = self.versions
        return f"{b or 'the plan before'} -> {a or 'the plan after'}"


def _trace(line: Line | None) -> list[Entry]:
    return [e for e in (line or {}).get("trace") or () if isinstance(e, Mapping)]


def _steps(line: Line | None, name: str) -> list[Entry]:
    return [e for e in _trace(line) if e.get("step") == name]


def _first(line: Line | None, name: str) -> Entry | None:
    found = _steps(line, name)
    return found[0] if found else None


def _number(text: Any) -> Decimal | None:
    try:
        return None if text is None else Decimal(str(text))
    except InvalidOperation:
        return None


def causes_of(b: Line | None, a: Line | None, ctx: Context) -> list[Cause]:
    """Why line `b` became line `a` (None: it did not exist), most telling first."""
    out: list[Cause] = []
    if b is None or a is None:
        out = _plan_causes(b, a, ctx)
        out += _lone_causes(b, a, ctx, planned=bool(out))
    else:
        out = _plan_causes(b, a, ctx)
        out += _trace_causes(b, a, ctx, explained={c.field.split(".")[0] for c in out if c.field})
    if not out and ctx.plan_changed:
        out.append(Cause("plan", f"The plan changed ({ctx.version_words()})."))
    unique: dict[str, Cause] = {}
    for cause in out:
        unique.setdefault(cause.text, cause)
    return list(unique.values())


# --------------------------------------------------------------------------- the plan


def _plan_causes(b: Line | None, a: Line | None, ctx: Context) -> list[Cause]:
    """The rules and fields of the plan diff that this line's traces went through."""
    diff = ctx.plan_diff
    if diff is None or diff.unchanged:
        return []
    out: list[Cause] = []
    versions = ctx.version_words()
    for side, line in (("before", b), ("after", a)):
        for entry in _trace(line):
            step = str(entry.get("step"))
            for path in STEP_FIELDS.get(step, ()):
                for f in diff.fields:
                    if f.path == path:
                        text = f"Plan {versions}: {path} was {f.before}, now {f.after}."
                        out.append(Cause("plan", text, path, _str(f.before), _str(f.after)))
            section = SECTIONS.get(step)
            rule = entry.get("rule")
            if section is None or rule is None or section not in diff.sections:
                continue
            word = SECTION_WORDS[section]
            changes = diff.sections[section]
            for rc in changes.changed:
                if rc.id == rule:
                    for f in rc.fields:
                        text = (
                            f"Plan {versions}: {word} {rule} {f.path} was {_str(f.before)}, "
                            f"now {_str(f.after)}."
                        )
                        where = f"{section}.{rule}.{f.path}"
                        out.append(Cause("plan", text, where, _str(f.before), _str(f.after)))
            if side == "after" and any(r["id"] == rule for r in changes.added):
                text = f"Plan {versions}: {word} {rule} is new."
                out.append(Cause("plan", text, f"{section}.{rule}", None, "added"))
            if side == "before" and any(r["id"] == rule for r in changes.removed):
                text = f"Plan {versions}: {word} {rule} was removed."
                out.append(Cause("plan", text, f"{section}.{rule}", "removed", None))
            if changes.reordered and step in ("rate", "gate", "clawback"):
                text = f"Plan {versions}: the {word}s were reordered (the first match applies)."
                out.append(Cause("plan", text, f"{section}.order"))
    return out


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _moved(kind: str, text: str, key: str, old: Entry, new: Entry) -> Cause:
    """A cause whose field is `key` of two trace entries, with both values."""
    return Cause(kind, text, key, _str(old.get(key)), _str(new.get(key)))


# --------------------------------------------------------------------------- one line alone


def _lone_causes(b: Line | None, a: Line | None, ctx: Context, *, planned: bool) -> list[Cause]:
    """Why a line appeared (`b` None) or disappeared (`a` None)."""
    line = a if a is not None else b
    assert line is not None
    new = a is not None
    kind, deal, rule = line.get("kind"), line.get("deal"), line.get("rule")
    before, after = ctx.labels
    out: list[Cause] = []
    if kind == "adjustment":
        if _first(line, "prior_period_adjustment") is not None:
            entry = _first(line, "prior_period_adjustment") or {}
            where = after if new else before
            text = f"Prior-period adjustment of {line.get('adjusts_period')} in {where}: "
            out.append(Cause("adjustment", text + f"{entry.get('detail')}.", "adjusts_period"))
        else:
            amount = show(money(line.get("amount")))
            reason = line.get("reason") or (_first(line, "exception") or {}).get("detail")
            why = f" ({reason})" if reason else ""
            verb = "applied" if new else "withdrawn (no longer adjusts this statement)"
            text = f"Exception {rule} {verb}: {amount}{why}."
            out.append(Cause("exception", text, "exception", None if new else rule, rule))
    elif kind in ("clawback", "forfeit"):
        entry = _first(line, "clawback") or {}
        if entry.get("exception"):
            text = f"Exception {entry['exception']} waives clawback {rule} on deal {deal}."
            out.append(Cause("exception", text, "exception", None, str(entry["exception"])))
        verb = "recovers" if new else "no longer recovers"
        text = f"Clawback {rule} {verb} pay on deal {deal}: {entry.get('detail') or kind}."
        out.append(Cause("clawback", text, "clawback"))
    elif kind == "release":
        entry = _first(line, "release") or {}
        verb = "is released" if new else "was released"
        text = f"The line held on deal {deal} {verb}: the {entry.get('detail') or 'hold'}."
        out.append(Cause("release", text, "hold"))
    elif kind in ("draw", "draw_recovery"):
        entry = _first(line, kind) or {}
        word = "Draw" if kind == "draw" else "Draw recovery"
        verb = "pays" if new else "no longer pays"
        text = f"{word} {rule} {verb}: {entry.get('detail') or ''}".rstrip(": ") + "."
        out.append(Cause("draw", text, "draw"))
    else:
        if not ctx.same_period and deal:
            text = (
                f"Deal {deal} pays in {after}; {before} had no such line on it."
                if new
                else f"Deal {deal} paid in {before}; {after} has no such line on it."
            )
            out.append(Cause("period", text, "deal"))
        elif deal and not planned:  # a rule the plan added or removed says it all
            text = (
                f"Deal {deal} now credits you under {kind} rule {rule} (a new deal, or its "
                "owner or split changed)."
                if new
                else f"Deal {deal} no longer credits you under {kind} rule {rule} (the deal "
                "was removed, or its owner, split or close date changed)."
            )
            out.append(Cause("deal", text, "owner/split"))
        credit = _first(line, "credit") or {}
        if credit.get("exception"):
            text = f"Exception {credit['exception']} sets your share of deal {deal}."
            out.append(Cause("exception", text, "exception", None, str(credit["exception"])))
    if line.get("status") == "held":
        out.append(Cause("hold", f"{'Held' if new else 'Was held'}: {_hold_words(line)}.", "hold"))
    return out


def _hold_words(line: Line) -> str:
    hold = _first(line, "hold") or {}
    return str(hold.get("detail") or "held")


# --------------------------------------------------------------------------- both lines


def _trace_causes(b: Line, a: Line, ctx: Context, *, explained: set[str]) -> list[Cause]:
    deal = a.get("deal") or b.get("deal")
    out: list[Cause] = []
    out += _fx_and_amount(b, a, deal)
    out += _credit(b, a, deal)
    out += _eligibility(b, a)
    if "rates" not in explained:
        out += _rate(b, a, deal)
    out += _tier(b, a, explained)
    out += _gates(b, a, deal, explained)
    out += _hold(b, a)
    out += _cap(b, a)
    out += _by_detail(b, a, deal)
    return out


def _deal_amount(line: Line) -> Decimal | None:
    """The deal's amount in its own currency: the first term of the fx step's sum
    ("EUR/USD 1.08 (rate in force ...): 100000 x 1.08"), else the credit step's."""
    fx = _first(line, "fx")
    if fx is not None:
        detail = str(fx.get("detail") or "")
        return _number(detail.rpartition(": ")[2].split(" ")[0])
    credit = _first(line, "credit")
    return _number(credit.get("deal_amount")) if credit else None


def _fx_and_amount(b: Line, a: Line, deal: Any) -> list[Cause]:
    out: list[Cause] = []
    fb, fa = _first(b, "fx"), _first(a, "fx")
    if fb and fa and (fb.get("pair"), fb.get("rate")) != (fa.get("pair"), fa.get("rate")):
        since = fa.get("from") or "the beginning"
        text = (
            f"The FX rate for deal {deal} was {fb.get('pair')} {fb.get('rate')}, now "
            f"{fa.get('pair')} {fa.get('rate')} (in force from {since})."
        )
        out.append(
            Cause("fx", text, str(fa.get("pair")), _str(fb.get("rate")), _str(fa.get("rate")))
        )
    elif bool(fb) != bool(fa):
        now = f"converted at {fa.get('pair')} {fa.get('rate')}" if fa else "in the plan currency"
        out.append(Cause("deal", f"Deal {deal}'s currency changed: now {now}.", "currency"))
    amount_b, amount_a = _deal_amount(b), _deal_amount(a)
    if amount_b is not None and amount_a is not None and amount_b != amount_a:
        text = f"Deal {deal}'s amount was {amount_b:,}, now {amount_a:,}."
        out.append(Cause("deal", text, "amount", str(amount_b), str(amount_a)))
    return out


def _credit(b: Line, a: Line, deal: Any) -> list[Cause]:
    cb, ca = _first(b, "credit"), _first(a, "credit")
    if not cb or not ca:
        return []
    out: list[Cause] = []
    if cb.get("exception") != ca.get("exception"):
        if ca.get("exception"):
            text = f"Exception {ca['exception']} now sets your share of deal {deal}."
        else:
            text = f"Exception {cb['exception']} no longer sets your share of deal {deal}."
        out.append(_moved("exception", text, "exception", cb, ca))
    elif _number(cb.get("share")) != _number(ca.get("share")):
        text = (
            f"Your share of deal {deal} was {cb.get('share')}, now {ca.get('share')} "
            f"({ca.get('detail') or 'owner/split'})."
        )
        out.append(Cause("deal", text, "split", _str(cb.get("share")), _str(ca.get("share"))))
    return out


def _eligibility(b: Line, a: Line) -> list[Cause]:
    eb = {e.get("rule"): bool(e.get("holds")) for e in _steps(b, "eligibility")}
    out = []
    for e in _steps(a, "eligibility"):
        rule, holds = e.get("rule"), bool(e.get("holds"))
        if rule in eb and eb[rule] != holds:
            verb = "now holds" if holds else "no longer holds"
            text = f"Eligibility rule {rule} {verb} ({e.get('detail')})."
            out.append(Cause("eligibility", text, f"eligibility.{rule}", str(eb[rule]), str(holds)))
    return out


def _rate(b: Line, a: Line, deal: Any) -> list[Cause]:
    rb, ra = _first(b, "rate"), _first(a, "rate")
    if not rb or not ra or (rb.get("rule"), rb.get("rate")) == (ra.get("rule"), ra.get("rate")):
        return []
    text = (
        f"Deal {deal} now takes rate rule {ra.get('rule')} (rate {ra.get('rate')}) instead of "
        f"{rb.get('rule')} (rate {rb.get('rate')}): {ra.get('detail') or 'its condition'}."
    )
    return [Cause("deal", text, "rate rule", _str(rb.get("rule")), _str(ra.get("rule")))]


def _tier(b: Line, a: Line, explained: set[str]) -> list[Cause]:
    tb, ta = _first(b, "tier"), _first(a, "tier")
    if not tb or not ta:
        return []
    parts = []
    for key, word in (("cumulative_before", "credit before this line"), ("quota", "quota")):
        if tb.get(key) != ta.get(key):
            parts.append(f"{word} was {tb.get(key)}, now {ta.get(key)}")
    if tb.get("final") != ta.get("final"):
        parts.append(f"credit for the period was {tb.get('final')}, now {ta.get('final')}")
    if tb.get("rule") != ta.get("rule") and "tiers" not in explained:
        parts.append(f"tier band was {tb.get('rule')}, now {ta.get('rule')}")
    if not parts:
        return []
    return [Cause("attainment", "Attainment changed: " + "; ".join(parts) + ".", "attainment")]


def _gate_map(line: Line) -> dict[Any, Entry]:
    return {e.get("rule"): e for e in _steps(line, "gate")}


def _gates(b: Line, a: Line, deal: Any, explained: set[str]) -> list[Cause]:
    gb, ga = _gate_map(b), _gate_map(a)
    out: list[Cause] = []
    for rule in [*gb, *(r for r in ga if r not in gb)]:
        old, new = gb.get(rule), ga.get(rule)
        if old and new and old.get("exception") != new.get("exception"):
            if new.get("exception"):
                text = f"Exception {new['exception']} now waives gate {rule} for deal {deal}."
            else:
                text = f"Exception {old['exception']} no longer waives gate {rule} for deal {deal}."
            out.append(_moved("exception", text, "exception", old, new))
        elif old and new and old.get("hold_until") != new.get("hold_until"):
            until = new.get("hold_until") or "a date the data supplies"
            was = old.get("hold_until") or "no date"
            text = f"Gate {rule} holds deal {deal} until {until} (was {was})."
            out.append(_moved("hold", text, "hold_until", old, new))
        elif (old is None) != (new is None) and "gates" not in explained:
            entry = new or old or {}
            effect = str(entry.get("effect") or "applies to")
            kind = "hold" if effect.startswith("hold") else "deal"
            verb = f"now {effect}s" if new else f"no longer {effect}s"
            text = f"Gate {rule} {verb} this line ({entry.get('detail')})."
            out.append(Cause(kind, text, f"gates.{rule}"))
    return out


def _hold(b: Line, a: Line) -> list[Cause]:
    sb, sa = b.get("status") or "payable", a.get("status") or "payable"
    if sb == sa or "held" not in (sb, sa):
        return []
    if sa == "held":
        return [Cause("hold", f"Now held: {_hold_words(a)}.", "status", sb, sa)]
    return [Cause("release", f"No longer held: {_hold_words(a)}.", "status", sb, sa)]


def _cap(b: Line, a: Line) -> list[Cause]:
    cb = [(e.get("rule"), e.get("detail")) for e in _steps(b, "cap")]
    ca = [(e.get("rule"), e.get("detail")) for e in _steps(a, "cap")]
    if cb == ca:
        return []
    now = "; ".join(str(d) for _, d in ca) or "no cap applies"
    was = "; ".join(str(d) for _, d in cb) or "no cap applied"
    return [Cause("cap", f"The cap changed what this line pays: now {now} (was {was}).", "cap")]


# Steps compared on their detail and amount: who recovers, draws and adjustments.
DETAIL_STEPS = {
    "clawback": "clawback",
    "draw": "draw",
    "draw_recovery": "draw",
    "exception": "exception",
    "prior_period_adjustment": "adjustment",
    "release": "release",
    "spif": "deal",
}


WHAT_CHANGED = {
    "clawback": "what was paid on the deal changed, so what is recovered",
    "release": "the held line it releases was computed again",
    "spif": "its amount changed",
}


def _by_detail(b: Line, a: Line, deal: Any) -> list[Cause]:
    out = []
    for step, kind in DETAIL_STEPS.items():
        eb, ea = _first(b, step), _first(a, step)
        if not eb or not ea:
            continue
        keys = ("detail", "amount", "fraction", "paid", "balance", "exception")
        if all(eb.get(k) == ea.get(k) for k in keys):
            continue
        rule = ea.get("rule") or eb.get("rule")
        if step == "exception":
            text = f"Exception {rule} now adjusts by {ea.get('amount')} (was {eb.get('amount')})."
        elif step in ("clawback", "draw", "draw_recovery") and ea.get("exception"):
            kind = "exception"
            text = f"Exception {ea['exception']} now waives {step.replace('_', ' ')} {rule}."
        else:
            name = step.replace("_", " ").capitalize()
            on = f" on deal {deal}" if deal else ""
            if eb.get("detail") == ea.get("detail"):
                what = WHAT_CHANGED.get(step, "what it is computed from changed")
                amounts = f"{show(money(b.get('amount')))} -> {show(money(a.get('amount')))}"
                text = f"{name} {rule}{on}: {what}, {amounts}."
            else:
                text = (
                    f"{name} {rule}{on}: was {eb.get('detail')} ({eb.get('amount')}), "
                    f"now {ea.get('detail')} ({ea.get('amount')})."
                )
        out.append(Cause(kind, text, step, _str(eb.get("amount")), _str(ea.get("amount"))))
    return out
