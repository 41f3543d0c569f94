"""The one failure policy of queued work (app/tasks/queueing.py `failing`), which payout
run steps, background jobs and impact simulations share: what is retried, what fails
the row, with which message, and that the caller's code after the block runs."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from app.tasks.queueing import Failure, failing
from governance.errors import Conflict, RunRejected
from governance.queueing import QueuedRows, TryLater
from rules.problems import InvalidData, Problem

ROWS = QueuedRows(model=None, active=("queued",), label="thing")


class Session:
    rolled_back = 0

    def rollback(self) -> None:
        self.rolled_back += 1


def guarded(error: BaseException | None, **options):
    """Run a step raising `error` under the policy: (failures recorded, step, session,
    whether the code after the block ran)."""
    failures: list[tuple[int | None, Failure]] = []
    session = Session()
    after = False
    with failing(
        ROWS, 7, "step", lambda step, f: failures.append((step.actor_id, f)), session, **options
    ) as step:
        if error is not None:
            raise error
    after = True
    return failures, step, session, after


def test_a_step_that_succeeds_fails_nothing():
    failures, step, session, after = guarded(None)
    assert (failures, step.failed, session.rolled_back, after) == ([], False, 0, True)


@pytest.mark.parametrize(
    "error",
    [TryLater("lock held"), OperationalError("SELECT 1", {}, Exception("database is locked"))],
)
def test_a_busy_database_is_retried_and_fails_nothing(error):
    failures: list = []
    session = Session()
    policy = failing(ROWS, 7, "step", lambda *a: failures.append(a), session)
    with pytest.raises(TryLater, match="lock"), policy:
        raise error
    assert failures == [] and session.rolled_back == 1


def test_more_busy_errors_can_be_named_by_the_caller():
    policy = failing(ROWS, 7, "claim", lambda *a: None, busy_too=(Conflict,))
    with pytest.raises(TryLater, match="busy"), policy:
        raise Conflict("The database is busy")


def test_a_refusal_fails_the_row_with_its_message_problems_and_kind():
    problems = [Problem("period", "not begun")]
    failures, step, session, after = guarded(RunRejected("Not begun.", problems), actor_id=3)
    assert step.failed and after and session.rolled_back == 1
    [(actor_id, failure)] = failures
    assert actor_id == 3
    assert (failure.refused, failure.message, failure.problems, failure.refusal) == (
        True,
        "Not begun.",
        tuple(problems),
        "RunRejected",
    )


def test_a_conflict_is_a_refusal_unless_the_caller_says_it_means_busy():
    failures, step, _, _ = guarded(Conflict("Changed meanwhile."))
    assert step.failed and failures[0][1].refusal == "Conflict"


def test_problems_without_a_message_are_a_refusal_without_a_kind():
    problems = [Problem("deals[0].amount", "not a number")]
    failures, step, _, after = guarded(InvalidData(problems))
    [(_, failure)] = failures
    assert (failure.refused, failure.message, failure.problems, failure.refusal) == (
        True,
        None,
        tuple(problems),
        None,
    )
    assert isinstance(failure.error, InvalidData) and after


def test_anything_else_is_logged_and_fails_the_row_as_unexpected(caplog):
    failures, step, _, after = guarded(ZeroDivisionError("bug"))
    [(_, failure)] = failures
    assert step.failed and after
    assert (failure.refused, failure.message, failure.problems) == (False, None, ())
    assert isinstance(failure.error, ZeroDivisionError)
    assert "thing 7, step failed" in caplog.text


def test_the_actor_can_be_set_once_the_row_is_read():
    failures: list = []
    with failing(ROWS, 7, "step", lambda step, f: failures.append(step.actor_id)) as step:
        step.actor_id = 11
        raise RunRejected("no")
    assert failures == [11]
