"""`accord users create|roles|deactivate|reactivate|reset-link` and `accord tokens
create|revoke`: accounts from the shell, as the system (audited with no actor)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app.commands.common import actor, fail, unit_of_work
from governance import users as accounts_admin
from governance.accounts import AccountError, create_user, issue_token, revoke_token
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
        changed = accounts_admin.change_roles(
            session, None, user, roles=list(roles), functions=list(functions)
        )
    grants = ", ".join(r if not f else f"{r}:{f}" for r, f in data_changes.role_grants(user))
    click.echo(f"{'changed' if changed else 'unchanged'}: {user.email} ({grants})")


@users.command("deactivate")
@click.option("--email", required=True)
@with_appcontext
def deactivate(email) -> None:
    """Stop a user at once: no sign-in; every session, token and reset link revoked."""
    with unit_of_work() as session:
        user = actor(session, email)
        was_active = user.is_active
        revoked = accounts_admin.deactivate(session, None, user)
    if not was_active:
        click.echo(f"unchanged: {user.email} was already deactivated")
        return
    click.echo(
        f"deactivated: {user.email} ({revoked['sessions_revoked']} sessions, "
        f"{revoked['tokens_revoked']} tokens revoked)"
    )


@users.command("reactivate")
@click.option("--email", required=True)
@with_appcontext
def reactivate(email) -> None:
    """Let a deactivated user sign in again (send them a reset link if need be)."""
    with unit_of_work() as session:
        user = actor(session, email)
        changed = accounts_admin.reactivate(session, None, user)
    click.echo(f"{'reactivated' if changed else 'unchanged: already active'}: {user.email}")


@users.command("reset-link")
@click.option("--email", required=True)
@click.option(
    "--print-link",
    is_flag=True,
    help="also print the link (when no SMTP server is configured); it is a password",
)
@with_appcontext
def reset_link(email, print_link) -> None:
    """Mail a user a one-time link to set a new password (valid 24 hours)."""
    key = current_app.config["SECRET_KEY"]
    with unit_of_work() as session:
        user = actor(session, email)
        reset = accounts_admin.issue_reset(session, None, user, key=key)
    click.echo(
        f"reset link {reset.id} for {user.email}, valid until {reset.expires_at:%Y-%m-%d %H:%M} UTC"
    )
    if not current_app.config.get("SMTP_HOST"):
        click.echo(
            "note: no SMTP server is configured (ACCORD_SMTP_HOST): no mail is sent", err=True
        )
    if print_link:
        base = current_app.config["BASE_URL"].rstrip("/")
        click.echo(f"{base}/password-reset/{accounts_admin.reset_token(key, reset)}")


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
