"""The demo's disputes: reps challenge lines of their locked statements, in every state.

Through `governance.disputes` (`file`, `start_review`, `resolve_accept`,
`resolve_reject`, `escalate_overdue`), with the reps Ana Silva and Sophie Laurent filing
on their own lines and the comp admin (Claire Donovan) reviewing. Filed on given story
days (the `today` the service takes), so the due dates are the same on every load:

- open and overdue: Ana, filed 2026-10-27 on a 2026-Q3 line, due 2026-11-10, escalated
  by the daily job (`escalate_overdue` on the pinned today);
- open, in time: Sophie, filed 2026-11-23 on a 2026-Q3 line;
- under review: Ana, filed 2026-11-16 on a 2026-Q2 line, taken up by Claire;
- resolved, accepted: Sophie, filed 2026-10-12 on a 2026-Q3 line claiming 450.00;
  accepting files an `adjustment` exception, which the deal desk and finance approve;
- resolved, rejected: Sophie, filed 2026-10-05 on a 2026-Q2 line, with the reason.

Lines are chosen in a fixed order (payable commission lines of the rep, by line key);
a story whose line is missing (a tiny `--deals`) is left out.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.demo.exceptions import approve
from app.demo.roster import DEMO_TODAY
from app.demo.users import AUTHOR, REP_EMEA, REP_NA, DemoUsers
from governance.disputes import rules as dispute_rules
from governance.disputes import workflow as disputes
from governance.exceptions import workflow as exceptions
from models.disputes import Dispute
from models.payouts import PayoutLine, PayoutRun


def _lines(session: Session, participant: str, period: str) -> list[PayoutLine]:
    """The rep's payable commission lines of the period's locked run, in line-key order."""
    stmt = (
        select(PayoutLine)
        .join(PayoutRun, PayoutRun.id == PayoutLine.run_id)
        .where(
            PayoutRun.period == period,
            PayoutRun.state == "locked",
            PayoutLine.participant_id == participant,
            PayoutLine.kind == "commission",
            PayoutLine.status == "payable",
            PayoutLine.amount > 0,
        )
        .order_by(PayoutLine.line_key)
    )
    return list(session.scalars(stmt))


def _file(session, users, email: str, line: PayoutLine | None, day: date, reason: str, **kw):
    if line is None:
        return None
    return disputes.file(session, users[email], line.id, reason=reason, today=day, **kw)


def _pick(lines: list[PayoutLine], n: int) -> PayoutLine | None:
    return lines[n] if len(lines) > n else None


def load_disputes(session: Session, users: DemoUsers) -> dict[str, int]:
    """File and move the demo's disputes (see the module docstring); counts by state."""
    reviewer = users[AUTHOR]
    ana = users[REP_NA].participant_id
    sophie = users[REP_EMEA].participant_id
    ana_q2, ana_q3 = _lines(session, ana, "2026-Q2"), _lines(session, ana, "2026-Q3")
    sophie_q2, sophie_q3 = _lines(session, sophie, "2026-Q2"), _lines(session, sophie, "2026-Q3")

    _file(
        session,
        users,
        REP_NA,
        _pick(ana_q3, 0),
        date(2026, 10, 27),
        "My own calculation of this line comes out higher: please check the rate and "
        "the tier applied.",
        claimed_amount="500.00",
    )
    _file(
        session,
        users,
        REP_EMEA,
        _pick(sophie_q3, 1),
        date(2026, 11, 23),
        "Please confirm the exchange rate used for this deal; the order form was signed in EUR.",
    )
    dispute = _file(
        session,
        users,
        REP_NA,
        _pick(ana_q2, 0),
        date(2026, 11, 16),
        "I believe I was the only AE on this opportunity; please check the credit.",
    )
    if dispute is not None:
        disputes.start_review(
            session, reviewer, dispute.id, comment="Checking the split with the deal desk."
        )
    dispute = _file(
        session,
        users,
        REP_EMEA,
        _pick(sophie_q3, 0),
        date(2026, 10, 12),
        "The discount was reduced at signature; the commission should follow the final "
        "order form, not the quote.",
        claimed_amount="450.00",
    )
    if dispute is not None:
        disputes.resolve_accept(
            session,
            reviewer,
            dispute.id,
            resolution="Confirmed against the signed order form: paid as an adjustment.",
        )
        adjustment = exceptions.get_exception(session, dispute.exception_id)
        approve(session, users, adjustment, AUTHOR)
    dispute = _file(
        session,
        users,
        REP_EMEA,
        _pick(sophie_q2, 0),
        date(2026, 10, 5),
        "I think this deal should have been paid at the accelerator rate.",
    )
    if dispute is not None:
        disputes.resolve_reject(
            session,
            reviewer,
            dispute.id,
            resolution="Tiers are marginal: only the credit above 100% of quota earns the "
            "accelerator, and this deal's credit sits below it in the quarter's close order.",
        )
    disputes.escalate_overdue(session, DEMO_TODAY)
    session.flush()
    return states(session)


def states(session: Session) -> dict[str, int]:
    """Disputes per state, plus `overdue`: unresolved past their due day at the demo's today."""
    counts: dict[str, int] = {}
    for dispute in session.scalars(select(Dispute)):
        counts[dispute.state] = counts.get(dispute.state, 0) + 1
        if dispute_rules.is_overdue(dispute, DEMO_TODAY):
            counts["overdue"] = counts.get("overdue", 0) + 1
    return dict(sorted(counts.items()))
