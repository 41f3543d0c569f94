"""The `import` kind: an import body too large to load in the request, loaded by a worker.

    params = upload_parameters(...)           # what the request asked (JSON-able)
    batch = read_batch(params, body)          # the request and the worker read it alike
    KIND.run(session, actor, job)             # validate and upsert: the import service

The body is the job's `input` (the database: a worker on another machine reads it). The
work is `import_batch`, as in the request: every problem located (CSV row and column,
JSON path), nothing written when there is one, one audit record when accepted.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.background.kind import Kind, Outcome
from app.background.progress import Progress
from governance.imports.mapping import Mapping, load_mapping
from governance.imports.service import import_batch
from governance.imports.sources import Batch, read_source
from governance.permissions import Actor, require
from models.jobs import Job
from rules.problems import Problem, ProblemsError
from rules.yamlload import LoadError, load_json

NAME = "import"
REJECTED = "The import was rejected; nothing was written."


class BodyRejected(ProblemsError):
    """The body or the mapping cannot be read; `message` says which."""

    def __init__(self, message: str, problems: list[Problem] | tuple[Problem, ...]):
        super().__init__(problems)
        self.message = message


def upload_parameters(
    *,
    fmt: str,
    name: str,
    kind: str | None,
    options: dict[str, Any],
    mapping: dict[str, str] | None,
) -> dict[str, Any]:
    """The parameters of an upload: `fmt` json (a JSON body) or file (a file read by its
    name: CSV, or JSON uploaded as a file); `mapping` {"builtin": name} or
    {"name", "text"} of a mapping file; `options` the query's flags."""
    return {"format": fmt, "name": name, "kind": kind, "mapping": mapping, **options}


def mapping_of(params: dict[str, Any]) -> Mapping | None:
    given = params.get("mapping")
    if not given:
        return None
    try:
        if "builtin" in given:
            return load_mapping(given["builtin"])
        return load_mapping(given["name"], given["text"])
    except ProblemsError as exc:
        raise BodyRejected("The mapping was rejected; nothing was written.", exc.problems) from None


def read_batch(params: dict[str, Any], body: bytes, mapping: Mapping | None = None) -> Batch:
    """The uploaded body as a batch (BodyRejected: not JSON; InvalidData: a CSV file
    that cannot be read)."""
    batch = Batch()
    if params["format"] == "json":
        try:
            obj = load_json(body.decode("utf-8", errors="replace"))
        except LoadError as exc:
            raise BodyRejected("The body is not valid JSON.", exc.problems) from None
        batch.add_json(obj)
        return batch
    options = {
        "ignore_unknown_columns": params["ignore_unknown_columns"],
        "mapping": mapping if mapping is not None else mapping_of(params),
    }
    read_source(batch, body, name=params["name"], kind=params["kind"], **options)
    return batch


def run(session: Session, actor: Actor, job: Job) -> Outcome:
    """The import as `actor` (who must still hold `data.import`)."""
    require(actor, "data.import", "Importing data")
    params = job.parameters
    batch = read_batch(params, job.input or b"")
    progress = Progress(session, job.id, sum(len(r) for r in batch.sections.values()))
    try:
        report = import_batch(
            session, batch, actor=actor, correction=params["correction"], progress=progress
        )
    finally:
        progress.drop()
    job.progress_done = job.progress_total = progress.total
    dry_run = params["dry_run"]
    return Outcome(result=report.as_dict() | {"dry_run": dry_run}, keep=not dry_run)


KIND = Kind(name=NAME, run=run, readers="data.import", rejected=REJECTED)
