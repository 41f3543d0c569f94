"""The period close: committee votes on a draft payout run, its approval and its lock.

    vote, tally = cast_run_vote(session, member, run_id, decision="approve",
                                content_hash=run_content_hash(run))
    lock_run(session, comp_admin, run_id)

- **Votes** are taken on `draft` runs only, under the `payout_run` section of the
  approval rules in force at each vote (default: two approvals, finance and revops, any
  rejection rejects; see `governance.approval_rules`). A vote names the run's content
  hash (`run_content_hash`): the period, the build (`version`), the hashes of the input data,
  of the plan versions and of the exceptions it was computed from, and of every line it
  produced. A vote on another hash is refused, so nobody approves numbers they did not
  see. Only the votes on the run's *current* content count: re-running a draft with
  changed inputs starts a fresh ballot. Nobody votes on a run they started. Votes are
  the committee's (`changes.vote`), append-only, one per person per run content.
- **Approval**: the vote that meets the quorum moves the run `draft -> approved` in the
  same transaction. **Rejection** (a rejection under `any_rejection_rejects`) closes the
  ballot on that content: the run stays a draft, cannot be approved or locked, and is
  re-run (`accord payouts run`), which gives it a new build number, a new content hash
  and a fresh ballot.
- **Lock** (`approved -> locked`) is a separate act of a holder of `payouts.run` (a comp
  admin), not automatic on approval: the lock is when payroll is told, and a close is
  usually timed with payroll, not with the last vote. The locker may be the person who
  started the run (the independent check was the committee's). A locked run, its lines
  and statements never change (database triggers of migration 0005); later changes that
  touch its period are paid as prior-period adjustments (`governance.payout_adjustments`).

Concurrency: every transition locks the run row (SELECT ... FOR UPDATE) before it reads
the votes, so two concurrent approvals are counted one after the other: both votes are
kept and the run is approved once; a vote arriving after the decision is refused (409).
Every transition writes an audit record in the caller's transaction.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance import audit
from governance.committee import approval_rules
from governance.committee.ballots import add_vote, check_ballot, require_same_hash
from governance.committee.quorum import Tally, tally
from governance.errors import Conflict, InvalidTransition, NotAllowed, NotFound
from governance.permissions import require
from models.approvals import Vote
from models.base import utcnow
from models.payouts import PayoutRun

OBJECT_TYPE = "payout_run"


# --------------------------------------------------------------------------- reading


def run_content(run: PayoutRun) -> dict[str, Any]:
    """What a vote approves: the run's inputs and results, by their hashes."""
    return {
        "run": run.id,
        "period": run.period,
        "version": run.version,
        "input_data_hash": run.input_data_hash,
        "plan_versions": run.plan_versions,
        "exceptions_hash": run.exceptions_hash,
        "result_hash": run.result_hash,
    }


