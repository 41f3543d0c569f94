"""REST API under /api/v1: one package per resource (routes, schemas).

Unknown paths under /api/ get the JSON error envelope from app.errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # app.extensions imports app.api.responses
    from app.extensions import Api

API_PREFIX = "/api/v1"


def register_api(api: Api) -> None:
    from app.api.audit.routes import blp as audit_blp
    from app.api.committee.routes import blp as committee_blp
    from app.api.desk.routes import blp as desk_blp
    from app.api.disputes.routes import blp as disputes_blp
    from app.api.exceptions.routes import blp as exceptions_blp
    from app.api.imports.routes import blp as imports_blp
    from app.api.jobs.routes import blp as jobs_blp
    from app.api.me.routes import blp as me_blp
    from app.api.payouts import blp as payouts_blp
    from app.api.plans.routes import blp as plans_blp
    from app.api.statements.routes import blp as statements_blp
    from app.api.users.routes import blp as users_blp
    from app.api.webhooks.routes import blp as webhooks_blp

    for blp in (
        me_blp,
        imports_blp,
        plans_blp,
        committee_blp,
        audit_blp,
        statements_blp,
        disputes_blp,
        exceptions_blp,
        payouts_blp,
        jobs_blp,
        webhooks_blp,
        users_blp,
        desk_blp,
    ):
        api.register_blueprint(blp, url_prefix=API_PREFIX + blp.url_prefix)
