"""The period close: committee votes on a draft payout run, its approval and its lock.

    vote, tally = cast_run_vote(session, member, run_id, decision="approve",
                                content_hash=run_content_hash(run))
    lock_run(session, comp_admin, run_id)
    discard_run(session, comp_admin, run_id, reason="built before the data was in")
    publish_run(session, comp_admin, run_id)  # locked -> its reps see its statements

A vote names the run's content hash (`payouts.content`: its inputs and results by their
hashes): a re-run that changes anything is a fresh ballot, an identical one keeps the
votes. A stale draft (`payouts.staleness`) takes no vote until re-run. The vote that
meets the `payout_run` quorum approves the run; a rejection closes the ballot until a
re-run changes the run. The lock is a separate act of `payouts.run`, and so is
discarding a draft; publishing a locked run's statements to its reps is one of
`payouts.publish` (the run stays locked; `published_at` says it is out). Votes and
the lock also keep the ledger rule (`payouts.ledger`).
Who approves, voting, locking, concurrency: docs/payout-close.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from governance import audit
from governance.committee import approval_rules
from governance.committee.ballots import Ballot, cast
from governance.committee.quorum import Tally, tally
from governance.errors import Conflict, GovernanceError, Invalid, NotAllowed
from governance.payouts import ledger
from governance.payouts.content import run_content_hash
from governance.payouts.runs import get_run
from governance.payouts.staleness import stale_changes, stale_sentence
from governance.permissions import Actor, require
from governance.workflow import Workflow, transition
from models.approvals import Vote
from models.base import utcnow
from models.identity import User
from models.payouts import RUN_TRANSITIONS, PayoutRun
from rules.problems import Problem

OBJECT_TYPE = "payout_run"


# --------------------------------------------------------------------------- reading


def run_votes(session: Session, run: PayoutRun) -> list[Vote]:
    """The votes on the run's current content (a re-run is a fresh ballot)."""
    return RunBallot(run).votes(session)


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


def _stamp(run: PayoutRun, to_state: str, actor: Actor, note, now: datetime) -> None:
    if to_state == "approved":
        run.approved_at = now
    elif to_state == "locked":
        run.locked_at = now
        run.locked_by_id = getattr(actor, "id", None)


RUNS = Workflow.of(OBJECT_TYPE, RUN_TRANSITIONS, fingerprint=run_content_hash, stamp=_stamp)


class RunBallot(Ballot):
    object_type = OBJECT_TYPE
    column = "payout_run_id"
    open_state = "draft"
    open_text = "drafts"
    noun = "build"
    own_text = "You started this run: nobody votes on a run they started."
    _stale: list[dict[str, Any]] | None = None
    voters_text = "Voting on a run is for committee members (permission 'changes.vote')."

    @property
    def content_hash(self) -> str:
        return run_content_hash(self.row)

    @classmethod
    def lock(cls, session: Session, key: int) -> RunBallot:
        return cls(get_run(session, key, lock=True))

    def authors(self) -> tuple[int | None, ...]:
        return (self.row.started_by_id,)

    def vote_filter(self) -> Any:
        # Only the votes on the run's current content count: a re-run is a fresh ballot.
        return (Vote.payout_run_id == self.row.id) & (Vote.content_hash == self.content_hash)

    def stale(self, session: Session) -> list[dict[str, Any]]:
        """What changed in the draft's inputs since its last build (`payouts.staleness`)."""
        if self._stale is None:
            self._stale = stale_changes(session, self.row)
        return self._stale

    def barred(self, session: Session, votes: list[Vote]) -> GovernanceError | None:
        # The ledger's refusal first: it names the adjustments and the run that pays them.
        carried = carried_refusal(session, self.row)
        if carried:
            return carried
        changes = self.stale(session)
        if changes:
            return Conflict(stale_sentence(self.row, changes))
        if run_tally(session, self.row, votes).rejected:
            return Conflict(
                f"{self.label} was rejected: re-run the period once what it is computed from"
                " is fixed (a re-run that changes nothing keeps the votes)."
            )
        return None

    def tally(self, session: Session) -> Tally:
        return run_tally(session, self.row, self.votes(session))

    def decide(self, session: Session, actor: User, tally: Tally, comment: str | None) -> None:
        run = self.row
        if tally.rejected:
            # The run stays a draft that cannot be approved or locked: re-run it.
            audit.record(
                session,
                actor,
                f"{OBJECT_TYPE}.rejected",
                OBJECT_TYPE,
                run.label,
                before=self.content_hash,
                after=self.content_hash,
                payload={
                    "period": run.period,
                    "state": run.state,
                    "note": f"rejected by committee vote: {comment}; re-run the period",
                },
            )
        elif tally.approved:
            note = f"committee vote: {tally.summary()}"
            transition(session, actor, RUNS, run, "approved", note=note, period=run.period)


