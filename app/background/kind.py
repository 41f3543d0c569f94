"""What a kind of background job supplies to the mechanism (app/background/jobs.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from governance.permissions import Actor
from models.jobs import Job


@dataclass(frozen=True)
class Outcome:
    """What a job's work produced: `result` (shown when polled), an optional file, and
    `keep=False` for work to roll back (a dry run) while the job still becomes done."""

    result: dict[str, Any]
    output: bytes | None = None
    output_name: str | None = None
    output_type: str | None = None
    keep: bool = True


@dataclass(frozen=True)
class Kind:
    """`run` does the work as `actor` (permissions re-checked there) in `session`,
    flushing only; `readers` is the permission that reads anyone's job of this kind (the
    requester always reads their own); `rejected` is the message of a refusal that
    carries problems but no message of its own (bad import data)."""

    name: str
    run: Callable[[Session, Actor, Job], Outcome]
    readers: str
    rejected: str = "The job was refused; nothing was written."
