"""Search deals and participants by id or name (`data.read`), a page at a time.

    rows, total = deals(session, actor, "acme", offset=0, limit=25)
    rows, total = participants(session, actor, "frank", offset=0, limit=25)

A case-insensitive substring of the id, the name (a deal's account) or, for deals, the
owner's id or name; exact ids first, then by id. The same queries on both databases (LIKE on
lower(), the wildcards of the query escaped). Reps hold no `data.read`: the search is
the whole organisation's, so it is not theirs (docs/decisions.md, "Deal desk").
"""

from __future__ import annotations

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from governance.paging import page
from governance.permissions import Actor, require
from models import Deal, Participant

PERMISSION = "data.read"
MAX_QUERY = 100


def _pattern(query: str) -> str:
    escaped = query.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _like(column, pattern: str):
    return func.lower(column).like(pattern, escape="\\")


def deals(
    session: Session, actor: Actor, query: str, *, offset: int = 0, limit: int = 25
) -> tuple[list[tuple[Deal, str | None]], int]:
    """A page of (deal, owner's name) matching `query`, and their total."""
    require(actor, PERMISSION, "Searching deals")
    query = query.strip()[:MAX_QUERY]
    pattern = _pattern(query)
    stmt = select(Deal, Participant.name).join(Participant, Participant.id == Deal.owner_id)
    if query:
        stmt = stmt.where(
            or_(
                _like(Deal.id, pattern),
                _like(Deal.account, pattern),
                _like(Deal.owner_id, pattern),
                _like(Participant.name, pattern),
            )
        )
    exact = case((func.lower(Deal.id) == query.lower(), 0), else_=1)
    stmt = stmt.order_by(exact, Deal.id)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = session.execute(stmt.offset(offset).limit(limit)).all()
    return [(deal, name) for deal, name in rows], total or 0


def participants(
    session: Session, actor: Actor, query: str, *, offset: int = 0, limit: int = 25
) -> tuple[list[Participant], int]:
    """A page of the participants matching `query`, and their total."""
    require(actor, PERMISSION, "Searching participants")
    query = query.strip()[:MAX_QUERY]
    pattern = _pattern(query)
    stmt = select(Participant)
    if query:
        stmt = stmt.where(or_(_like(Participant.id, pattern), _like(Participant.name, pattern)))
    exact = case((func.lower(Participant.id) == query.lower(), 0), else_=1)
    return page(session, stmt.order_by(exact, Participant.id), offset=offset, limit=limit)
