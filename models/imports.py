"""An import uploaded in the browser, kept until it is confirmed (issue 15).

The imports page previews an upload (a dry run of the import service) and imports it
when the comp admin confirms. The body is kept here between the two, by its SHA-256, so
that the confirmation imports exactly the bytes that were previewed: the confirm form
carries the digest and a different one is refused. `state`: `previewing` (a large
file's dry run is a background job, `preview_job_id`), `previewed` (the preview found no
problem), `rejected` (it listed problems; nothing can be confirmed), `queued` (confirmed
as a background job, `job_id`), `imported` (confirmed in the request).
`preview` is the dry run's report, or its problems; `result` the import's report.
The body is deferred: lists never load it, and it is dropped once confirmed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Json, sql_list, utcnow

UPLOAD_STATES = ("previewing", "previewed", "rejected", "queued", "imported")


class ImportUpload(Base):
    __tablename__ = "import_uploads"
    __table_args__ = (CheckConstraint(f"state IN ({sql_list(UPLOAD_STATES)})", name="state_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int]
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the body, hex
    parameters: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    state: Mapped[str] = mapped_column(String(16))
    preview: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(Json)
    preview_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    confirmed_at: Mapped[datetime | None]
