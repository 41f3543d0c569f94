"""Committee endpoints: votes on plan versions, their impact, and the approval rules.

    GET/POST /plans/KEY/versions/N/votes     the tally and votes; cast a vote
    GET      /plans/KEY/versions/N/impact    the change request: tests and impact
    POST     /plans/KEY/versions/N/impact    compute the impact again (a worker; 202)
    GET/POST /approval-rules                 rules in force and every version; propose
    GET      /approval-rules/N               one version with its votes and tally
    POST     /approval-rules/N/votes         vote on a proposal
    POST     /approval-rules/N/withdraw      take a proposal back

Thin, like `app/api/plans`: parse, call one `governance` function in one unit of work,
serialise; refusals answer by kind (app/errors.py).
"""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint, abort

from app.api.committee.schemas import (
    ChangeRequestSchema,
    ImpactQueuedSchema,
    NoteSchema,
    PlanBallotBoxSchema,
    PlanCastVoteSchema,
    ProposeRulesSchema,
    RuleSetDetailSchema,
    RuleSetsSchema,
    VoteRequestSchema,
)
from app.auth.decorators import permission_required
from app.database import db_session, transactional
from app.errors import ErrorSchema
from app.tasks import impacts as impact_tasks
from governance import impact_results
from governance.committee import approval_rules
from governance.permissions import has_permission
from governance.plans import change_requests
from governance.plans import lookup as plans
from governance.plans.impact import totals_only
from governance.plans.progress import next_step
from governance.plans.tally import (
    change_request_of,
    deciding_rule_set,
    plan_tally,
    plan_votes,
    voted_hash,
)
from governance.plans.votes import cast_plan_vote

blp = Blueprint(
    "committee", __name__, url_prefix="", description="Committee votes and approval rules"
)

VERSION_PATH = "/plans/<string:key>/versions/<int:number>"


def _plan_box(session, version, vote=None) -> dict:
    rule_set = deciding_rule_set(session, version)
    tally = plan_tally(session, version)
    box = {
        "subject": version.label,
        "state": version.state,
        "content_hash": voted_hash(session, version),
        "plan_content_hash": version.content_hash,
        "effective_from": version.effective_from,
        "next_step": next_step(session, version, tally=tally),
        "decided_under": rule_set.number,
        "tally": tally.as_dict(),
        "votes": plan_votes(session, version),
    }
    if vote is not None:
        box["vote"] = vote
    return box


def _rule_set(rule_set) -> dict:
    return {
        "number": rule_set.number,
        "state": rule_set.state,
        "content_hash": rule_set.content_hash,
        "rules": approval_rules.document_of(rule_set),
        "decided_under": rule_set.decided_under,
        "created_by_id": rule_set.created_by_id,
        "note": rule_set.note,
        "created_at": rule_set.created_at,
        "decided_at": rule_set.decided_at,
    }


def _rule_set_detail(session, rule_set, vote=None) -> dict:
    detail = _rule_set(rule_set)
    detail["votes"] = approval_rules.rule_set_votes(session, rule_set)
    # The seeded default was never voted on: it has no tally.
    detail["tally"] = (
        approval_rules.rule_set_tally(session, rule_set).as_dict()
        if rule_set.decided_under
        else None
    )
    if vote is not None:
        detail["vote"] = vote
    return detail


@blp.route(VERSION_PATH + "/votes")
class PlanVotes(MethodView):
    @permission_required("plans.read")
    @blp.response(200, PlanBallotBoxSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, key: str, number: int):
        """The votes on a version and their tally under the rules that decide it."""
        session = db_session()
        return _plan_box(session, plans.get_version(session, key, number))

    @permission_required("changes.vote")
    @blp.arguments(VoteRequestSchema)
    @blp.response(201, PlanCastVoteSchema, description="the vote, the tally and the new state")
    @blp.alt_response(403, schema=ErrorSchema, description="one's own change")
    @blp.alt_response(409, schema=ErrorSchema, description="not submitted, other hash, voted")
    @blp.alt_response(422, schema=ErrorSchema, description="every problem; nothing written")
    @transactional
    def post(self, body, key: str, number: int):
        """Approve or reject a submitted version, bound to its content hash. The vote that
        reaches the quorum approves it (any rejection rejects, when the rules say so)."""
        session = db_session()
        vote, _tally = cast_plan_vote(session, current_user, key, number, **body)
        return _plan_box(session, plans.get_version(session, key, number), vote), 201


