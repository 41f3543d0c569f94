"""REST API under /api/v1: one package per resource (routes.py, schemas.py).

Unknown paths under /api/ get the JSON error envelope from app.errors.
"""

from __future__ import annotations

from app.extensions import Api

API_PREFIX = "/api/v1"


def register_api(api: Api) -> None:
    from app.api.audit.routes import blp as audit_blp
    from app.api.changes.routes import blp as changes_blp
    from app.api.disputes.routes import blp as disputes_blp
    from app.api.exceptions.routes import blp as exceptions_blp
    from app.api.imports.routes import blp as imports_blp
    from app.api.me.routes import blp as me_blp
    from app.api.payout_close.routes import blp as payout_close_blp
    from app.api.payout_runs.routes import blp as payout_runs_blp
    from app.api.plans.routes import blp as plans_blp
    from app.api.statements.routes import blp as statements_blp

    for blp in (me_blp, imports_blp, plans_blp, changes_blp, audit_blp, payout_close_blp):
        api.register_blueprint(blp, url_prefix=API_PREFIX + blp.url_prefix)
    api.register_blueprint(statements_blp, url_prefix=API_PREFIX + statements_blp.url_prefix)
    api.register_blueprint(disputes_blp, url_prefix=API_PREFIX + disputes_blp.url_prefix)
    api.register_blueprint(exceptions_blp, url_prefix=API_PREFIX + exceptions_blp.url_prefix)
    api.register_blueprint(payout_runs_blp, url_prefix=API_PREFIX + payout_runs_blp.url_prefix)
