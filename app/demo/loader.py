"""Load the demo organisation into the caller's transaction (the caller commits).

`load_demo(session, seed=..., deals=...)` generates the data, writes it and creates the
demo users, flushing but never committing, so that `accord demo` commits once or leaves
nothing behind. The data goes through the import service (`app.imports.import_data`),
which validates it with `rules.data` like any other import.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.demo.generator import demo_quarters, generate_demo_data
from app.demo.history import load_plan_history
from app.demo.users import create_demo_users
from app.imports import import_data
from models import Participant
from rules.problems import InvalidData


class DemoError(RuntimeError):
    pass


@dataclass(frozen=True)
class DemoSummary:
    participants: int
    deals: int
    quotas: int
    events: int
    quarters: tuple[str, ...]
    users_created: int
    plan_versions: dict[str, int]
    data_seconds: float
    seconds: float

    def line(self) -> str:
        return (
            f"Demo org loaded: {self.participants} participants, "
            f"{self.deals} deals, {self.events} events, {self.quotas} quotas over "
            f"{self.quarters[0]}..{self.quarters[-1]}; {self.users_created} demo users"
            f"; plan versions: {_states(self.plan_versions)} ({self.seconds:.1f} s)"
        )


def _states(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {state}" for state, n in counts.items())


def participant_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Participant)) or 0


def load_demo(session: Session, *, seed: int = 2026, deals: int = 2000) -> DemoSummary:
    """Generate and write the demo data and users into an empty database; flush only."""
    started = time.perf_counter()
    if participant_count(session):
        raise DemoError(
            "the database already holds participants; the demo loads into an empty database"
        )
    data = generate_demo_data(seed=seed, deals=deals)
    # Exceptions are approved in the app, never imported; the demo has none.
    payload = {k: v for k, v in data.items() if k != "exceptions"}
    try:
        import_data(session, payload, source="accord demo")
    except InvalidData as exc:
        shown = "; ".join(str(p) for p in exc.problems[:5])
        raise DemoError(f"the import service rejected the demo data: {shown}") from exc
    users = create_demo_users(session)
    session.flush()
    data_seconds = time.perf_counter() - started
    plan_versions = load_plan_history(session)
    return DemoSummary(
        participants=len(data["participants"]),
        deals=len(data["deals"]),
        quotas=len(data["quotas"]),
        events=len(data["events"]),
        quarters=tuple(q.name for q in demo_quarters()),
        users_created=len(users),
        plan_versions=plan_versions,
        data_seconds=data_seconds,
        seconds=time.perf_counter() - started,
    )