@blp.route(VERSION_PATH + "/impact")
class VersionImpact(MethodView):
    @permission_required("plans.read")
    @blp.response(200, ChangeRequestSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="no such version, or not submitted")
    def get(self, key: str, number: int):
        """What the version carried when submitted: its test results and impact simulation.

        A worker computes the impact (`impact_state`: queued, running, done, failed): poll
        until done. Per-participant pay is shown to those who may read every statement;
        other readers get the totals (`impact.participants_hidden`)."""
        return _impact(key, number)

    @permission_required("changes.vote")
    @blp.response(202, ImpactQueuedSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="no such version, or not submitted")
    @blp.alt_response(409, schema=ErrorSchema, description="the request is decided")
    @blp.alt_response(503, schema=ErrorSchema, description="the task queue is unavailable")
    def post(self, key: str, number: int):
        """Compute the open request's impact again over today's data (same versions and
        periods), on a worker; an unchanged result is matched, not stored twice."""
        request_id = change_requests.open_request_id(db_session(), key, number)
        impact_tasks.queue_again(current_user, request_id)
        url = url_for("committee.VersionImpact", key=key, number=number)
        shown = impact_results.shown(db_session(), change_requests.SUBJECT, request_id)
        body = {"impact_state": shown["state"], "impact_recomputing": shown["recomputing"]}
        return {**body, "impact_url": url}, 202, {"Location": url}


def _impact(key: str, number: int) -> dict:
    session = db_session()
    version = plans.get_version(session, key, number)
    request = change_request_of(session, version)
    if request is None:
        abort(404, message=f"{version.label} has no change request: it was never submitted.")
    shown = change_requests.shown_impact(session, request)
    impact = shown["impact"]
    return {
        "plan": version.plan_key,
        "number": version.number,
        "state": version.state,
        "content_hash": voted_hash(session, version),
        "plan_content_hash": version.content_hash,
        "effective_from": request.effective_from or version.effective_from,
        "next_step": next_step(session, version),
        "as_of": request.as_of,
        "decided_under": request.rule_set.number,
        "retroactive": request.retroactive,
        "tests": request.tests,
        "impact": impact
        if has_permission(current_user, "statements.read_all")
        else totals_only(impact),
        "impact_state": shown["state"],
        "impact_recomputing": shown["recomputing"],
        "impact_inputs_hash": shown["inputs_hash"],
        "impact_computed_at": shown["computed_at"],
        "impact_message": shown["message"],
        "created_at": request.created_at,
    }


@blp.route("/approval-rules")
class RuleSets(MethodView):
    @permission_required("plans.read")
    @blp.response(200, RuleSetsSchema)
    def get(self):
        """The approval rules in force and every version, proposed or past."""
        session = db_session()
        active = approval_rules.active_rule_set(session)
        return {
            "active": _rule_set(active),
            "versions": [_rule_set(r) for r in approval_rules.list_rule_sets(session)],
        }

    @permission_required("plans.edit")
    @blp.arguments(ProposeRulesSchema)
    @blp.response(201, RuleSetDetailSchema, description="the proposal, up for a vote")
    @blp.alt_response(409, schema=ErrorSchema, description="another proposal is open")
    @blp.alt_response(422, schema=ErrorSchema, description="every problem; nothing written")
    @transactional
    def post(self, body):
        """Propose new approval rules: decided by vote under the rules in force now."""
        session = db_session()
        rule_set = approval_rules.propose(session, current_user, body["rules"], note=body["note"])
        return _rule_set_detail(session, rule_set), 201


@blp.route("/approval-rules/<int:number>")
@permission_required("plans.read")
@blp.response(200, RuleSetDetailSchema)
@blp.alt_response(404, schema=ErrorSchema)
def rule_set_item(number: int):
    """One version of the approval rules, with its votes and tally."""
    session = db_session()
    return _rule_set_detail(session, approval_rules.get_rule_set(session, number))


@blp.route("/approval-rules/<int:number>/votes", methods=["POST"])
@permission_required("changes.vote")
@blp.arguments(VoteRequestSchema)
@blp.response(201, RuleSetDetailSchema, description="the proposal after the vote")
@blp.alt_response(403, schema=ErrorSchema, description="one's own proposal")
@blp.alt_response(409, schema=ErrorSchema, description="not open, other hash, voted")
@blp.alt_response(422, schema=ErrorSchema, description="every problem; nothing written")
@transactional
def vote_on_rules(body, number: int):
    """Approve or reject a proposal; the deciding vote puts it in force or rejects it."""
    session = db_session()
    vote, _tally = approval_rules.cast_rules_vote(session, current_user, number, **body)
    return _rule_set_detail(session, approval_rules.get_rule_set(session, number), vote), 201


@blp.route("/approval-rules/<int:number>/withdraw", methods=["POST"])
@permission_required("plans.edit")
@blp.arguments(NoteSchema, required=False)
@blp.response(200, RuleSetDetailSchema)
@blp.alt_response(409, schema=ErrorSchema, description="not an open proposal")
@transactional
def withdraw_rules(body, number: int):
    """Take an open proposal back."""
    session = db_session()
    rule_set = approval_rules.withdraw(session, current_user, number, note=body["note"])
    return _rule_set_detail(session, rule_set)
