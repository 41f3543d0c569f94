"""Checks against a real database: its own refusals, and real concurrent transactions.

- `refused(db_or_engine, sql, params)`: the database refuses the statement (a trigger,
  a constraint); run in a savepoint of a Session (its transaction goes on) or in a
  transaction of an Engine's own. Parameters as a dict or as keywords.
- `race(engine, actions, read=...)`: each action in a session and transaction of its own,
  on a thread of its own; every one reads first, then all are released together.
- `count_rows(db, Model, column=value, ...)`: how many rows of Model match.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError, ProgrammingError
from sqlalchemy.orm import Session

from governance.errors import GovernanceError


def refused(
    target: Session | Engine,
    sql: str,
    params: dict | None = None,
    /,
    *,
    error: type[Exception] | tuple[type[Exception], ...] = IntegrityError,
    **named: object,
) -> None:
    """`sql`, bound to `params` and/or the keywords, fails with `error` and changes nothing
    (a trigger's RAISE is an InternalError on PostgreSQL: pass `error=DBAPIError`)."""
    bound = {**(params or {}), **named}
    with pytest.raises(error) as caught:
        if isinstance(target, Session):
            with target.begin_nested():
                target.execute(text(sql), bound)
        else:
            with target.begin() as conn:
                conn.execute(text(sql), bound)
    # Refused by a guard, not a statement the database could not even run.
    assert not isinstance(caught.value, ProgrammingError), caught.value


def race(
    engine: Engine,
    actions: dict[str, Callable[[Session], object]],
    *,
    read: Callable[[Session], object],
    timeout: float = 30,
) -> dict[str, str]:
    """Each name's outcome: "done" once its action committed, else the class name of the
    GovernanceError it raised (and its transaction rolled back)."""
    barrier = threading.Barrier(len(actions))
    outcomes: dict[str, str] = {}

    def attempt(name: str, action: Callable[[Session], object]) -> None:
        with Session(engine) as session:
            read(session)  # everyone reads the current state first
            barrier.wait(5)
            try:
                action(session)
                session.commit()
                outcomes[name] = "done"
            except GovernanceError as exc:
                session.rollback()
                outcomes[name] = type(exc).__name__

    threads = [threading.Thread(target=attempt, args=item) for item in actions.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    stuck = [name for name, t in zip(actions, threads, strict=True) if t.is_alive()]
    assert not stuck, f"still running after {timeout} s (a deadlock?): {stuck}"
    assert outcomes.keys() == actions.keys(), f"an action failed unexpectedly: {outcomes}"
    return outcomes


def count_rows(db: Session, model, **where) -> int:
    """How many rows of `model` have each `column=value` of `where`."""
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return db.scalar(stmt)
