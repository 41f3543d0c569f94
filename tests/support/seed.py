"""Seeding for the end-to-end deployments: the example plans in force and an admin."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from app.demo.history import EXAMPLES
from app.demo.roster import PLANS
from governance.accounts import create_user, issue_token
from governance.plans import lifecycle
from tests.conftest import PASSWORD


def plans_and_admin(session: Session) -> str:
    """The five example plans in force from 2025 and a comp admin with an API token
    (flushed, not committed); returns the token."""
    for plan in PLANS:
        source = (EXAMPLES / f"{plan}.yaml").read_text(encoding="utf-8")
        version = lifecycle.create_draft(session, None, source, base_dir=EXAMPLES)
        key, number = version.plan_key, version.number
        lifecycle.submit(session, None, key, number, effective_from=date(2025, 1, 1))
        lifecycle.approve(session, None, key, number)
        lifecycle.activate(session, None, key, number)
    user = create_user(
        session, email="admin@example.test", name="Admin", password=PASSWORD,
        roles=["comp_admin"],
    )  # fmt: skip
    _token, secret = issue_token(session, user, "e2e")
    return secret
