"""Load the demo organisation into the caller's transaction (the caller commits).

`load_demo(session, seed=..., deals=...)` generates the data, writes it, creates the
demo users and then the governance history (plans and change requests, exceptions,
payout runs, disputes: app/demo/history.py, exceptions.py, payouts.py, disputes.py),
flushing but never committing, so that `accord demo` commits once or leaves nothing
behind. The data goes through the import service (`app.imports.import_data`), which
validates it with `rules.data` like any other import; the history goes through the
governance services with the demo users as actors, like any user's actions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.demo.disputes import load_disputes
from app.demo.exceptions import load_exceptions
from app.demo.exceptions import states as exception_states
from app.demo.generator import demo_quarters, generate_demo_data
from app.demo.history import load_plan_history
from app.demo.payouts import close_past_quarters, open_current_quarter, run_states
from app.demo.users import DemoUsers, create_demo_users
from governance.errors import GovernanceError
from governance.imports.service import import_data
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
    # What the governance history holds, per kind of object: {"payout runs": {"locked": 3}}.
    history: dict[str, dict[str, int]]
    # Seconds per step, in load order ("data", "plans", "exceptions", ...).
    timings: dict[str, float]

    @property
    def seconds(self) -> float:
        return sum(self.timings.values())

    def line(self) -> str:
        history = "; ".join(f"{what}: {_states(n)}" for what, n in self.history.items())
        history = history or "none (data only)"
        steps = ", ".join(f"{step} {s:.1f} s" for step, s in self.timings.items())
        return (
            f"Demo org loaded: {self.participants} participants, "
            f"{self.deals} deals, {self.events} events, {self.quotas} quotas over "
            f"{self.quarters[0]}..{self.quarters[-1]}; {self.users_created} demo users.\n"
            f"History: {history}.\n"
            f"Loaded in {self.seconds:.1f} s ({steps})."
        )


def _states(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {state}" for state, n in counts.items()) or "none"


def participant_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Participant)) or 0


class _Clock:
    """Seconds per step, for the summary line (where a slow load spends its time)."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.timings[step] = now - self.last
        self.last = now


def load_demo(
    session: Session, *, seed: int = 2026, deals: int = 2000, history: bool = True
) -> DemoSummary:
    """Generate and write the demo data, users and history into an empty database; flush only.

    `history=False` stops after the data and the users (tests of the data alone).

    The order is the story's: the plans (and their changes) first, then the exceptions
    (approved ones reach the runs), the closed quarters' runs, the disputes on their
    locked lines (an accepted one pays through an approved adjustment), and last the
    current quarter's draft run, which sees all of it.
    """
    clock = _Clock()
    if participant_count(session):
        raise DemoError(
            "the database already holds participants; the demo loads into an empty database"
        )
    data = generate_demo_data(seed=seed, deals=deals)
    # Exceptions go through the exceptions service below, never through the import.
    payload = {k: v for k, v in data.items() if k != "exceptions"}
    try:
        import_data(session, payload, source="accord demo")
    except InvalidData as exc:
        shown = "; ".join(str(p) for p in exc.problems[:5])
        raise DemoError(f"the import service rejected the demo data: {shown}") from exc
    users = create_demo_users(session)
    session.flush()
    clock.lap("data")
    try:
        stories = load_history(session, clock) if history else {}
    except GovernanceError as exc:  # every service refusal, disputes included
        # A service refused a step of the story: a demo bug or a changed rule, never the
        # user's input; say which refusal, and `accord demo` rolls everything back.
        details = "; ".join(f"{p.path}: {p.message}" for p in exc.problems[:5])
        raise DemoError(f"the demo history was refused: {exc} {details}".strip()) from exc
    return DemoSummary(
        participants=len(data["participants"]),
        deals=len(data["deals"]),
        quotas=len(data["quotas"]),
        events=len(data["events"]),
        quarters=tuple(q.name for q in demo_quarters()),
        users_created=len(users),
        history=stories,
        timings=clock.timings,
    )


def load_history(session: Session, clock: _Clock) -> dict[str, dict[str, int]]:
    """The governance history, step by step; counts per state of each kind of object."""
    people = DemoUsers(session)
    plans = load_plan_history(session, people)
    clock.lap("plans")
    load_exceptions(session, people)
    clock.lap("exceptions")
    close_past_quarters(session, people)
    clock.lap("closed runs")
    disputes = load_disputes(session, people)
    clock.lap("disputes")
    open_current_quarter(session, people)
    session.flush()
    clock.lap("draft run")
    return {
        "plan versions": plans,
        "exceptions": exception_states(session),  # counted last: the dispute's adjustment too
        "disputes": disputes,
        "payout runs": run_states(session),
    }
