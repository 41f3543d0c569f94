"""What a list page reads from its query string: the page, the order, the search.

    ?page=N&sort=<column key>&dir=asc|desc&q=<text>

The columns a list may be sorted by are its own whitelist (`governance.paging.sort_of`):
an unknown key or direction falls back to the list's default order, never a 400 or a 500.
Templates build the header links with `sort_header` (_pager.html), which keeps the
list's other arguments and sets `aria-sort` on the sorted column.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import request

from app.limits import bounded_int
from governance.paging import Sort, sort_of


def page_arg() -> int:
    """The requested page (1 when absent, malformed, out of range or below 1)."""
    return max(request.args.get("page", 1, type=bounded_int) or 1, 1)


def sort_arg(columns: Mapping[str, Any], default: Sort) -> Sort:
    return sort_of(request.args.get("sort"), request.args.get("dir"), columns, default)


def search_arg(name: str = "q") -> str:
    return request.args.get(name, "").strip()[:100]
