"""Uploads of the imports page: kept by digest between the preview and the confirmation.

    upload = stage(session, actor, name=..., body=..., parameters=..., preview=...)
    upload = stage(session, actor, name=..., body=..., parameters=...)   # previewing:
    settle(session, upload_id, report=..., problems=...)      # a large file's dry-run job
    upload = confirmable(session, actor, upload_id, digest)    # what the confirm imports
    imported(upload, report) / queued(upload, job_id)
    recent(session, offset=0, limit=20)                        # the imports page's list
    expired(upload, keep) / expire(session, keep)              # not confirmed in time

The preview is the import service's own dry run (`import_batch`, rolled back by the
caller): no second implementation of validation or counting. The confirmation imports
the body stored here, and only when the digest the form carries is the stored body's
(checked again against the bytes): a changed or unknown file is refused, an upload is
imported once, and only within `keep` (ACCORD_UPLOAD_KEEP_HOURS) of its upload: after
that it is expired and beat's hourly task deletes its body (the row stays, as history).
docs/decisions.md, "Imports in the browser".
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, undefer

from governance.errors import Conflict, NotFound
from governance.paging import page
from governance.permissions import Actor, require
from models.base import utcnow
from models.imports import ImportUpload
from rules.problems import Problem

PERMISSION = "data.import"


def digest_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def stage(
    session: Session,
    actor: Actor,
    *,
    name: str,
    body: bytes,
    parameters: dict[str, Any],
    preview: dict[str, Any] | None = None,
    problems: list[Problem] | tuple[Problem, ...] = (),
) -> ImportUpload:
    """Keep an upload with its preview (the dry run's report, or its problems); without
    a preview it is `previewing` (its dry run is a background job: `settle` it)."""
    require(actor, PERMISSION, "Importing data")
    upload = ImportUpload(
        uploaded_by_id=getattr(actor, "id", None),
        name=name[:255],
        size=len(body),
        digest=digest_of(body),
        parameters=parameters,
        body=body,
        state="previewing",
        preview={},
    )
    if preview is not None:
        _preview(upload, preview, problems)
    session.add(upload)
    session.flush()
    return upload


def _preview(
    upload: ImportUpload, preview: dict[str, Any], problems: list[Problem] | tuple[Problem, ...]
) -> None:
    upload.state = "rejected" if problems else "previewed"
    upload.preview = preview | {"problems": [p.as_dict() for p in problems]}
    if problems:
        upload.body = None  # a rejected file can never be confirmed


def settle(
    session: Session,
    upload_id: int,
    preview: dict[str, Any],
    problems: list[Problem] | tuple[Problem, ...] = (),
) -> ImportUpload:
    """A previewing upload's dry run has ended: its report, or its problems (once: an
    upload already settled is left as it is)."""
    upload = _locked(session, upload_id)
    if upload.state == "previewing":
        _preview(upload, preview, problems)
    return upload


def _locked(session: Session, upload_id: int) -> ImportUpload:
    """The upload with its body, its row locked until the transaction ends."""
    upload = session.scalars(
        select(ImportUpload)
        .where(ImportUpload.id == upload_id)
        .options(undefer(ImportUpload.body))
        .with_for_update()
    ).one_or_none()
    if upload is None:
        raise NotFound(f"No import upload {upload_id}.")
    return upload


def get(session: Session, actor: Actor, upload_id: int) -> ImportUpload:
    require(actor, PERMISSION, "Reading imports")
    upload = session.get(ImportUpload, upload_id)
    if upload is None:
        raise NotFound(f"No import upload {upload_id}.")
    return upload


def expired(upload: ImportUpload, keep: timedelta, now: datetime | None = None) -> bool:
    """Not confirmed within `keep` of its upload: it can no longer be imported (its body
    is deleted, or about to be)."""
    if upload.state not in ("previewing", "previewed"):
        return False
    created = upload.created_at
    if created.tzinfo is None:  # SQLite hands back naive UTC
        created = created.replace(tzinfo=UTC)
    return created <= (now or utcnow()) - keep


def expire(session: Session, keep: timedelta, now: datetime | None = None) -> list[int]:
    """Delete the bodies of the uploads not confirmed within `keep`; their ids. The rows
    stay (shown as expired); a second run finds nothing left to delete."""
    stale = (
        ImportUpload.state.in_(("previewing", "previewed")),
        ImportUpload.body.is_not(None),
        ImportUpload.created_at <= (now or utcnow()) - keep,
    )
    ids = list(session.scalars(select(ImportUpload.id).where(*stale)))
    if ids:
        session.execute(update(ImportUpload).where(ImportUpload.id.in_(ids)).values(body=None))
    return ids


def confirmable(
    session: Session, actor: Actor, upload_id: int, digest: str, keep: timedelta
) -> ImportUpload:
    """The previewed upload to import, its body loaded; Conflict when the digest is not
    the previewed file's, the upload was rejected or already confirmed, or it expired."""
    require(actor, PERMISSION, "Importing data")
    upload = _locked(session, upload_id)
    if expired(upload, keep):
        hours = int(keep.total_seconds() // 3600)
        raise Conflict(
            f"Upload {upload_id} expired: a file must be imported within {hours} hours of "
            "its upload; nothing was imported. Upload it again and check its preview.",
            [Problem("state", f"expired after {hours} hours")],
        )
    if upload.state != "previewed" or upload.body is None:
        raise Conflict(
            f"Upload {upload_id} is {upload.state}: only a previewed file without problems "
            "can be imported, once.",
            [Problem("state", f"{upload.state}, needs previewed")],
        )
    if digest != upload.digest or digest_of(upload.body) != upload.digest:
        raise Conflict(
            "The file is not the one previewed; nothing was imported. Upload it again "
            "and check its preview.",
            [Problem("digest", f"{digest[:12] or 'none'}..., previewed {upload.digest[:12]}...")],
        )
    return upload


def imported(upload: ImportUpload, report: dict[str, Any]) -> None:
    """Confirmed and imported in the request: the report kept, the body dropped."""
    upload.state, upload.result = "imported", report
    upload.body, upload.confirmed_at = None, utcnow()


def queued(upload: ImportUpload, job_id: int | None) -> None:
    """Confirmed as a background job (which holds the body now; its id once queued)."""
    upload.state, upload.job_id = "queued", job_id
    upload.body, upload.confirmed_at = None, utcnow()


def unqueued(upload: ImportUpload, body: bytes) -> None:
    """Its job could not be queued: previewed again, to be confirmed later."""
    upload.state, upload.body, upload.confirmed_at = "previewed", body, None


def recent(
    session: Session, actor: Actor, *, offset: int = 0, limit: int = 20
) -> tuple[list[ImportUpload], int]:
    """A page of the uploads, newest first, and their total."""
    require(actor, PERMISSION, "Reading imports")
    stmt = select(ImportUpload).order_by(ImportUpload.id.desc())
    return page(session, stmt, offset=offset, limit=limit)
