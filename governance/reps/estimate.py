"""The estimator: "a deal of X closing on D would pay Y", computed by the engine.

    deal = hypothetical_deal({"amount": "50000", "close_date": "2026-11-30"})
    result = estimate(session, actor, deal)     # result["payable"] is Y

For each plan the rep is assigned to on D, the plan version governing D is evaluated over
the rep's real data (their slice, read as a payout run reads their batch, with the
approved exceptions) for the period containing D, twice: as it is, and with one more deal
of theirs (owner, no splits) closing on D. Y is the difference of the rep's `payable`;
`held` is the difference of what is held. The lines that differ are listed with their
plain-words explanation: the deal's own lines (rate, tiers crossed, gates) and those of
other deals or of the draw whose amount it moved (a later deal pushed into a higher
band, a draw no longer topped up). Nothing is saved. Decisions (what Y means, which
version governs, what is left out): docs/decisions.md, "Rep home and the estimator".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from governance import periods
from governance.errors import Invalid
from governance.permissions import Actor
from governance.plans.lookup import plan_of, version_governing
from governance.reps.standing import (
    QUOTA_BANDS,
    Slices,
    band_at,
    bands_of,
    participant_of,
    plans_on,
    rep_data,
    statement_of,
)
from rules.data import load_data
from rules.explain import explain_line
from rules.model import Data
from rules.period import Period
from rules.problems import EvaluationError, InvalidData, Problem

DEAL_ID = "what-if"  # the hypothetical deal's id in the engine's data and lines
HORIZON = timedelta(days=366)  # a what-if is about the pipeline, not a later decade
MAX_AMOUNT = Decimal("1e12")
ZERO = Decimal("0.00")
_DEAL_PATH = re.compile(r"^\$\.deals\[(\d+)\]\.?")


@dataclass(frozen=True)
class HypotheticalDeal:
    """The deal the rep asks about; optional fields as the plan's conditions read them."""

    amount: Decimal
    close_date: date
    type: str = "new"
    currency: str | None = None  # None: the plan's currency
    gross_margin: Decimal | None = None
    discount: Decimal | None = None
    term_months: int | None = None
    cash_collected_date: date | None = None  # None: collected on the close date

    def section3(self, owner: str, currency: str) -> dict[str, Any]:
        """The deal in the spec's section-3 shape."""
        cash = self.cash_collected_date or self.close_date

        def text(value: Decimal | None) -> str | None:
            return None if value is None else format(value, "f")

        return {
            "id": DEAL_ID,
            "account": "what-if",
            "type": self.type,
            "amount": text(self.amount),
            "currency": self.currency or currency,
            "close_date": self.close_date.isoformat(),
            "gross_margin": text(self.gross_margin),
            "discount": text(self.discount),
            "term_months": self.term_months,
            "owner": owner,
            "splits": None,
            "team": [],
            "touchpoints": [],
            "cash_collected_date": cash.isoformat(),
            "attributes": {},
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "amount": self.amount,
            "close_date": self.close_date,
            "type": self.type,
            "currency": self.currency,
            "gross_margin": self.gross_margin,
            "discount": self.discount,
            "term_months": self.term_months,
            "cash_collected_date": self.cash_collected_date or self.close_date,
        }


def _given(fields: Mapping, name: str, problems: list[Problem], required: bool) -> Any:
    """The field's value, or None when it is absent or empty (a problem if required)."""
    value = fields.get(name)
    if value is None or value == "":
        if required:
            problems.append(Problem(f"$.{name}", "required"))
        return None
    return value


def _decimal(fields: Mapping, name: str, problems: list[Problem], *, required=False):
    value = _given(fields, name, problems, required)
    if value is None:
        return None
    if isinstance(value, float):
        problems.append(Problem(f"$.{name}", 'send the number as text, e.g. "50000.00"'))
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        problems.append(Problem(f"$.{name}", f"{value!r} is not a decimal number"))
        return None
    if not number.is_finite() or abs(number) >= MAX_AMOUNT:
        problems.append(Problem(f"$.{name}", f"{value!r} is not a decimal number we can use"))
        return None
    return number


