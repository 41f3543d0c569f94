"""`GET /healthz`: is the process up and can it reach its database?"""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.database import database

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    try:
        with database().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("health check: database unreachable: %s", exc)
        reason = type(exc.orig if getattr(exc, "orig", None) else exc).__name__
        return jsonify({"status": "degraded", "database": "unreachable", "reason": reason}), 503
    return jsonify({"status": "ok", "database": "ok"})
