"""Where an accepted dispute's money stands: the state of the adjustment it filed.

    outcome = outcomes(session, disputes)[dispute.id]
    outcome.state  # pending_approval | approved | scheduled | paid | rejected | withdrawn | expired
    outcome.text   # "Accepted: adjustment EX-8 of 450.00 USD paid in run 12 (2026-Q4)."

Accepting a dispute files an `adjustment` exception (`disputes.workflow.resolve_accept`);
the dispute is resolved, but the rep is owed nothing until the exception is approved and
a locked payout run pays it. The adjustment's line in a run is the engine's `adjustment`
line named by the exception (`rule` = "EX-n"), in the run of its period or, that period
being locked, as a prior-period adjustment in a later run. Reads only; the pages and the
API show the sentence instead of a bare "resolved accepted". docs/disputes.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.disputes import Dispute
from models.exceptions import PayoutException
from models.payouts import PayoutLine, PayoutRun

UNPAID_RUN_STATES = ("draft", "approved")  # a run that carries the line, not yet locked


@dataclass(frozen=True)
class Outcome:
    """A dispute's outcome as the rep reads it (`adjustment`: None unless accepted)."""

    state: str  # the dispute's own state, or its adjustment's (module docstring)
    text: str
    adjustment: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state, "text": self.text, "adjustment": self.adjustment}


def _money(amount: Decimal | None, currency: str | None) -> str:
    return f"{amount:.2f} {currency or ''}".strip() if amount is not None else "?"


def _runs_carrying(session: Session, exceptions: list[PayoutException]) -> dict[int, list]:
    """exception id -> [(run, amount)] of the runs whose lines carry its adjustment."""
    by_label = {exc.label: exc for exc in exceptions}
    if not by_label:
        return {}
    rows = session.execute(
        select(PayoutLine.rule, PayoutLine.participant_id, PayoutLine.amount, PayoutRun)
        .join(PayoutRun, PayoutRun.id == PayoutLine.run_id)
        .where(
            PayoutLine.kind == "adjustment",
            PayoutLine.rule.in_(sorted(by_label)),
            PayoutRun.state.in_(("locked", *UNPAID_RUN_STATES)),
        )
        .order_by(PayoutRun.id, PayoutLine.id)
    ).all()
    out: dict[int, list] = {}
    for rule, participant, amount, run in rows:
        exc = by_label[rule]
        if participant == exc.participant_id:
            out.setdefault(exc.id, []).append((run, amount))
    return out


def _adjustment_outcome(exc: PayoutException, runs: list, today: date) -> Outcome:
    label, money = exc.label, _money(exc.amount, exc.currency)
    info: dict[str, Any] = {
        "exception": label,
        "exception_id": exc.id,
        "exception_state": exc.state,
        "amount": None if exc.amount is None else f"{exc.amount:.2f}",
        "currency": exc.currency,
        "run_id": None,
        "run_period": None,
        "reason": None,
    }
    head = f"Accepted: adjustment {label} of {money}"
    if exc.state == "submitted":
        return Outcome("pending_approval", f"{head} is pending approval.", info)
    if exc.state in ("rejected", "withdrawn"):
        info["reason"] = exc.decision_note
        why = f": {exc.decision_note}" if exc.decision_note else "."
        return Outcome(exc.state, f"{head} was {exc.state}{why}", info)
    locked = [(run, amount) for run, amount in runs if run.state == "locked"]
    if locked:
        run = locked[0][0]
        info.update(run_id=run.id, run_period=run.period)
        return Outcome("paid", f"{head} paid in run {run.id} ({run.period}).", info)
    if runs:
        run = runs[0][0]
        info.update(run_id=run.id, run_period=run.period)
        return Outcome(
            "scheduled",
            f"{head} is approved; {run.state} run {run.id} ({run.period}) carries it, not"
            " paid until that run is locked.",
            info,
        )
    if exc.expired(today):
        return Outcome("expired", f"{head} expired on {exc.expires_on} before a run paid it.", info)
    return Outcome("approved", f"{head} is approved; the next payout run pays it.", info)


def _plain(dispute: Dispute) -> Outcome:
    if dispute.state == "resolved_rejected":
        why = f": {dispute.resolution}" if dispute.resolution else "."
        return Outcome(dispute.state, f"Rejected{why}")
    return Outcome(dispute.state, dispute.state.replace("_", " ").capitalize() + ".")


def outcomes(
    session: Session, disputes: Iterable[Dispute], *, today: date | None = None
) -> dict[int, Outcome]:
    """Each dispute's outcome, read in two queries whatever the number of disputes."""
    disputes = list(disputes)
    ids = sorted({d.exception_id for d in disputes if d.exception_id is not None})
    found = (
        {
            e.id: e
            for e in session.scalars(select(PayoutException).where(PayoutException.id.in_(ids)))
        }
        if ids
        else {}
    )
    runs = _runs_carrying(session, list(found.values()))
    day = today or utcnow().date()
    out = {}
    for dispute in disputes:
        exc = found.get(dispute.exception_id) if dispute.exception_id is not None else None
        if dispute.state == "resolved_accepted" and exc is not None:
            out[dispute.id] = _adjustment_outcome(exc, runs.get(exc.id, []), day)
        else:
            out[dispute.id] = _plain(dispute)
    return out


def outcome(session: Session, dispute: Dispute) -> Outcome:
    return outcomes(session, [dispute])[dispute.id]