def _date(fields: Mapping, name: str, problems: list[Problem], *, required=False):
    value = _given(fields, name, problems, required)
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.append(Problem(f"$.{name}", f"{value!r} is not a date (YYYY-MM-DD)"))
        return None


def hypothetical_deal(fields: Mapping[str, Any]) -> HypotheticalDeal:
    """The deal from a form or an API body (text or typed values); `Invalid` names every
    field at fault."""
    problems: list[Problem] = []
    amount = _decimal(fields, "amount", problems, required=True)
    if amount is not None and amount <= 0:
        problems.append(Problem("$.amount", "a deal amount is more than zero"))
    close = _date(fields, "close_date", problems, required=True)
    margin = _decimal(fields, "gross_margin", problems)
    discount = _decimal(fields, "discount", problems)
    cash = _date(fields, "cash_collected_date", problems)
    if cash is not None and close is not None and cash < close:
        problems.append(Problem("$.cash_collected_date", "cash is collected on or after the close"))
    term = fields.get("term_months")
    if term in ("", None):
        term = None
    else:
        try:
            term = int(str(term))
            if not 0 < term <= 1200:
                raise ValueError
        except ValueError:
            problems.append(Problem("$.term_months", f"{term!r} is not a number of months"))
    kind = str(fields.get("type") or "new").strip()
    if not kind or len(kind) > 40:
        problems.append(Problem("$.type", "a deal type such as new, expansion or renewal"))
    currency = str(fields.get("currency") or "").strip().upper() or None
    if currency is not None and not re.fullmatch(r"[A-Z]{3}", currency):
        problems.append(Problem("$.currency", f"{currency!r} is not a currency code"))
    if problems:
        raise Invalid("The deal cannot be estimated.", problems)
    return HypotheticalDeal(amount, close, kind, currency, margin, discount, term, cash)


def _located(problems, index: int) -> list[Problem]:
    """The data's problems about the hypothetical deal, at the request's own fields."""
    out = []
    for p in problems:
        match = _DEAL_PATH.match(p.path)
        if match and int(match.group(1)) == index:
            p = replace(p, path="$." + p.path[match.end() :] if p.path[match.end() :] else "$")
        out.append(p)
    return out


def _at_request(problem: Problem) -> Problem:
    """An engine problem about the hypothetical deal (`deals[what-if].currency`) at the
    request's field (`$.currency`)."""
    prefix = f"deals[{DEAL_ID}]"
    if not problem.path.startswith(prefix):
        return problem
    rest = problem.path[len(prefix) :].lstrip(".")
    return replace(problem, path=f"$.{rest}" if rest else "$")


def _key(line: Mapping[str, Any]) -> tuple:
    return (line["kind"], line.get("deal") or "", line.get("rule") or "")


def changed_lines(before: list[dict], after: list[dict], currency: str) -> list[dict[str, Any]]:
    """The lines of `after` that are new or differ from `before` (amount or status), and
    those of `before` that are gone, each with its plain-words explanation."""
    remaining: dict[tuple, list[dict]] = {}
    for line in before:
        remaining.setdefault(_key(line), []).append(line)
    out = []
    for line in after:
        olds = remaining.get(_key(line)) or []
        old = olds.pop(0) if olds else None
        if old is not None and (old["amount"], old["status"]) == (line["amount"], line["status"]):
            continue
        out.append(_shown(line, old, currency, "changed" if old else "new"))
    for olds in remaining.values():
        out.extend(_shown(old, old, currency, "gone") for old in olds)
    return out


def _shown(line: dict, old: dict | None, currency: str, change: str) -> dict[str, Any]:
    words = explain_line(line, currency=currency)
    tiers = [e["rule"] for e in line.get("trace") or () if e.get("step") == "tier"]
    return {
        "change": change,
        "kind": line["kind"],
        "deal": line.get("deal"),
        "rule": line.get("rule"),
        "status": line["status"],
        "amount": ZERO if change == "gone" else Decimal(line["amount"]),
        "before": None if old is None else Decimal(old["amount"]),
        "tiers": tiers,
        "summary": words.summary,
        "steps": list(words.steps),
    }


