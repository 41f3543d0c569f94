"""One page of a query and the number of rows in all, in a whitelisted, stable order: the
lists of the API and pages (sorting: docs/pages.md, "Lists")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session


def page(session: Session, stmt: Select, *, offset: int, limit: int) -> tuple[list[Any], int]:
    """The rows of the ordered `stmt` from `offset` (at most `limit`), and its row count."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return list(session.scalars(stmt.offset(offset).limit(limit))), total or 0


# --------------------------------------------------------------------------- sorting


@dataclass(frozen=True)
class Sort:
    """A list's order: one of its whitelisted column keys, and the direction."""

    key: str
    descending: bool = False

    @property
    def direction(self) -> str:
        return "desc" if self.descending else "asc"


def sort_of(
    key: str | None, direction: str | None, columns: Mapping[str, Any], default: Sort
) -> Sort:
    """The requested order if its key is one of `columns`, else `default` (an unknown
    column or direction never reaches SQL; `default`'s direction when none is asked)."""
    if key not in columns:
        return default
    if direction not in ("asc", "desc"):
        return Sort(key, default.descending if key == default.key else False)
    return Sort(key, direction == "desc")


def ordered(stmt: Select, sort: Sort, columns: Mapping[str, Any], *tiebreak: Any) -> Select:
    """`stmt` ordered by the sort's column (nulls last either way, on both databases),
    then by `tiebreak` (unique columns: the order is stable from page to page)."""
    column = columns[sort.key]
    nulls_last = case((column.is_(None), 1), else_=0)
    return stmt.order_by(nulls_last, column.desc() if sort.descending else column.asc(), *tiebreak)


def pages(total: int, per_page: int) -> int:
    """How many pages `total` rows fill (at least one, for "page 1 of 1")."""
    return max(1, -(-total // per_page))


def matching(search: str, *columns: Any) -> Any:
    """A condition: any of `columns` contains `search`, any case (LIKE wildcards in the
    search are taken literally)."""
    needle = search.lower()
    return or_(*(func.lower(c).contains(needle, autoescape=True) for c in columns))
