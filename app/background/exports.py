"""The `statement_export` kind: every statement of a run (or a period) as one file.

The work is `governance.statements.exports.export_statements` as the requester: a rep's
export holds their own statements, a manager's their team's, a reader of all statements
everything selected; the file is kept in the job row and downloaded from it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.background.kind import Kind, Outcome
from governance.permissions import Actor
from governance.statements.exports import export_statements
from models.jobs import Job

NAME = "statement_export"
TYPES = {"csv": "text/csv", "json": "application/json"}


def file_name(params: dict[str, Any]) -> str:
    scope = f"run-{params['run_id']}" if params.get("run_id") else params.get("period") or "all"
    return f"statements-{scope}.{params['format']}"


def run(session: Session, actor: Actor, job: Job) -> Outcome:
    params = job.parameters
    fmt = params["format"]
    text = export_statements(
        session,
        actor,
        fmt,
        period=params.get("period"),
        run_id=params.get("run_id"),
        participant=params.get("participant"),
    )
    data = text.encode("utf-8")
    result = {"format": fmt, "bytes": len(data), "file": file_name(params)}
    return Outcome(result, output=data, output_name=file_name(params), output_type=TYPES[fmt])


KIND = Kind(name=NAME, run=run, readers="statements.read_all")