def carried_refusal(session: Session, run: PayoutRun) -> Conflict | None:
    """The ledger rule (`payouts.ledger`): a run whose prior-period adjustments were paid
    by another run since its build, or belong to an earlier draft, is re-run first."""
    problems = ledger.carried_problems(session, run)
    if not problems:
        return None
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return Conflict(
        f"{run.label} carries prior-period adjustments that would be paid twice or out of "
        f"turn: {problems[0]}{more}.",
        [Problem("adjustments", text) for text in problems],
    )


def cast_run_vote(
    session: Session, actor: User | None, run_id: int, **ballot: Any
) -> tuple[Vote, Tally]:
    """Vote on a draft run; approve it when the quorum is met.
    `ballot`: `decision`, `content_hash`, `comment` (`ballots.cast`)."""
    return cast(session, actor, RunBallot, run_id, **ballot)


def lock_run(session: Session, actor: Actor, run_id: int, *, note: str | None = None):
    """approved -> locked, by a holder of `payouts.run` (a person: never the system)."""
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
    if run.state == "approved" and (refused := carried_refusal(session, run)):
        raise refused  # approved runs count as paid: a second line for a change never is
    transition(
        session, actor, RUNS, run, "locked", note=note or "locked for payroll", period=run.period
    )
    return run


def discard_run(session: Session, actor: Actor, run_id: int, *, reason: str) -> PayoutRun:
    """draft -> discarded, by a holder of `payouts.run`, with a reason (audited). Nothing
    else changes: its lines stay for the record and never count as paid or carried, and
    the period can be run again."""
    if actor is None:
        raise NotAllowed("Discarding a payout run is a person's act: sign in.")
    require(actor, "payouts.run", "Discarding a payout run")
    if not (reason or "").strip():
        raise Invalid("Say why the run is discarded.", [Problem("reason", "required")])
    run = get_run(session, run_id, lock=True)
    transition(session, actor, RUNS, run, "discarded", note=reason.strip(), period=run.period)
    return run


def publish_run(session: Session, actor: Actor, run_id: int, *, note: str | None = None):
    """Publish a locked run's statements to its reps, by a holder of `payouts.publish` (a
    person), once: audited as `payout_run.published`, which notifies the run's reps.
    The run stays locked; only `published_at`/`published_by_id` are set (the database
    guard lets nothing else change on a locked run)."""
    if actor is None:
        raise NotAllowed("Publishing statements is a person's act: sign in.")
    require(actor, "payouts.publish", "Publishing a payout run's statements")
    run = get_run(session, run_id, lock=True)
    if run.state != "locked":
        raise Conflict(
            f"{run.label} is {run.state}: only a locked run's statements are published.",
            [Problem("run", f"state {run.state}, needs locked")],
        )
    if run.published_at is not None:
        raise Conflict(
            f"{run.label} was published already, on {run.published_at:%Y-%m-%d}.",
            [Problem("run", "published already")],
        )
    content = run_content_hash(run)
    run.published_at, run.published_by_id = utcnow(), actor.id
    session.flush()
    audit.record(
        session,
        actor,
        f"{OBJECT_TYPE}.published",
        OBJECT_TYPE,
        run.label,
        before=content,
        after=content,
        payload={
            "period": run.period,
            "state": run.state,
            "statements": run.statement_count,
            "note": note or "statements published to reps",
        },
    )
    return run
