"""Every plans and audit endpoint against every role: forbidden exactly without the permission."""

from __future__ import annotations

from datetime import date

import pytest

from governance.permissions import ROLE_PERMISSIONS
from governance.plans import lifecycle
from models.identity import ROLES
from tests.api.test_plans_api import YAML, app  # noqa: F401 - the fixture registering blueprints
from tests.integration.test_policy_store import plan_text

V = "/api/v1/plans/ae-plan/versions/1"
ENDPOINTS = [
    ("GET", "/api/v1/plans", "plans.read"),
    ("POST", "/api/v1/plans", "plans.edit"),
    ("GET", "/api/v1/plans/ae-plan", "plans.read"),
    ("GET", V, "plans.read"),
    ("PUT", V + "?expected_revision=1", "plans.edit"),
    ("GET", V + "/export", "plans.read"),
    ("POST", V + "/submit", "plans.edit"),
    ("POST", V + "/approve", "plans.approve"),
    ("POST", V + "/activate", "plans.activate"),
    ("POST", V + "/reject", "plans.approve"),
    ("POST", V + "/withdraw", "plans.edit"),
    ("GET", "/api/v1/plans/ae-plan/diff?from=1&to=1", "plans.read"),
    ("GET", "/api/v1/plans/ae-plan/governing?on=2026-01-01", "plans.read"),
    ("GET", "/api/v1/audit", "audit.read"),
    ("GET", "/api/v1/audit/export?format=csv", "audit.read"),
    ("GET", "/api/v1/audit/verify", "audit.read"),
    ("GET", "/api/v1/audit/plan-versions", "audit.read"),
    ("GET", "/api/v1/audit/plan-transitions?format=csv", "audit.read"),
]


@pytest.fixture
def seeded(db, make_user):
    author = make_user("comp_admin")
    lifecycle.create_draft(db, author, plan_text())
    lifecycle.submit(db, author, "ae-plan", 1, effective_from=date(2026, 1, 1))
    db.commit()


def _call(client, method: str, path: str, headers: dict):
    kwargs: dict = {"headers": dict(headers)}
    if method == "PUT" or path == "/api/v1/plans":
        kwargs["data"] = plan_text(rate="0.05")
        kwargs["headers"].update(YAML)
    elif method == "POST":
        kwargs["json"] = {"note": "checking permissions"}
    return client.open(path, method=method, **kwargs)


@pytest.mark.parametrize("role", ROLES)
def test_each_endpoint_is_forbidden_exactly_without_its_permission(
    client, seeded, make_user, token_for, role
):
    functions = ["finance"] if role == "committee" else []
    headers = token_for(make_user(role, functions=functions))
    granted = ROLE_PERMISSIONS[role]
    outcomes = {}
    for method, path, permission in ENDPOINTS:
        status = _call(client, method, path, headers).status_code
        outcomes[(method, path)] = status
        if permission in granted:
            assert status not in (401, 403), (role, method, path, status)
        else:
            assert status == 403, (role, method, path, status)
    if role == "rep":
        assert set(outcomes.values()) == {403}


def test_without_credentials_every_endpoint_is_401(client, seeded):
    for method, path, _permission in ENDPOINTS:
        assert _call(client, method, path, {}).status_code == 401, (method, path)
