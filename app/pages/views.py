"""The home page: what the signed-in person can do, by role."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flask import Blueprint, make_response, request
from flask_login import current_user

from app import charts
from app.auth.decorators import login_required
from app.database import db_session
from app.pages import home_rep
from app.pages.home_manager import team_block
from governance.permissions import PERMISSIONS, has_permission, permissions_of

bp = Blueprint("pages", __name__)


@bp.app_context_processor
def permission_helpers() -> dict:
    """`can("plans.read")` in every template: the nav shows only what the user may open."""

    def can(permission: str) -> bool:
        return current_user.is_authenticated and has_permission(current_user, permission)

    return {"can": can}


@bp.app_template_filter("percent")
def percent(value, places: int = 1) -> str:
    """A ratio as a percentage: 1.4160 -> "141.6%" (half-up); none -> an em dash."""
    if value is None or value == "":
        return "\u2014"
    shown = (Decimal(str(value)) * 100).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    return f"{shown}%"


@bp.get("/")
@login_required
def home():
    granted = sorted(permissions_of(current_user))
    session = db_session()
    rep = home_rep.context(session, current_user, request.args)  # a participant's own
    manager = team_block(session, current_user)  # None: manages nobody
    response = make_response(
        charts.page_or_csv(
            "pages/home.html",
            {**rep["charts"], **(manager.charts if manager else {})},
            rep=rep["rep"],
            permissions=[(p, PERMISSIONS[p]) for p in granted],
            roles=sorted(current_user.role_names),
            functions=sorted(current_user.committee_functions),
            manager=manager,
        )
    )
    retry_after = (rep["rep"] or {}).get("retry_after")
    if retry_after:  # the estimate was refused: too many (the page says so in the form)
        response.status_code = 429
        response.headers["Retry-After"] = str(retry_after)
    return response
