"""The close of a payout run: the committee's votes, the tally, and the lock.

    GET  /payout-runs/<id>/tally    the content hash to vote on, the rule, tally and votes
    POST /payout-runs/<id>/votes    approve or reject a draft run (committee, changes.vote)
    POST /payout-runs/<id>/lock     approved -> locked (payouts.run)
    POST /payout-runs/<id>/discard  draft -> discarded, with a reason (payouts.run)
    POST /payout-runs/<id>/publish  a locked run's statements to its reps (payouts.publish)

Thin: parse, call one `governance.payouts.close` function in one unit of work,
serialise; refusals answer by kind (app/errors.py).
"""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user

from app.api.payouts import blp
from app.api.payouts.schemas import (
    DiscardRequestSchema,
    LockedRunSchema,
    LockRequestSchema,
    PublishedRunSchema,
    RunBallotSchema,
    RunCastVoteSchema,
    RunSchema,
    RunVoteRequestSchema,
)
from app.auth.decorators import permission_required
from app.database import db_session, transactional
from app.errors import ErrorSchema
from governance.payouts import close as payout_close
from governance.payouts import runs as payout_runs


def _box(session, run, **extra) -> dict:
    box = payout_close.tally_dict(session, run)
    box["votes"] = payout_close.run_votes(session, run)
    box.update(extra)
    return box


@blp.route("/<int:run_id>/tally")
@permission_required("statements.read_all")
@blp.response(200, RunBallotSchema)
@blp.alt_response(404, schema=ErrorSchema)
def run_tally(run_id: int):
    """The run's content hash (what a vote names), the approval rule, tally and votes."""
    session = db_session()
    return _box(session, payout_runs.get_run(session, run_id))


@blp.route("/<int:run_id>/votes")
class RunVotes(MethodView):
    @permission_required("changes.vote")
    @blp.arguments(RunVoteRequestSchema)
    @blp.response(201, RunCastVoteSchema, description="the vote, the tally and the run's state")
    @blp.alt_response(403, schema=ErrorSchema, description="a run one started")
    @blp.alt_response(409, schema=ErrorSchema, description="not a draft, other hash, voted")
    @blp.alt_response(422, schema=ErrorSchema, description="every problem; nothing written")
    @transactional
    def post(self, body, run_id: int):
        """Approve or reject a draft run, bound to its content hash. The vote that meets
        the quorum approves it; a rejection (when the rules say so) sends it back to be
        re-run."""
        session = db_session()
        vote, _tally = payout_close.cast_run_vote(session, current_user, run_id, **body)
        return _box(session, payout_runs.get_run(session, run_id), vote=vote), 201


@blp.route("/<int:run_id>/lock", methods=["POST"])
@permission_required("payouts.run")
@blp.arguments(LockRequestSchema)
@blp.response(200, LockedRunSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="the run is not approved")
@transactional
def lock(body, run_id: int):
    """Lock an approved run: its period, lines and statements never change again."""
    session = db_session()
    run = payout_close.lock_run(session, current_user, run_id, note=body["note"])
    return _box(session, run, locked_at=run.locked_at, locked_by_id=run.locked_by_id)


@blp.route("/<int:run_id>/discard", methods=["POST"])
@permission_required("payouts.run")
@blp.arguments(DiscardRequestSchema)
@blp.response(200, RunSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="the run is not a draft")
@transactional
def discard(body, run_id: int):
    """Discard a draft run: it never pays and never changes; the period can be run again."""
    session = db_session()
    return payout_close.discard_run(session, current_user, run_id, reason=body["reason"])


@blp.route("/<int:run_id>/publish", methods=["POST"])
@permission_required("payouts.publish")
@blp.arguments(LockRequestSchema)
@blp.response(200, PublishedRunSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="not locked, or published already")
@transactional
def publish(body, run_id: int):
    """Publish a locked run's statements: its reps see them from now on (and are told)."""
    session = db_session()
    run = payout_close.publish_run(session, current_user, run_id, note=body["note"])
    return _box(
        session,
        run,
        locked_at=run.locked_at,
        locked_by_id=run.locked_by_id,
        published_at=run.published_at,
        published_by_id=run.published_by_id,
    )
