"""The deal desk's look-ups (`data.read`): search deals and participants, read a deal.

GET /deals?q=           deals whose id, account, owner id or owner name holds `q`, paged
GET /deals/<id>         the deal, its lines in the latest run (blocked, reduced, held,
                        by which gate), the governing versions' gates and clawbacks
GET /participants?q=    participants whose id or name holds `q`, paged

Reps and managers hold no `data.read` (403): these read the whole organisation; a rep
reads their own deals through their statements (docs/decisions.md, "Deal desk").
"""

from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint

from app.api.desk.schemas import (
    DealPageSchema,
    DealViewSchema,
    ParticipantPageSchema,
    SearchQuerySchema,
)
from app.auth.decorators import permission_required
from app.database import db_session
from app.errors import ErrorSchema
from governance.desk import deals as desk
from governance.desk import search

blp = Blueprint("desk", __name__, url_prefix="", description="Deal desk look-ups (data.read)")


def _paged(find, query: dict):
    page, per_page = query["page"], query["per_page"]
    rows, total = find(
        db_session(), current_user, query["q"], offset=(page - 1) * per_page, limit=per_page
    )
    return rows, {"page": page, "per_page": per_page, "total": total}


@blp.route("/deals", methods=["GET"])
@permission_required(search.PERMISSION)
@blp.arguments(SearchQuerySchema, location="query")
@blp.response(200, DealPageSchema)
def deals(query):
    """Search deals by id, account or owner (id or name)."""
    rows, paging = _paged(search.deals, query)
    items = [{**_deal(deal), "owner_name": name} for deal, name in rows]
    return {"items": items, **paging}


def _deal(deal) -> dict:
    fields = ("id", "account", "type", "amount", "currency", "close_date", "owner_id")
    return {name: getattr(deal, name) for name in fields}


@blp.route("/deals/<string:deal_id>", methods=["GET"])
@permission_required(desk.PERMISSION)
@blp.response(200, DealViewSchema)
@blp.alt_response(404, schema=ErrorSchema)
def deal(deal_id: str):
    """A deal, its lines in the latest run with the gates that acted, its plans' rules."""
    view = desk.deal_view(db_session(), current_user, deal_id)
    return {
        "deal": {**_deal(view.deal), "owner_name": view.names.get(view.deal.owner_id)},
        "run_id": view.run.id if view.run else None,
        "lines": view.lines,
        "plans": view.plans,
    }


@blp.route("/participants", methods=["GET"])
@permission_required(search.PERMISSION)
@blp.arguments(SearchQuerySchema, location="query")
@blp.response(200, ParticipantPageSchema)
def participants(query):
    """Search participants by id or name."""
    rows, paging = _paged(search.participants, query)
    return {"items": rows, **paging}
