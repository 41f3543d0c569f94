"""The `accord` group: Flask's commands bound to the app plus db/users/tokens."""

from __future__ import annotations

from sqlalchemy import func, select

from models import ApiToken, User, schema
from models.engine import make_engine
from tests.support.cli import run


def test_db_upgrade_users_and_tokens(unmigrated_cli_env):
    result = run("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert schema.current_revision(unmigrated_cli_env) == schema.head_revision()

    result = run(
        "users",
        "create",
        "--email",
        "Ann@Example.com",
        "--name",
        "Ann",
        "--role",
        "committee",
        "--function",
        "finance",
        "--function",
        "sales",
        "--password",
        "a long password",
    )
    assert result.exit_code == 0, result.output

    result = run("tokens", "create", "--email", "ann@example.com", "--name", "ci")
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("acc_")

    engine = make_engine(unmigrated_cli_env)
    try:
        with engine.connect() as conn:
            user = conn.execute(select(User.email, User.password_hash)).one()
            assert user.email == "ann@example.com"
            assert "a long password" not in user.password_hash
            stored = conn.execute(select(ApiToken.token_hash)).scalar_one()
            assert secret not in stored
    finally:
        engine.dispose()


def test_users_create_rejects_bad_input_with_exit_2(unmigrated_cli_env):
    assert run("db", "upgrade").exit_code == 0
    result = run(
        "users",
        "create",
        "--email",
        "x@example.com",
        "--name",
        "X",
        "--role",
        "committee",
        "--password",
        "short",
    )
    assert result.exit_code == 2
    assert "at least 10 characters" in result.output
    assert "needs at least one function" in result.output
    engine = make_engine(unmigrated_cli_env)
    try:
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(User)).scalar() == 0
    finally:
        engine.dispose()


def test_routes_lists_api_and_pages(unmigrated_cli_env):
    result = run("routes")
    assert result.exit_code == 0
    for rule in ("/healthz", "/api/v1/me", "/api/openapi.json", "/login"):
        assert rule in result.output
