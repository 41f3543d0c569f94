"""Background jobs other than payout runs: a large import, a whole-run statement export.

`Job` is what a client polls while a Celery worker does the work (app/background/):
`queued`, `running`, `done` (`result`: the import report, the export's summary; an
export's file in `output`) or `failed` (`message`, located `problems`). `kind` names
the work (app/background/registry.py); `parameters` are what the request asked, `input`
the uploaded body the worker reads (kept in the database so that a worker on any
machine can read it; dropped once the job has finished). `published_at` says the broker
accepted its task, `attempts` counts the deliveries that claimed it.

The blobs are deferred: polling a job never loads them. docs/decisions.md, "Background
jobs: imports and exports (issue 13)".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Json, sql_list, utcnow

JOB_STATES = ("queued", "running", "done", "failed")
ACTIVE_STATES = ("queued", "running")


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (CheckConstraint(f"state IN ({sql_list(JOB_STATES)})", name="state_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(Json)
    # Why it failed: the refusal's message and its located problems [{path, message}].
    message: Mapped[str | None] = mapped_column(Text)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    input: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    output: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    output_name: Mapped[str | None] = mapped_column(String(255))
    output_type: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]  # the broker accepted its task
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    worker: Mapped[str | None] = mapped_column(String(255))  # the Celery worker's name
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    # An import's records read and checked of all it holds, while it runs (migration 0023).
    progress_done: Mapped[int | None]
    progress_total: Mapped[int | None]
    # When the expiry task deleted the export's file (the download then answers 410).
    output_expired_at: Mapped[datetime | None]

    @property
    def label(self) -> str:
        return f"job/{self.kind}#{self.id}"
