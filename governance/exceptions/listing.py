"""The exceptions list of the pages: searched, sorted and paged in SQL."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.orm import Session

from governance import paging
from governance.exceptions.workflow import select_exceptions
from governance.paging import Sort
from models.exceptions import PayoutException

COLUMNS = {
    "id": PayoutException.id,
    "state": PayoutException.state,
    "kind": PayoutException.kind,
    "plan": PayoutException.plan_key,
    "subject": func.coalesce(PayoutException.deal_id, PayoutException.participant_id),
    "period": PayoutException.period,
    "impact": PayoutException.estimated_impact,
    "filed": PayoutException.created_at,
}
DEFAULT_SORT = Sort("filed", descending=True)


def page_exceptions(
    session: Session,
    *,
    state: str | None = None,
    search: str = "",
    sort: Sort = DEFAULT_SORT,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[PayoutException], int]:
    """One page of the exceptions in `state` whose deal, participant, plan, rule or
    justification contains `search` (any case), by `sort` then id (stable)."""
    stmt = select_exceptions(state).order_by(None)
    if search:
        stmt = stmt.where(
            paging.matching(
                search,
                PayoutException.deal_id,
                PayoutException.participant_id,
                PayoutException.plan_key,
                PayoutException.rule_id,
                PayoutException.justification,
            )
        )
    stmt = paging.ordered(stmt, sort, COLUMNS, PayoutException.id.desc())
    return paging.page(session, stmt, offset=offset, limit=limit)