def run_content_hash(run: PayoutRun) -> str:
    text = json.dumps(run_content(run), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def get_run(session: Session, run_id: int, *, lock: bool = False) -> PayoutRun:
    stmt = select(PayoutRun).where(PayoutRun.id == run_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    run = session.scalars(stmt).one_or_none()
    if run is None:
        raise NotFound(f"No payout run {run_id}.")
    return run


def run_votes(session: Session, run: PayoutRun, *, current_only: bool = True) -> list[Vote]:
    stmt = select(Vote).where(Vote.payout_run_id == run.id)
    if current_only:
        stmt = stmt.where(Vote.content_hash == run_content_hash(run))
    return list(session.scalars(stmt.order_by(Vote.id)))


def run_tally(session: Session, run: PayoutRun, votes: list[Vote] | None = None) -> Tally:
    """The tally of the votes on the run's current content (`votes`: those, if read)."""
    rule = approval_rules.payout_run_rule(approval_rules.active_rule_set(session))
    return tally(run_votes(session, run) if votes is None else votes, rule)


def tally_dict(session: Session, run: PayoutRun) -> dict[str, Any]:
    """The run's state, content hash, rule, tally and the votes on its current content."""
    result = run_tally(session, run)
    return {
        "run": run.id,
        "period": run.period,
        "state": run.state,
        "content_hash": run_content_hash(run),
        "tally": result.as_dict(),
        "votes": [
            {
                "voter": v.voter_id,
                "decision": v.decision,
                "functions": list(v.functions or ()),
                "comment": v.comment,
                "at": v.at.isoformat(),
            }
            for v in run_votes(session, run)
        ],
    }


# --------------------------------------------------------------------------- transitions


def _move(session: Session, actor: Any | None, run: PayoutRun, to_state: str, note: str) -> None:
    allowed = {"approved": ("draft",), "locked": ("approved",)}
    if run.state not in allowed[to_state]:
        raise InvalidTransition(f"{run.label} is {run.state}: it cannot become {to_state}.")
    from_state, now = run.state, utcnow()
    run.state = to_state
    if to_state == "approved":
        run.approved_at = now
    else:
        run.locked_at = now
        run.locked_by_id = getattr(actor, "id", None)
    session.flush()
    audit.record(
        session,
        actor,
        f"{OBJECT_TYPE}.{to_state}",
        OBJECT_TYPE,
        run.label,
        before=run_content_hash(run),
        after=run_content_hash(run),
        payload={"from": from_state, "to": to_state, "period": run.period, "note": note},
    )


def cast_run_vote(
    session: Session,
    actor: Any,
    run_id: int,
    *,
    decision: str,
    content_hash: str,
    comment: str | None = None,
) -> tuple[Vote, Tally]:
    """Record a committee vote on a draft run; approve it when the quorum is met."""
    check_ballot(actor, decision, content_hash, comment)
    run = get_run(session, run_id, lock=True)
    if run.state != "draft":
        raise InvalidTransition(f"{run.label} is {run.state}: votes are taken on drafts only.")
    current = run_content_hash(run)
    require_same_hash(run.label, current, content_hash)
    if actor.id == run.started_by_id:
        raise NotAllowed(f"{run.label}: nobody votes on a run they started.")
    before = run_tally(session, run)
    if before.rejected:
        raise Conflict(f"{run.label} was rejected: re-run the period for a new ballot.")
    vote = Vote(
        payout_run_id=run.id,
        voter_id=actor.id,
        decision=decision,
        content_hash=content_hash,
        functions=sorted(actor.committee_functions),
        roles=sorted(actor.role_names),
        comment=comment,
    )
    add_vote(session, vote, f"{run.label} (this content)")
    result = run_tally(session, run)
    audit.record(
        session,
        actor,
        f"{OBJECT_TYPE}.vote",
        OBJECT_TYPE,
        run.label,
        before=content_hash,
        after=content_hash,
        payload={"decision": decision, "comment": comment, "tally": result.as_dict()},
    )
    if result.rejected:
        audit.record(
            session,
            actor,
            f"{OBJECT_TYPE}.rejected",
            OBJECT_TYPE,
            run.label,
            before=content_hash,
            after=content_hash,
            payload={
                "period": run.period,
                "state": run.state,
                "note": f"rejected by committee vote: {comment}; re-run the period",
            },
        )
    elif result.approved:
        _move(session, actor, run, "approved", f"committee vote: {result.summary()}")
    return vote, result


def lock_run(session: Session, actor: Any | None, run_id: int, *, note: str | None = None):
    """approved -> locked, by a holder of `payouts.run` (or the system)."""
    if actor is None:
        raise NotAllowed("Locking a payout run is a person's act: sign in.")
    require(actor, "payouts.run", "Locking a payout run")
    run = get_run(session, run_id, lock=True)
    # The approval was for this content: the database keeps approved runs unchanged, and
    # this check says so out loud if that ever stops being true. (Not a re-count: a rules
    # change after the approval does not undo it.)
    approvals = [v for v in run_votes(session, run) if v.decision == "approve"]
    if run.state == "approved" and not approvals:
        raise Conflict(f"{run.label}: no approval names its current content.")
    _move(session, actor, run, "locked", note or "locked for payroll")
    return run


# --------------------------------------------------------------------------- adjustments
