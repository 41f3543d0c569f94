"""`accord users create` and `accord tokens create|revoke`: accounts from the shell."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.commands.common import actor, fail, unit_of_work
from governance.accounts import AccountError, create_user, issue_token, revoke_token, set_roles
from governance.auditing import data_changes
from models import ApiToken
from models.identity import FUNCTIONS, ROLES


@click.group()
def users() -> None:
    """User accounts."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES), required=True)
@click.option("--function", "functions", multiple=True, type=click.Choice(FUNCTIONS))
@click.option("--participant", default=None, help="participant id, for reps and managers")
@click.password_option()
@with_appcontext
def create(email, name, roles, functions, participant, password) -> None:
    """Create a user with one or more roles."""
    with unit_of_work() as session:
        try:
            user = create_user(
                session,
                email=email,
                name=name,
                password=password,
                roles=list(roles),
                functions=list(functions),
                participant_id=participant,
            )
        except AccountError as exc:
            fail(str(exc))
    click.echo(f"created user {user.id} {user.email} ({', '.join(sorted(user.role_names))})")


@users.command("roles")
@click.option("--email", required=True)
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES), required=True)
@click.option("--function", "functions", multiple=True, type=click.Choice(FUNCTIONS))
@with_appcontext
def roles(email, roles, functions) -> None:
    """Replace a user's roles (and committee functions); audited as the system."""
    with unit_of_work() as session:
        user = actor(session, email)  # --email is required, so never None here
        try:
            changed = set_roles(session, user, roles=list(roles), functions=list(functions))
        except AccountError as exc:
            fail(str(exc))
    grants = ", ".join(r if not f else f"{r}:{f}" for r, f in data_changes.role_grants(user))
    click.echo(f"{'changed' if changed else 'unchanged'}: {user.email} ({grants})")


@click.group()
def tokens() -> None:
    """API tokens (sent as `Authorization: Bearer <token>`)."""


@tokens.command("create")
@click.option("--email", required=True, help="the user the token acts as")
@click.option("--name", required=True, help="what the token is for")
@with_appcontext
def create_token(email: str, name: str) -> None:
    """Issue a token; its secret is printed once and never stored."""
    with unit_of_work() as session:
        _token, secret = issue_token(session, actor(session, email), name)
    click.echo(secret)


@tokens.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def revoke(token_id: int) -> None:
    """Revoke a token by id."""
    with unit_of_work() as session:
        token = session.get(ApiToken, token_id)
        if token is None:
            fail(f"no token {token_id}")
        revoke_token(session, token)
    click.echo(f"revoked token {token_id}")
