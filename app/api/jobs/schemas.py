"""Schemas of `/api/v1/jobs`: a background job as a client polls it."""

import marshmallow as ma

from app.api.fields import UtcDateTime
from app.api.payouts.schemas import PageQuerySchema
from app.errors import ProblemSchema
from app.limits import DatabaseInteger
from models.jobs import JOB_STATES


class BackgroundJobSchema(ma.Schema):
    """(Not "JobSchema": that is the payout run job's, app/api/payouts/schemas.py.)"""

    id = DatabaseInteger()
    kind = ma.fields.String(metadata={"enum": ["import", "statement_export"]})
    state = ma.fields.String(metadata={"enum": list(JOB_STATES)})
    requested_by_id = DatabaseInteger(allow_none=True)
    parameters = ma.fields.Dict(metadata={"description": "what the request asked"})
    result = ma.fields.Dict(
        allow_none=True,
        metadata={
            "description": "when done: an import's report (as the synchronous import "
            "answers it), an export's format, size and file name"
        },
    )
    message = ma.fields.String(allow_none=True, metadata={"description": "why it failed"})
    problems = ma.fields.List(
        ma.fields.Nested(ProblemSchema),
        metadata={"description": "when failed: every problem, located (CSV row and column)"},
    )
    created_at = UtcDateTime()
    started_at = UtcDateTime(allow_none=True)
    finished_at = UtcDateTime(allow_none=True)
    worker = ma.fields.String(allow_none=True, metadata={"description": "the Celery worker"})
    attempts = DatabaseInteger()
    progress_done = DatabaseInteger(
        allow_none=True,
        metadata={"description": "a running import: records read and checked so far"},
    )
    progress_total = DatabaseInteger(
        allow_none=True, metadata={"description": "a running import: records it holds"}
    )
    output_expired_at = UtcDateTime(
        allow_none=True,
        metadata={"description": "when the file was deleted (ACCORD_EXPORT_KEEP_DAYS)"},
    )
    download_url = ma.fields.String(
        allow_none=True, metadata={"description": "an export's file, once done"}
    )


class BackgroundJobListQuerySchema(PageQuerySchema):
    kind = ma.fields.String(
        load_default=None, validate=ma.validate.OneOf(("import", "statement_export"))
    )


class BackgroundJobPageSchema(ma.Schema):
    items = ma.fields.List(
        ma.fields.Nested(BackgroundJobSchema), metadata={"description": "newest first"}
    )
    page = DatabaseInteger()
    per_page = DatabaseInteger()
    total = DatabaseInteger()
