"""One page of a query and the number of rows in all: the lists of the API and pages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


def page(session: Session, stmt: Select, *, offset: int, limit: int) -> tuple[list[Any], int]:
    """The rows of the ordered `stmt` from `offset` (at most `limit`), and its row count."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return list(session.scalars(stmt.offset(offset).limit(limit))), total or 0
