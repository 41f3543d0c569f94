"""Security headers (issue 12, item 6; app/headers.py), on both databases.

Every route as every principal is checked by the permission matrix
(tests/api/test_permissions_matrix.py runs tests/support/headers.py on each response).
Here: the responses no route's view writes (errors, a 500, redirects), the downloads of
pay and audit data, ETags next to `no-store`, the static stylesheet, HSTS only when
configured, and templates free of what the CSP refuses.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import create_app
from config import TestConfig
from tests.support import statements
from tests.support.headers import CSP, header_problems, parse_csp
from tests.support.sessions import sign_in

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"
YAML = {"Content-Type": "application/yaml"}


def test_the_check_itself_refuses_a_bare_response():
    problems = header_problems("/x", {})
    assert len(problems) >= 8  # five fixed headers, CSP, Permissions-Policy, no-store
    weakened = parse_csp("default-src 'self'; script-src 'self' 'unsafe-inline'")
    assert weakened != CSP


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/no/such/page", 404),
        ("GET", "/api/v1/no-such-operation", 404),
        ("DELETE", "/api/v1/statements", 405),
        ("GET", "/api/v1/statements", 401),
        ("GET", "/statements", 302),  # to the login page
        ("POST", "/login", 400),  # no CSRF token
    ],
)
def test_error_and_redirect_responses_carry_the_headers(client, method, path, status):
    response = client.open(path, method=method)
    assert response.status_code == status
    assert not header_problems(path, response.headers)


def test_a_500_carries_the_headers(database_url, connection):
    app = create_app(TestConfig, {"DATABASE_URL": database_url, "PROPAGATE_EXCEPTIONS": False})

    def broken():
        raise RuntimeError("a bug")

    app.add_url_rule("/broken", "broken", broken)
    response = app.test_client().get("/broken")
    assert response.status_code == 500
    assert not header_problems("/broken", response.headers)


def test_a_refused_json_body_carries_the_headers(client, make_user, token_for):
    response = client.post(
        "/api/v1/disputes",
        data="[" * 100 + "]" * 100,
        headers={**token_for(make_user("rep")), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert not header_problems("deep JSON", response.headers)


def test_pay_and_audit_downloads_are_no_store(client, db, make_user, token_for):
    ids = statements.minimal_run(db, "hdr-payee")
    db.commit()
    admin = make_user("admin")
    token = token_for(admin)
    downloads = {
        "/api/v1/statements/export?period=2026-Q3&format=csv": "hdr-payee",
        f"/api/v1/statements/runs/{ids['run_id']}/payroll": "hdr-payee",
        "/api/v1/audit/export?format=csv": ",record_hash\n1,",
        f"/api/v1/payout-runs/{ids['run_id']}/lines": "hdr-payee",
        f"/api/v1/statements/{ids['statement_id']}": "20.00",
    }
    for path, content in downloads.items():
        response = client.get(path, headers=token)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:300])
        assert content in response.get_data(as_text=True), path  # the pay data itself
        assert response.headers["Cache-Control"] == "no-store", path
        assert not header_problems(path, response.headers)

    assert sign_in(client, admin.email).status_code == 302
    for page in (f"/statements/{ids['statement_id']}", "/audit", f"/payout-runs/{ids['run_id']}"):
        response = client.get(page)
        assert response.status_code == 200, page
        assert response.headers["Cache-Control"] == "no-store", page


def test_an_etag_still_guards_writes_next_to_no_store(client, make_user, token_for):
    from tests.integration.test_policy_store import plan_text

    author = token_for(make_user("comp_admin"))
    created = client.post("/api/v1/plans", data=plan_text(), headers={**author, **YAML})
    assert created.status_code == 201, created.get_json()
    read = client.get("/api/v1/plans/ae-plan", headers=author)
    assert read.headers["Cache-Control"] == "no-store"
    etag = read.headers["ETag"]

    def edit(tag: str):
        headers = {**author, **YAML, "If-Match": tag}
        return client.put("/api/v1/plans/ae-plan/versions/1", data=plan_text(), headers=headers)

    edited = edit(etag)
    assert edited.status_code == 200, edited.get_json()
    assert edited.headers["ETag"] != etag
    assert edited.headers["Cache-Control"] == "no-store"
    assert edit(etag).status_code == 412  # the tag read before the edit is stale now


def test_the_stylesheet_may_be_cached_and_is_not_sniffed(client):
    with client.get("/static/accord.css") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/css"
        assert not header_problems("/static/accord.css", response.headers, static=True)


def test_hsts_only_when_configured(database_url, connection, make_user, token_for):
    app = create_app(TestConfig, {"DATABASE_URL": database_url, "HSTS_MAX_AGE": 31536000})
    client = app.test_client()
    for path in ("/login", "/api/openapi.json", "/api/v1/statements", "/no/such/page"):
        response = client.get(path, base_url="https://accord.example")
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000", path
    # The embedded server (`make run`, development) and the tests speak plain HTTP.
    plain = create_app(TestConfig, {"DATABASE_URL": database_url}).test_client()
    assert "Strict-Transport-Security" not in plain.get("/login").headers


@pytest.mark.parametrize(
    "pattern",
    # A script element without `src` is inline; one loading a file of app/static is not.
    [r"<script(?![^>]*\ssrc=)", r"<style", r"\sstyle\s*=", r"\son[a-z]+\s*=", r"javascript:"],
)
def test_templates_hold_nothing_inline_the_csp_would_refuse(pattern):
    found = [
        f"{path.relative_to(TEMPLATES)}:{n}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(pattern, line, re.IGNORECASE)
    ]
    assert not found, f"{pattern} in {found}: move it to app/static (the CSP refuses inline)"
