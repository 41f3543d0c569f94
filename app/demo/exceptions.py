"""The demo's payout exceptions, one or more in every state, filed by the deal desk.

Through `governance.exceptions` (`file_exception`, `cast_exception_vote`, `withdraw`):
each request is checked, its impact estimated by the engine and routed by the approval
rules like any other. The deals are found by what the story needs (an AE deal under the
margin floor, a deep discount, a cancelled deal...), in a fixed order, so the same seed
gives the same requests; a story whose deal the data lacks (a small `--deals`) is left
out rather than failing the load.

- approved: a margin-floor waiver (Q2), a split override on an EMEA deal (Q3);
- approved but expired: a margin-floor waiver for Q1 that expired on 2026-03-31 (shown
  as "expired" since; it reached Q1's evaluation and no later one);
- rejected: a deep-discount waiver, turned down by finance with the reason;
- withdrawn: an adjustment the deal desk took back;
- submitted: a clawback waiver with the deal desk's approval, waiting for finance; and a
  12,500 adjustment above the committee threshold, waiting for the committee.

Filed before the payout runs, so the approved ones are in the runs of their periods.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.demo import clock
from app.demo.roster import AE_PLAN, DEMO_TODAY
from app.demo.users import DESK, DESK_LEAD, FINANCE, REVOPS, SALES, DemoUsers
from governance.exceptions import workflow as exceptions
from models import Assignment, Deal, DealEvent
from models.exceptions import PayoutException

# Who votes on a request, by its route (the filer never votes on their own): below the
# committee threshold the deal desk and finance; above it, the committee's plan rule.
VOTERS = {"below": (FINANCE, DESK, DESK_LEAD), "committee": (SALES, FINANCE, REVOPS)}


def _ae_deals(session: Session, start: date, end: date, *conditions):
    """AE deals (the owner is on ae-plan) closed in [start, end], smallest id first."""
    on_plan = select(Assignment.participant_id).where(Assignment.plan_key == AE_PLAN)
    stmt = (
        select(Deal)
        .where(Deal.owner_id.in_(on_plan), Deal.close_date.between(start, end), *conditions)
        .order_by(Deal.close_date, Deal.id)
    )
    return session.scalars(stmt)


def _first(session: Session, start: date, end: date, *conditions) -> Deal | None:
    return _ae_deals(session, start, end, *conditions).first()


def _file(session: Session, users: DemoUsers, filer: str, fields: dict, today: date):
    return exceptions.file_exception(session, users[filer], fields, today=today)


def _file_approved(session, users, filer: str, fields: dict, today: date) -> None:
    # Filed and decided on the same story day: a waiver that expires later still takes votes.
    with clock.on(today):
        approve(session, users, _file(session, users, filer, fields, today), filer)


def _vote(session, users, exc, email, decision="approve", comment=None):
    exceptions.cast_exception_vote(
        session,
        users[email],
        exc.id,
        decision=decision,
        content_hash=exc.content_hash,
        comment=comment,
    )


def _voters(exc: PayoutException, filer: str) -> list[str]:
    return [v for v in VOTERS[exc.route] if v != filer]


def approve(session: Session, users: DemoUsers, exc: PayoutException, filer: str) -> None:
    """Vote a request through with the voters its route needs (two or three)."""
    for email in _voters(exc, filer):
        if exc.state != "submitted":
            break
        _vote(session, users, exc, email)


def load_exceptions(session: Session, users: DemoUsers) -> None:
    """File the demo's exceptions (see the module docstring); `states` counts them."""
    q1, q2, q3 = (
        (date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 7, 1), date(2026, 9, 30)),
    )
    small = Deal.amount < Decimal(100_000)  # keeps the estimate below the committee bar

    deal = _first(session, *q2, Deal.gross_margin < Decimal("0.25"), small)
    if deal is not None:
        fields = {
            "kind": "waive_gate",
            "plan": AE_PLAN,
            "deal": deal.id,
            "rule": "margin-floor",
            "justification": f"{deal.account}: a strategic logo; the margin recovers in year "
            "two with the committed expansion.",
        }
        _file_approved(session, users, DESK_LEAD, fields, date(2026, 6, 24))

    deal = _first(session, *q3, Deal.owner_id == "sophie-laurent", Deal.has_splits.is_(False))
    if deal is not None:
        fields = {
            "kind": "override_split",
            "plan": AE_PLAN,
            "deal": deal.id,
            "credits": [
                {"participant": "sophie-laurent", "share": "0.7"},
                {"participant": "elena-rossi", "share": "0.3"},
            ],
            "justification": "Elena ran the technical close in Milan; agreed 70/30 by both "
            "AEs and their manager.",
        }
        _file_approved(session, users, DESK, fields, date(2026, 9, 18))

    # Paid within Q1, so no held line outlives the waiver into a later period.
    paid_in_q1 = Deal.cash_collected_date <= q1[1]
    deal = _first(session, *q1, Deal.gross_margin < Decimal("0.25"), paid_in_q1, small)
    if deal is not None:
        fields = {
            "kind": "waive_gate",
            "plan": AE_PLAN,
            "deal": deal.id,
            "rule": "margin-floor",
            "expires_on": "2026-03-31",
            "justification": "Launch-partner pricing for the new analytics add-on, agreed "
            "for Q1 only.",
        }
        _file_approved(session, users, DESK_LEAD, fields, date(2026, 2, 10))

    paid_in_q3 = Deal.cash_collected_date <= q3[1]  # else the line is held: no change yet
    deal = _first(session, *q3, Deal.discount > Decimal("0.20"), paid_in_q3, small)
    if deal is not None:
        fields = {
            "kind": "waive_gate",
            "plan": AE_PLAN,
            "deal": deal.id,
            "rule": "deep-discount",
            "justification": "Competitive displacement; the discount matched the incumbent.",
        }
        exc = _file(session, users, DESK_LEAD, fields, date(2026, 9, 29))
        _vote(
            session,
            users,
            exc,
            FINANCE,
            "reject",
            "The discount was not approved by the deal desk before signature: the reduction "
            "stands. File discount approvals before the quote goes out.",
        )

    fields = {
        "kind": "adjustment",
        "plan": AE_PLAN,
        "participant": "ana-silva",
        "period": "2026-Q3",
        "amount": "350.00",
        "justification": "Spiff for the Q3 reference call programme.",
    }
    exc = _file(session, users, DESK, fields, date(2026, 10, 2))
    exceptions.withdraw(
        session,
        users[DESK],
        exc.id,
        note="The programme is paid by marketing, not through the plan.",
    )

    # A cancellation after the invoice was paid: its commission is clawed back.
    cancelled = select(DealEvent.deal_id).where(
        DealEvent.kind == "cancellation", DealEvent.event_date > Deal.cash_collected_date
    )
    deal = _first(session, date(2026, 1, 1), DEMO_TODAY, Deal.id.in_(cancelled))
    if deal is not None:
        fields = {
            "kind": "waive_clawback",
            "plan": AE_PLAN,
            "deal": deal.id,
            "rule": "early-churn",
            "justification": "Cancelled because our implementation slipped by two months, "
            "not for anything the AE sold.",
        }
        exc = _file(session, users, DESK, fields, date(2026, 11, 19))
        _vote(session, users, exc, DESK_LEAD, "approve", "Confirmed with the delivery lead.")

    fields = {
        "kind": "adjustment",
        "plan": AE_PLAN,
        "participant": "oliver-hughes",
        "period": "2026-Q4",
        "amount": "12500.00",
        "justification": "Guaranteed commission for the first two quarters after the UK "
        "territory move, as in his offer letter.",
    }
    _file(session, users, DESK_LEAD, fields, date(2026, 11, 23))


def states(session: Session) -> dict[str, int]:
    """How many exceptions are in each shown state (approved ones past expiry: expired)."""
    counts: dict[str, int] = {}
    for exc in session.scalars(select(PayoutException).order_by(PayoutException.id)):
        shown = exceptions.shown_state(exc, on=DEMO_TODAY)
        counts[shown] = counts.get(shown, 0) + 1
    return dict(sorted(counts.items()))
