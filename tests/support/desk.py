"""The deal desk's test world: the exception tests' plan and deals, ana named "Ana
Lima", and a 2026-Q3 run in which D-2 is blocked by `margin-floor` (tests/integration/
exception_setup.py)."""

from __future__ import annotations

from governance.payouts.runs import start_run
from models import Participant
from tests.integration.exception_setup import people, setup_plan_and_data


def desk_world(db, *, run: bool = True) -> dict:
    """The people of exception_setup (committed), after the data and (with `run`) the run."""
    crew = people(db)
    setup_plan_and_data(db, crew["author"])
    db.get(Participant, "ana").name = "Ana Lima"
    if run:
        start_run(db, None, "2026-Q3")
    db.commit()
    return crew
