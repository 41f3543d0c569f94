"""Schemas of `/api/v1/payout-runs`: a run with its hashes and counts, its lines, its
build jobs, pages; and its close: a vote on it, its tally, the lock."""

import marshmallow as ma

from app.api.committee.schemas import TallySchema, VoteRequestSchema, VoteSchema
from app.api.fields import Money, UtcDateTime
from app.errors import ProblemSchema
from app.limits import DatabaseInteger
from models.payouts import RUN_STATES


class StartRunSchema(ma.Schema):
    period = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=4, max=16),
        metadata={"description": "2026-Q3, 2026-07 or 2026 (the plans' period kind)"},
    )
    wait = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "true: wait for the queued run (up to ACCORD_RUN_WAIT_SECONDS) and "
            "answer 201 with the finished run, or the refusal, or 202 with the job still "
            "building; false (default): answer 202 with a job to poll"
        },
    )
    early = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "true: run a period that has not begun (testing a close early; "
            "payouts.run, audited); queued like any run"
        },
    )


class RunSchema(ma.Schema):
    id = DatabaseInteger()
    period = ma.fields.String()
    period_start = ma.fields.Date()
    period_end = ma.fields.Date()
    state = ma.fields.String(metadata={"enum": list(RUN_STATES)})
    version = DatabaseInteger(
        metadata={"description": "1 when built, +1 per re-run that changed anything"}
    )
    started_by_id = DatabaseInteger(allow_none=True)
    started_at = UtcDateTime()
    finished_at = UtcDateTime(allow_none=True)
    input_data_hash = ma.fields.String()
    plan_versions = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "plan key -> content hashes of the versions used"},
    )
    exceptions_hash = ma.fields.String()
    result_hash = ma.fields.String(allow_none=True)
    participant_count = DatabaseInteger()
    deal_count = DatabaseInteger(metadata={"description": "deals closed in the period"})
    statement_count = DatabaseInteger()
    line_count = DatabaseInteger()
    recomputed_count = DatabaseInteger(
        metadata={"description": "statements written by the last build"}
    )
    progress_done = DatabaseInteger(metadata={"description": "participants done"})
    progress_total = DatabaseInteger(metadata={"description": "participants of the period"})
    approved_at = UtcDateTime(allow_none=True)
    locked_at = UtcDateTime(allow_none=True)
    published_at = UtcDateTime(
        allow_none=True, metadata={"description": "statements published to reps (locked runs)"}
    )
    published_by_id = DatabaseInteger(allow_none=True)


class ChangeSchema(ma.Schema):
    kind = ma.fields.String(
        metadata={
            "enum": [
                "plan_versions",
                "exceptions",
                "data",
                "locked_period",
                "input_data",
                "results",
            ]
        }
    )
    text = ma.fields.String(metadata={"description": "what changed, in one phrase"})
    plan = ma.fields.String(metadata={"description": "plan_versions: the plan key"})
    before = ma.fields.List(ma.fields.String(), metadata={"description": "plan versions used"})
    after = ma.fields.List(ma.fields.String(), metadata={"description": "plan versions now"})
    added = ma.fields.List(ma.fields.String(), metadata={"description": "exceptions"})
    removed = ma.fields.List(ma.fields.String(), metadata={"description": "exceptions"})
    changed = ma.fields.List(
        ma.fields.String(), metadata={"description": "exceptions; data: the kinds imported"}
    )
    sources = ma.fields.String(metadata={"description": "data: the import's sources"})
    period = ma.fields.String(metadata={"description": "locked_period: which"})
    participants = ma.fields.List(
        ma.fields.String(), metadata={"description": "input_data: who (the first 100)"}
    )


class BuildSchema(ma.Schema):
    number = DatabaseInteger(metadata={"description": "1, 2, ...: every build"})
    run_version = DatabaseInteger(metadata={"description": "the run's version after it"})
    built_at = UtcDateTime()
    built_by_id = DatabaseInteger(allow_none=True)
    identical = ma.fields.Boolean(
        metadata={"description": "nothing changed since the previous build: votes kept"}
    )
    changes = ma.fields.List(
        ma.fields.Nested(ChangeSchema), metadata={"description": "since the previous build"}
    )
    votes_kept = DatabaseInteger()
    votes_voided = DatabaseInteger()


class RunDetailSchema(RunSchema):
    plan_version_labels = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": 'plan key -> the versions used, by number ("ae-plan/2")'},
    )
    stale = ma.fields.Boolean(
        metadata={"description": "a draft whose inputs changed since its last build"}
    )
    stale_changes = ma.fields.List(
        ma.fields.Nested(ChangeSchema),
        metadata={"description": "what changed since the last build (no vote until re-run)"},
    )
    last_build = ma.fields.Nested(
        BuildSchema, allow_none=True, metadata={"description": "null: built before 0011"}
    )