def estimate(
    session: Session, actor: Actor, deal: HypotheticalDeal, *, slices: Slices | None = None
) -> dict[str, Any]:
    """What the deal would change in the rep's pay (see the module docstring); `Invalid`
    when no plan of theirs, or no version of it, governs D, or the engine cannot
    evaluate the period (its problems located)."""
    pid = participant_of(actor)
    day = deal.close_date
    latest = periods.today() + HORIZON
    if day > latest:
        raise Invalid(
            "That date is too far ahead.",
            [Problem("$.close_date", f"estimates reach {latest.isoformat()} at the latest")],
        )
    keys = plans_on(session, pid, day)
    if not keys:
        raise Invalid(
            "No plan of yours is in force on that date.",
            [Problem("$.close_date", f"you have no plan assignment on {day.isoformat()}")],
        )
    versions = {key: version_governing(session, key, day) for key in keys}
    missing = [k for k, v in versions.items() if v is None]
    if missing:
        raise Invalid(
            "No plan version governs that date.",
            [
                Problem("$.close_date", f"no version of plan {k} governs {day.isoformat()}")
                for k in missing
            ],
        )
    results = []
    loaded: dict[tuple[str, str], tuple[Data, Data]] = {}  # (period, plan currency)
    for key, version in versions.items():
        plan = plan_of(version)
        period = Period.containing(day, plan.period)
        slot = (period.name, plan.currency)  # the deal is in the plan's currency by default
        if slot not in loaded:
            loaded[slot] = _with_and_without(session, pid, period, deal, plan.currency, slices)
        with_it, without = loaded[slot]
        try:
            before = statement_of(plan, without, period, pid)
            after = statement_of(plan, with_it, period, pid)
        except EvaluationError as exc:
            problems = [_at_request(p) for p in exc.problems]
            raise Invalid("The engine cannot evaluate that period.", problems) from None
        results.append(
            _plan_result(key, version.label, version.content_hash, period, plan, before, after)
        )
    currencies = {r["currency"] for r in results}
    single = len(currencies) == 1
    return {
        "participant": pid,
        "deal": deal.as_dict(),
        "currency": currencies.pop() if single else None,
        "payable": sum((r["payable"] for r in results), ZERO) if single else None,
        "held": sum((r["held"] for r in results), ZERO) if single else None,
        "plans": results,
    }


def _with_and_without(
    session: Session,
    pid: str,
    period: Period,
    deal: HypotheticalDeal,
    currency: str,
    slices: Slices | None,
) -> tuple[Data, Data]:
    """(the rep's data with the deal, without it): the deal is validated on its own (with
    the rep it names) and added last, as `accord evaluate` reads it appended to the file."""
    without = rep_data(session, pid, period, slices)
    try:
        alone = load_data({"participants": [{"id": pid}], "deals": [deal.section3(pid, currency)]})
    except InvalidData as exc:
        raise Invalid("The deal cannot be evaluated.", _located(exc.problems, 0)) from None
    return replace(without, deals=(*without.deals, *alone.deals)), without


def _totals(st: Mapping[str, Any] | None) -> tuple[Decimal, Decimal, Decimal | None, list]:
    if st is None:
        return ZERO, ZERO, None, []
    attainment = st.get("attainment")
    return (
        Decimal(st["payable"]),
        Decimal(st["held"]),
        None if attainment is None else Decimal(attainment),
        st["lines"],
    )


def _plan_result(key, label, content_hash, period, plan, before, after) -> dict[str, Any]:
    payable_b, held_b, att_b, lines_b = _totals(before)
    payable_a, held_a, att_a, lines_a = _totals(after)
    basis, bands = bands_of(plan)

    def tier(st, attainment):
        position = attainment
        if basis == "credited" and st is not None:
            position = Decimal(st["credited"])
        band = band_at(bands or QUOTA_BANDS, position)
        return None if band is None else band.id

    return {
        "plan": key,
        "version": label,
        "version_hash": content_hash,
        "period": period.name,
        "currency": plan.currency,
        "payable": payable_a - payable_b,
        "held": held_a - held_b,
        "attainment_before": att_b,
        "attainment_after": att_a,
        "tier_before": tier(before, att_b),
        "tier_after": tier(after, att_a),
        "lines": changed_lines(lines_b, lines_a, plan.currency),
    }
