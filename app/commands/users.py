"""`accord users create` and `accord tokens create|revoke`: accounts from the shell."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.commands.plans import _actor
from app.database import db_session
from governance.accounts import AccountError, create_user, issue_token, revoke_token, set_roles
from governance.auditing import data_changes
from models import ApiToken, User
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
    session = db_session()
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
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    session.commit()
    click.echo(f"created user {user.id} {user.email} ({', '.join(sorted(user.role_names))})")


@users.command("roles")
@click.option("--email", required=True)
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES), required=True)
@click.option("--function", "functions", multiple=True, type=click.Choice(FUNCTIONS))
@with_appcontext
def roles(email, roles, functions) -> None:
    """Replace a user's roles (and committee functions); audited as the system."""
    session = db_session()
    user = _actor(session, email)  # --email is required, so never None here
    try:
        changed = set_roles(session, user, roles=list(roles), functions=list(functions))
    except AccountError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    session.commit()
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
    session = db_session()
    user = session.scalar(select(User).where(User.email == email.lower()))
    if user is None:
        click.echo(f"error: no user {email}", err=True)
        sys.exit(2)
    _token, secret = issue_token(session, user, name)
    session.commit()
    click.echo(secret)


@tokens.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def revoke(token_id: int) -> None:
    """Revoke a token by id."""
    session = db_session()
    token = session.get(ApiToken, token_id)
    if token is None:
        click.echo(f"error: no token {token_id}", err=True)
        sys.exit(2)
    revoke_token(session, token)
    session.commit()
    click.echo(f"revoked token {token_id}")
