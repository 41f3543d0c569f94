"""`POST /api/v1/imports`: load participants, quotas, deals, events and FX rates."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("imports", __name__, url_prefix="/imports", description="Data imports")
