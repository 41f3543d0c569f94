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
    """A page of (deal, owner's name) matching `query`, and their total.

    One scan of the deals: the owners whose name matches are found first in the (small)
    participants table, the total comes with the page (`count(*) OVER ()`)."""
    require(actor, PERMISSION, "Searching deals")
    query = query.strip()[:MAX_QUERY]
    stmt = select(Deal, func.count().over().label("total"))
    if query:
        pattern = _pattern(query)
        owners = select(Participant.id).where(_like(Participant.name, pattern))
        stmt = stmt.where(
            or_(
                _like(Deal.id, pattern),
                _like(Deal.account, pattern),
                _like(Deal.owner_id, pattern),
                Deal.owner_id.in_(owners),
            )
        )
    exact = case((func.lower(Deal.id) == query.lower(), 0), else_=1)
    rows = session.execute(stmt.order_by(exact, Deal.id).offset(offset).limit(limit)).all()
    if rows:
        total = rows[0].total
    else:  # past the last page (or nothing matches): count apart
        total = session.scalar(
            select(func.count()).select_from(stmt.with_only_columns(Deal.id).subquery())
        )
    names = dict(
        session.execute(
            select(Participant.id, Participant.name).where(
                Participant.id.in_({row.Deal.owner_id for row in rows})
            )
        ).all()
    )
    return [(row.Deal, names.get(row.Deal.owner_id)) for row in rows], total or 0


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
