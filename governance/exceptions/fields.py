"""Reading a payout-exception request: every field checked, every problem named.

    target = read_fields(session, {"kind": "waive_gate", "plan": "ae-plan", "deal": "D-2",
                                   "rule": "margin-floor", "justification": "..."}, today=day)

The body (from the API, the CLI, or a dispute's acceptance through `file_exception`) is
checked as a whole, references included (the plan, a version of it governing the relevant
day, the deal, the participant, the gate or clawback id), and every problem is reported
at once with its JSON path (`$.rule`, `$.credits[1].share`).

The fields of each kind: docs/exceptions.md, "Kinds and fields".
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.audit import sha256_json
from governance.errors import DocumentRejected
from governance.plans import lookup as plans
from models import Deal, DealEvent, Participant, PolicyPlan
from models.exceptions import EXCEPTION_KINDS
from rules.model import Plan
from rules.period import Period, PeriodError
from rules.problems import Problem

COMMON = ("kind", "plan", "justification", "expires_on")
KIND_FIELDS = {
    "waive_gate": ("deal", "rule", "period"),
    "waive_clawback": ("deal", "rule", "period"),
    "override_split": ("deal", "credits", "period"),
    "adjustment": ("participant", "period", "amount", "currency"),
}
REQUIRED = {
    "waive_gate": ("deal", "rule"),
    "waive_clawback": ("deal", "rule"),
    "override_split": ("deal", "credits"),
    "adjustment": ("participant", "period", "amount"),
}
MAX_JUSTIFICATION = 4000
MAX_AMOUNT = Decimal("1000000000000")


@dataclass
class Target:
    """A checked request: what it touches and the plan version that governs it."""

    kind: str
    plan_key: str
    plan: Plan
    version_label: str
    period: Period
    justification: str
    expires_on: date | None = None
    deal_id: str | None = None
    participant_id: str | None = None
    rule_id: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    credits: list[dict[str, str]] | None = None
    named: list[str] = field(default_factory=list)  # participants the request names


def did_you_mean(given: str, known) -> str:
    """ " (did you mean 'margin-floor'?)" for a near miss among `known` (difflib, as the
    condition checker's field names), else ""."""
    close = difflib.get_close_matches(given, list(known), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _text(body: dict, key: str, problems: list[Problem], *, limit: int = 64) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(f"$.{key}", "expected a non-empty string"))
        return None
    if len(value) > limit:
        problems.append(Problem(f"$.{key}", f"at most {limit} characters"))
        return None
    return value.strip()


def _decimal(value: Any, path: str, problems: list[Problem]) -> Decimal | None:
    # Money is never a float: "1250.00" or 1250, not 1250.0.
    if isinstance(value, bool) or not isinstance(value, str | int):
        problems.append(Problem(path, 'expected a decimal as text, e.g. "1250.00"'))
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        problems.append(Problem(path, f"{value!r} is not a decimal number"))
        return None
    if not number.is_finite():
        problems.append(Problem(path, "expected a finite number"))
        return None
    return number


def _day(value: Any, path: str, problems: list[Problem]) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        pass
    problems.append(Problem(path, "expected a date such as 2026-12-31"))
    return None


def _credits(session: Session, value: Any, problems: list[Problem]) -> list[dict[str, str]] | None:
    if not isinstance(value, list) or not value:
        problems.append(Problem("$.credits", "expected a non-empty list of {participant, share}"))
        return None
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, entry in enumerate(value):
        path = f"$.credits[{i}]"
        if not isinstance(entry, dict):
            problems.append(Problem(path, "expected an object {participant, share}"))
            continue
        problems.extend(
            Problem(f"{path}.{k}", "unknown key")
            for k in entry
            if k not in ("participant", "share")
        )
        who = entry.get("participant")
        if not isinstance(who, str) or not who:
            problems.append(Problem(f"{path}.participant", "required: a participant id"))
        elif session.get(Participant, who) is None:
            problems.append(Problem(f"{path}.participant", f"no participant {who!r}"))
        elif who in seen:
            problems.append(Problem(f"{path}.participant", f"{who!r} is listed twice"))
        if "share" not in entry:
            problems.append(Problem(f"{path}.share", "required"))
            continue
        share = _decimal(entry["share"], f"{path}.share", problems)
        if share is not None and not Decimal(0) < share <= 1:
            problems.append(Problem(f"{path}.share", "expected a share above 0 and at most 1"))
        if isinstance(who, str) and share is not None:
            seen.add(who)
            out.append({"participant": who, "share": format(share.normalize(), "f")})
    if out and sum(Decimal(c["share"]) for c in out) != 1:
        problems.append(Problem("$.credits", "the shares must add up to 1"))
    return out


def _governing(
    session: Session, key: str, on: date, problems: list[Problem]
) -> tuple[Plan, str] | None:
    version = plans.version_governing(session, key, on)
    if version is None:
        problems.append(Problem("$.plan", f"no version of plan {key!r} governs {on.isoformat()}"))
        return None
    return plans.plan_of(version), version.label


def read_fields(session: Session, body: Any, *, today: date) -> Target:
    """The checked request, or `DocumentRejected` listing every problem."""
    if not isinstance(body, dict):
        raise DocumentRejected("The exception is not valid.", [Problem("$", "expected an object")])
    problems: list[Problem] = []
    kind = body.get("kind")
    if kind not in EXCEPTION_KINDS:
        problems.append(Problem("$.kind", f"expected one of {', '.join(EXCEPTION_KINDS)}"))
        raise DocumentRejected("The exception is not valid.", problems)
    allowed = COMMON + KIND_FIELDS[kind]
    problems += [Problem(f"$.{k}", f"unknown key for {kind}") for k in body if k not in allowed]
    problems += [
        Problem(f"$.{k}", "required")
        for k in ("plan", "justification", *REQUIRED[kind])
        if body.get(k) in (None, "")
    ]
    justification = _text(body, "justification", problems, limit=MAX_JUSTIFICATION)
    expires_on = _day(body.get("expires_on"), "$.expires_on", problems)
    if expires_on is not None and expires_on < today:
        problems.append(Problem("$.expires_on", "already in the past"))
    plan_key = _text(body, "plan", problems, limit=63)
    if plan_key and session.get(PolicyPlan, plan_key) is None:
        keys = session.scalars(select(PolicyPlan.key)).all()
        problems.append(Problem("$.plan", f"no plan {plan_key!r}" + did_you_mean(plan_key, keys)))
        plan_key = None
    period = None
    if body.get("period") is not None:
        try:
            period = Period.parse(body["period"])
        except PeriodError as exc:
            problems.append(Problem("$.period", str(exc)))

    deal = participant = None
    deal_id = _text(body, "deal", problems) if "deal" in KIND_FIELDS[kind] else None
    if deal_id:
        deal = session.get(Deal, deal_id)
        if deal is None:
            problems.append(Problem("$.deal", f"no deal {deal_id!r}"))
    participant_id = _text(body, "participant", problems) if kind == "adjustment" else None
    if participant_id:
        participant = session.get(Participant, participant_id)
        if participant is None:
            problems.append(Problem("$.participant", f"no participant {participant_id!r}"))
    credits = None
    if kind == "override_split" and body.get("credits") is not None:
        credits = _credits(session, body["credits"], problems)
    amount = None
    if kind == "adjustment" and body.get("amount") not in (None, ""):
        amount = _decimal(body["amount"], "$.amount", problems)
        if amount is not None and (amount == 0 or abs(amount) >= MAX_AMOUNT):
            problems.append(Problem("$.amount", "expected a non-zero amount below 10^12"))
            amount = None
        elif amount is not None and amount != amount.quantize(Decimal("0.01")):
            problems.append(Problem("$.amount", "at most 2 decimal places (cents)"))
    rule_id = _text(body, "rule", problems, limit=63) if kind.startswith("waive_") else None

    # The plan version that governs the day the request is about.
    governing = None
    if plan_key and (deal is not None or (kind == "adjustment" and period is not None)):
        on = deal.close_date if deal is not None else period.end
        governing = _governing(session, plan_key, on, problems)
    if governing is not None:
        plan, label = governing
        if period is not None and period.kind != plan.period:
            problems.append(
                Problem("$.period", f"plan {plan_key} pays by {plan.period}, not {period.kind}")
            )
        if rule_id is not None:
            rules = plan.gates if kind == "waive_gate" else plan.clawbacks
            what = "gate" if kind == "waive_gate" else "clawback"
            if rule_id not in {r.id for r in rules}:
                problems.append(
                    Problem(
                        "$.rule",
                        f"{label} has no {what} {rule_id!r}"
                        + did_you_mean(rule_id, [r.id for r in rules]),
                    )
                )
        currency = body.get("currency")
        if kind == "adjustment" and currency not in (None, plan.currency):
            problems.append(
                Problem("$.currency", f"an adjustment is paid in the plan currency {plan.currency}")
            )
    if problems:
        raise DocumentRejected("The exception is not valid.", problems)
    assert governing is not None and plan_key and justification
    plan, label = governing
    if period is None:
        period = _default_period(session, kind, deal, plan.period)
    named = [participant_id] if participant_id else []
    if deal is not None:
        named.append(deal.owner_id)
    named += [c["participant"] for c in credits or ()]
    return Target(
        kind=kind,
        plan_key=plan_key,
        plan=plan,
        version_label=label,
        period=period,
        justification=justification,
        expires_on=expires_on,
        deal_id=deal_id,
        participant_id=participant_id,
        rule_id=rule_id,
        amount=amount,
        currency=plan.currency if kind == "adjustment" else None,
        credits=credits,
        named=sorted(set(named)),
    )


def _default_period(session: Session, kind: str, deal: Deal, period_kind: str) -> Period:
    day = deal.close_date
    if kind == "waive_clawback":
        # The clawback is recovered in the period of the event that triggers it.
        latest = session.scalar(
            select(DealEvent.event_date)
            .where(DealEvent.deal_id == deal.id)
            .order_by(DealEvent.event_date.desc())
            .limit(1)
        )
        day = latest or day
    return Period.containing(day, period_kind)


def content_of(target: Target, *, estimated_impact: Decimal, dispute_id: int | None) -> dict:
    """What a vote approves: the request as filed, with its estimate (plain JSON)."""
    return {
        "kind": target.kind,
        "plan": target.plan_key,
        "deal": target.deal_id,
        "participant": target.participant_id,
        "rule": target.rule_id,
        "period": target.period.name,
        "amount": None if target.amount is None else format(target.amount, "f"),
        "currency": target.currency,
        "credits": target.credits,
        "justification": target.justification,
        "expires_on": None if target.expires_on is None else target.expires_on.isoformat(),
        "estimated_impact": format(estimated_impact, "f"),
        "dispute_id": dispute_id,
    }


def content_hash(content: dict) -> str:
    return sha256_json(content)
