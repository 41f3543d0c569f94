"""What the payout-run pages show: the runs, and one run with its totals, tally and votes.

    runs, total = run_rows(session)                # the list page
    view = run_overview(session, viewer, run_id)    # the detail page

The detail page also says whether a draft is stale (`payouts.staleness`), which plan
versions the run used by number, and what its latest build changed (`payouts.build_diff`).

Read-only, so the pages stay thin and the templates hold no rule; why a viewer's vote
form is absent is the ballot's own refusal (`committee.ballots.refusal_text`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from governance import periods
from governance.accounts import names
from governance.committee.ballots import refusal_text
from governance.paging import Sort
from governance.payouts import build_diff
from governance.payouts import close as payout_close
from governance.payouts import runs as payout_runs
from governance.payouts.staleness import latest_build, plan_labels
from governance.permissions import Actor, has_permission
from models.payouts import PayoutLine, PayoutRun, Statement
from models.people import Participant

# Reading a run needs what the API's reads need (app/api/payouts).
READ = "statements.read_all"


def run_rows(
    session: Session, *, offset: int = 0, limit: int = 200, sort: Sort = payout_runs.RUN_SORT
) -> tuple[list[dict[str, Any]], int]:
    """A page of the runs (newest period first, or by `sort`) with who started them, and
    how many runs there are."""
    runs, total = payout_runs.list_runs(session, offset=offset, limit=limit, sort=sort)
    people = names(session, [r.started_by_id for r in runs])
    rows = [{"run": r, "starter": people.get(r.started_by_id, "the system")} for r in runs]
    return rows, total


def totals_by_currency(session: Session, run: PayoutRun) -> list[dict[str, Any]]:
    """Per currency: statements, earned, held, clawed back, draw and payable (Decimals)."""
    fields = ("earned", "held", "clawed_back", "draw", "payable")
    rows = session.execute(
        select(
            Statement.currency,
            func.count(),
            *[func.coalesce(func.sum(getattr(Statement, f)), 0) for f in fields],
        )
        .where(Statement.run_id == run.id)
        .group_by(Statement.currency)
        .order_by(Statement.currency)
    )
    out = []
    for currency, count, *sums in rows:
        entry = {"currency": currency, "statements": count}
        # SQLite may return floats for SUM over NUMERIC; money is Decimal at the cent.
        entry.update(
            {
                f: Decimal(str(v)).quantize(Decimal("0.01"))
                for f, v in zip(fields, sums, strict=True)
            }
        )
        out.append(entry)
    return out


def adjustment_count(session: Session, run: PayoutRun) -> int:
    """Prior-period adjustment lines the run carries (lines marked with the period)."""
    stmt = select(func.count()).where(
        PayoutLine.run_id == run.id, PayoutLine.adjusts_period.is_not(None)
    )
    return session.scalar(stmt) or 0


def freshness(
    session: Session, run: PayoutRun, ballot: payout_close.RunBallot | None = None
) -> dict[str, Any]:
    """The plan versions the run used by number, whether it is stale and how (a draft
    whose inputs changed since its last build), and its last build."""
    changes = (ballot or payout_close.RunBallot(run)).stale(session)
    return {
        "plan_version_labels": plan_labels(session, run.plan_versions or {}),
        "stale": bool(changes),
        "stale_changes": changes,
        "last_build": latest_build(session, run),
    }


def moved_payable(session: Session, run: PayoutRun, *, shown: int = 50) -> dict[str, Any]:
    """The participants whose payable the run's last build moved (the `shown` largest
    moves, with names) and the totals per currency."""
    build = latest_build(session, run)
    if build is None:
        return {"moved": [], "moved_total": 0, "moved_totals": []}
    moved, total = build_diff.payable_changes(session, build, limit=shown)
    stmt = select(Participant.id, Participant.name)
    who = dict(
        session.execute(stmt.where(Participant.id.in_({m["participant"] for m in moved}))).all()
    )
    for m in moved:
        m["name"] = who.get(m["participant"])
    return {
        "moved": moved,
        "moved_total": total,
        "moved_totals": build_diff.change_totals(session, build),
    }


def run_overview(session: Session, viewer: Actor, run_id: int) -> dict[str, Any]:
    """Everything the run's page shows; raises `NotFound` for an unknown run."""
    run = payout_runs.get_run(session, run_id)
    ballot = payout_close.RunBallot(run)
    votes = ballot.votes(session)
    tally = ballot.tally(session)
    people = names(
        session,
        [run.started_by_id, run.locked_by_id, run.published_by_id, *(v.voter_id for v in votes)],
    )
    return {
        "run": run,
        "content_hash": payout_close.run_content_hash(run),
        "starter": people.get(run.started_by_id, "the system"),
        "locker": people.get(run.locked_by_id, "the system") if run.locked_at else None,
        "totals": totals_by_currency(session, run),
        "adjustments": adjustment_count(session, run),
        "tally": tally.as_dict(),
        "votes": [
            {"vote": v, "voter": people.get(v.voter_id, f"user {v.voter_id}")} for v in votes
        ],
        "refusal": refusal_text(session, viewer, ballot),
        **freshness(session, run, ballot),
        **moved_payable(session, run),
        "can_lock": run.state == "approved" and has_permission(viewer, "payouts.run"),
        "can_rerun": run.state == "draft" and has_permission(viewer, "payouts.run"),
        "can_discard": run.state == "draft" and has_permission(viewer, "payouts.run"),
        "can_publish": run.state == "locked"
        and run.published_at is None
        and has_permission(viewer, "payouts.publish"),
        "publisher": people.get(run.published_by_id, "the system") if run.published_at else None,
        "early": run.period_start > periods.today(),  # its re-run needs the early option
    }
