"""What every `accord` command shares: the `--as EMAIL` actor, refusals, the transaction.

A refusal (governance.errors) prints `error: <message>` and each problem on stderr and
exits 2; so does `fail(message)`. `unit_of_work()` is app.database's for a command: it
commits once at the end, and a refusal rolls back, is printed and exits 2.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import click
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app import database
from governance.errors import GovernanceError
from models import User
from models.engine import is_contention

CONTENTION = "a concurrent change got in the way; nothing was written. Try again."


def fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def refuse(refusal: GovernanceError) -> NoReturn:
    click.echo(f"error: {refusal.message}", err=True)
    for problem in refusal.problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(2)


def actor(session: Session, email: str | None) -> User | None:
    """The account `--as EMAIL` names; None (the system) without one."""
    if email is None:
        return None
    user = session.scalar(select(User).where(User.email == email.lower()))
    if user is None:
        fail(f"no user {email}")
    return user


@contextmanager
def refusals() -> Iterator[None]:
    """A refusal inside the block is printed and exits 2; so is a lock another writer
    held past the busy timeout (the transaction was rolled back whole)."""
    try:
        yield
    except GovernanceError as refusal:
        refuse(refusal)
    except DBAPIError as error:
        if not is_contention(error):
            raise
        fail(CONTENTION)


@contextmanager
def unit_of_work(*, dry_run: bool = False) -> Iterator[Session]:
    """The command's session, committed once at the end; a refusal rolls back, is
    printed and exits 2 (any other exception rolls back too)."""
    with refusals(), database.unit_of_work(dry_run=dry_run) as session:
        yield session