class MoneyChangeSchema(ma.Schema):
    currency = ma.fields.String()
    before = Money(allow_none=True)
    after = Money(allow_none=True)
    change = Money()


class PayableChangeSchema(MoneyChangeSchema):
    participant = ma.fields.String()


class ChangeTotalSchema(MoneyChangeSchema):
    participants = DatabaseInteger(metadata={"description": "participants moved"})


class PageQuerySchema(ma.Schema):
    page = DatabaseInteger(load_default=1, validate=ma.validate.Range(min=1))
    per_page = DatabaseInteger(load_default=50, validate=ma.validate.Range(min=1, max=500))


class RunListQuerySchema(PageQuerySchema):
    period = ma.fields.String(load_default=None)


class RunPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(RunSchema), metadata={"description": "newest first"})
    page = DatabaseInteger()
    per_page = DatabaseInteger()
    total = DatabaseInteger()


class LineQuerySchema(PageQuerySchema):
    participant = ma.fields.String(load_default=None)


class LineSchema(ma.Schema):
    id = DatabaseInteger()
    line_key = ma.fields.String(metadata={"description": "stable across re-runs"})
    participant = ma.fields.String(attribute="participant_id")
    deal = ma.fields.String(attribute="deal_id", allow_none=True)
    plan = ma.fields.String(attribute="plan_key")
    plan_version_hash = ma.fields.String()
    kind = ma.fields.String()
    rule = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    share = Money(allow_none=True)
    credit = Money(allow_none=True)
    rate = Money(allow_none=True)
    amount = Money()
    currency = ma.fields.String()
    position = DatabaseInteger()
    trace = ma.fields.List(ma.fields.Dict())
    adjusts_period = ma.fields.String(allow_none=True)
    reason = ma.fields.String(allow_none=True)


class LinePageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(LineSchema))
    page = DatabaseInteger()
    per_page = DatabaseInteger()
    total = DatabaseInteger()


class JobCountsSchema(ma.Schema):
    participant_count = DatabaseInteger()
    deal_count = DatabaseInteger()
    statement_count = DatabaseInteger()
    line_count = DatabaseInteger()
    recomputed_count = DatabaseInteger()


class JobSchema(ma.Schema):
    id = DatabaseInteger()
    period = ma.fields.String()
    state = ma.fields.String(metadata={"enum": ["queued", "building", "done", "failed"]})
    progress_done = DatabaseInteger(
        metadata={"description": "participants evaluated and written so far"}
    )
    progress_total = DatabaseInteger(
        metadata={"description": "participants of the period (0 until the build starts)"}
    )
    run_id = DatabaseInteger(allow_none=True, metadata={"description": "when done"})
    run_url = ma.fields.String(allow_none=True)
    counts = ma.fields.Nested(
        JobCountsSchema, allow_none=True, metadata={"description": "the run's, when done"}
    )
    message = ma.fields.String(allow_none=True, metadata={"description": "why it failed"})
    problems = ma.fields.List(ma.fields.Nested(ProblemSchema))
    started_by_id = DatabaseInteger(allow_none=True)
    created_at = UtcDateTime()
    started_at = UtcDateTime(allow_none=True)
    finished_at = UtcDateTime(allow_none=True)
    heartbeat_at = UtcDateTime(
        allow_none=True, metadata={"description": "last progress written (PostgreSQL)"}
    )
    worker = ma.fields.String(
        allow_none=True, metadata={"description": "the Celery worker that claimed it last"}
    )


class JobListQuerySchema(PageQuerySchema):
    period = ma.fields.String(load_default=None)


class JobPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(JobSchema), metadata={"description": "newest first"})
    page = DatabaseInteger()
    per_page = DatabaseInteger()
    total = DatabaseInteger()


class RunVoteRequestSchema(VoteRequestSchema):
    """The same ballot as for a plan version; `content_hash` is the run's (see GET tally)."""


class RunBallotSchema(ma.Schema):
    run = DatabaseInteger()
    period = ma.fields.String(metadata={"description": "2026-Q3"})
    state = ma.fields.String(metadata={"enum": list(RUN_STATES)})
    content_hash = ma.fields.String(
        metadata={"description": "what a vote binds to: inputs, plan versions and lines"}
    )
    tally = ma.fields.Nested(TallySchema)
    votes = ma.fields.List(
        ma.fields.Nested(VoteSchema), metadata={"description": "votes on this content"}
    )


class RunCastVoteSchema(RunBallotSchema):
    vote = ma.fields.Nested(VoteSchema)


