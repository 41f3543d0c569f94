"""The audit log as the auditor's page reads it: filtered pages and the chain's check."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from governance import audit
from governance.accounts import names
from governance.paging import Sort, ordered
from governance.paging import page as paged
from models import User
from models.audit import AuditRecord


def _actor_ids(session: Session, actor: str) -> list[int] | None:
    """ "system" (None), a user id, or a part of a name or e-mail -> matching user ids."""
    text = actor.strip()
    if text.isdigit():
        return [int(text)]
    pattern = f"%{text.lower()}%"
    return list(
        session.scalars(
            select(User.id).where(
                or_(func.lower(User.name).like(pattern), func.lower(User.email).like(pattern))
            )
        )
    )


# The audit log's sortable columns (the record number is the order of the chain).
AUDIT_COLUMNS = {
    "id": AuditRecord.id,
    "at": AuditRecord.at,
    "action": AuditRecord.action,
    "object": AuditRecord.object_type,
}
AUDIT_SORT = Sort("id", descending=True)


def audit_page(
    session: Session,
    *,
    object_type: str | None = None,
    actor: str | None = None,
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
    per_page: int = 50,
    sort: Sort = AUDIT_SORT,
) -> dict[str, Any]:
    """A page of the audit log, newest first unless `sort` says otherwise (a column of
    AUDIT_COLUMNS, then by id). `since`/`until` are UTC days, inclusive; `actor` is
    "system", a user id, or part of a name or e-mail."""
    stmt = audit.list_records(session, object_type=object_type or None).order_by(None)
    stmt = ordered(stmt, sort, AUDIT_COLUMNS, AuditRecord.id.desc())
    if actor and actor.strip():
        if actor.strip().lower() == "system":
            stmt = stmt.where(AuditRecord.actor_id.is_(None))
        else:
            stmt = stmt.where(AuditRecord.actor_id.in_(_actor_ids(session, actor)))
    if since:
        stmt = stmt.where(AuditRecord.at >= datetime.combine(since, time.min, tzinfo=UTC))
    if until:
        end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC)
        stmt = stmt.where(AuditRecord.at < end)
    records, total = paged(session, stmt, offset=(page - 1) * per_page, limit=per_page)
    people = names(session, [r.actor_id for r in records])
    types = session.scalars(
        select(AuditRecord.object_type).distinct().order_by(AuditRecord.object_type)
    )
    return {
        "records": [
            {"record": audit.as_dict(r), "actor": people.get(r.actor_id, "system")} for r in records
        ],
        "total": total,
        "page": page,
        "per_page": per_page,
        "pages": max(1, -(-total // per_page)),
        "object_types": list(types),
    }


def audit_verification(session: Session) -> audit.Verification:
    return audit.verify(session)