class LockRequestSchema(ma.Schema):
    note = ma.fields.String(load_default=None, validate=ma.validate.Length(max=4000))


class DiscardRequestSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=4000))


class LockedRunSchema(RunBallotSchema):
    locked_at = UtcDateTime()
    locked_by_id = DatabaseInteger(allow_none=True)


class PublishedRunSchema(LockedRunSchema):
    published_at = UtcDateTime()
    published_by_id = DatabaseInteger()


class BuildChangesQuerySchema(PageQuerySchema):
    build = DatabaseInteger(
        load_default=None,
        validate=ma.validate.Range(min=1),
        metadata={"description": "which build (default: the latest)"},
    )


class BuildChangesPageSchema(ma.Schema):
    build = ma.fields.Nested(BuildSchema, allow_none=True)
    totals = ma.fields.List(
        ma.fields.Nested(ChangeTotalSchema), metadata={"description": "per currency"}
    )
    items = ma.fields.List(
        ma.fields.Nested(PayableChangeSchema),
        metadata={"description": "participants whose payable moved, largest move first"},
    )
    page = DatabaseInteger()
    per_page = DatabaseInteger()
    total = DatabaseInteger()


# --------------------------------------------------------------------------- figures


class PlanTotalSchema(ma.Schema):
    plan = ma.fields.String()
    currency = ma.fields.String()
    statements = DatabaseInteger()
    payable = Money()


class TeamTotalSchema(ma.Schema):
    team = ma.fields.String(
        metadata={"description": "the assignment's team overlapping the period; (no team)"}
    )
    currency = ma.fields.String()
    statements = DatabaseInteger()
    payable = Money()


class BucketSchema(ma.Schema):
    currency = ma.fields.String()
    bucket = ma.fields.String(
        metadata={
            "description": "below 0, 0, up to 1k, 1k to 5k, 5k to 10k, 10k to 25k, "
            "25k to 50k, over 50k (each holds its upper bound)"
        }
    )
    statements = DatabaseInteger()


class PeriodPlanChangeSchema(ma.Schema):
    plan = ma.fields.String()
    currency = ma.fields.String()
    payable = Money(metadata={"description": "this run"})
    previous = Money(metadata={"description": "the previous period's run (0: no statement)"})
    change = Money()


class PeriodChangeTotalSchema(ma.Schema):
    currency = ma.fields.String()
    payable = Money(metadata={"description": "this run"})
    previous = Money(metadata={"description": "the previous period's run"})
    change = Money()


class PreviousRunSchema(ma.Schema):
    run_id = DatabaseInteger()
    period = ma.fields.String()
    state = ma.fields.String(metadata={"enum": list(RUN_STATES)})


class RunFiguresSchema(ma.Schema):
    run_id = DatabaseInteger()
    period = ma.fields.String()
    by_plan = ma.fields.List(ma.fields.Nested(PlanTotalSchema))
    by_team = ma.fields.List(ma.fields.Nested(TeamTotalSchema))
    distribution = ma.fields.List(
        ma.fields.Nested(BucketSchema),
        metadata={
            "description": "statements per payable bucket and currency (each upper "
            "bound included), every bucket listed"
        },
    )
    previous = ma.fields.Nested(
        PreviousRunSchema,
        allow_none=True,
        metadata={"description": "the run of the latest period ending before this one"},
    )
    change_by_plan = ma.fields.List(ma.fields.Nested(PeriodPlanChangeSchema))
    change_totals = ma.fields.List(
        ma.fields.Nested(PeriodChangeTotalSchema),
        metadata={"description": "change_by_plan summed per currency"},
    )


class FinancePeriodSchema(ma.Schema):
    run_id = DatabaseInteger()
    period = ma.fields.String()
    published = ma.fields.Boolean()
    currency = ma.fields.String()
    earned = Money(metadata={"description": "payable commission and SPIF lines of the period"})
    held = Money(
        metadata={
            "description": "lines created in the period still held at its end (new "
            "liability; each held line counted once, in its own period)"
        }
    )
    released = Money(metadata={"description": "earlier periods' held lines paid now"})
    clawed_back = Money(metadata={"description": "clawback lines (negative)"})
    paid = Money(metadata={"description": "every payable line of the period's run"})
    held_outstanding = Money(
        metadata={
            "description": "held lines of locked runs up to the period not released "
            "or forfeited by its end, at their held amounts (the liability balance)"
        }
    )


class FinanceSchema(ma.Schema):
    items = ma.fields.List(
        ma.fields.Nested(FinancePeriodSchema),
        metadata={"description": "locked runs, oldest period first, per currency"},
    )
