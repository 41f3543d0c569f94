"""Concurrent writes over real HTTP (issue 12, items 3 and 8), on SQLite and PostgreSQL.

A real multi-threaded werkzeug server on a migrated database of its own; 20 requests per
burst, each on a thread of its own, released together by a barrier: votes by 20 members
on one exception, comments by 20 reviewers on one dispute, and 20 starts of one period's
payout run. None may answer 5xx, nothing answered 201 may be missing, and the audit
chain verifies afterwards. Only the HTTP API is driven (the run's worker is whatever the
app uses), so the tests outlive changes to how runs are executed.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from app.database import begin_writing
from config import TestConfig
from governance import audit
from governance.accounts import issue_token
from governance.disputes import workflow as disputes
from governance.errors import Conflict
from governance.exceptions import workflow as exceptions
from models import AuditRecord, DisputeEvent, PayoutRun, User, Vote
from models.engine import is_contention, make_engine
from tests.integration.exception_setup import (
    adjustment,
    make_person,
    setup_plan_and_data,
    waive_gate,
)
from tests.support.disputes import run_with_lines

N = 20  # requests per burst
RUN_PERIOD = "2026-Q4"  # begun; 2026-Q3 holds the hand-built locked run disputed below


@dataclass
class Live:
    url: str
    engine: object
    exception_id: int
    exception_hash: str
    dispute_id: int
    voters: list[dict[str, str]]  # N deal-desk members' headers
    reviewers: list[dict[str, str]]  # N reviewers' headers
    runner: dict[str, str]  # a comp admin's headers

    def session(self) -> Session:
        return Session(self.engine)


def _headers(session: Session, user: User) -> dict[str, str]:
    _token, secret = issue_token(session, user, "concurrency")
    return {"Authorization": f"Bearer {secret}"}


def _seed(session: Session) -> dict:
    """The plan and deals, an exception on the deal desk's route, a dispute; the people."""
    author = make_person(session, "author", "comp_admin")
    desk = make_person(session, "desk", "deal_desk")
    # A finance member who never votes: approval stays possible, so no deal-desk vote
    # decides the exception (it needs finance) and every one of the N is recorded.
    make_person(session, "finance", "committee", functions=["finance"])
    voters = [make_person(session, f"desk{i}", "deal_desk") for i in range(N)]
    reviewers = [make_person(session, f"reviewer{i}", "comp_admin") for i in range(N)]
    setup_plan_and_data(session, author)
    ana = make_person(session, "ana", "rep", participant_id="ana")
    exc = exceptions.file_exception(session, desk, waive_gate())
    assert exc.route == "below"
    lines = run_with_lines(session, "ana", "bo", period="2026-Q3", plan_key="ae-plan")
    dispute = disputes.file(session, ana, lines.ana.id, reason="D-1 was new business")
    session.flush()
    seeded = {
        "exception_id": exc.id,
        "exception_hash": exc.content_hash,
        "dispute_id": dispute.id,
        "voters": [_headers(session, user) for user in voters],
        "reviewers": [_headers(session, user) for user in reviewers],
        "runner": _headers(session, author),
    }
    session.commit()
    return seeded


@pytest.fixture(scope="module")
def live(backend, migrated_database) -> Iterator[Live]:
    from app import create_app

    with migrated_database(backend) as url:
        # The app's own way of building runs (a worker, not the request): the race of
        # item 8 is between the requests and that worker.
        app = create_app(TestConfig, {"DATABASE_URL": url, "PAYOUT_JOBS_INLINE": False})
        engine = app.extensions["accord.db"].engine
        with Session(engine) as session:
            seeded = _seed(session)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Live(f"http://127.0.0.1:{server.server_port}", engine, **seeded)
        finally:
            server.shutdown()
            thread.join()
            server.server_close()
            engine.dispose()


def _request(live: Live, method: str, path: str, headers: dict, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(live.url + path, data=data, method=method)
    for name, value in {**headers, "Content-Type": "application/json"}.items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _burst(live: Live, calls: list[tuple[str, str, dict, dict | None]]) -> list[tuple[int, dict]]:
    """Every call on a thread of its own, all released at once; (status, body) each."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def fire(i: int) -> None:
        barrier.wait()
        try:
            results[i] = _request(live, *calls[i])
        except Exception as exc:  # a dropped connection counts as a failure, visibly
            results[i] = (599, {"message": repr(exc)})

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _no_server_errors(results) -> Counter:
    statuses = Counter(status for status, _body in results)
    errors = [(s, body) for s, body in results if s >= 500]
    assert not errors, f"{len(errors)} x 5xx in {len(results)}: {errors[:3]}"
    return statuses


def _chain_verifies(live: Live) -> None:
    with live.session() as session:
        checked = audit.verify(session)
    assert checked.ok, checked.reason


def test_concurrent_votes_are_all_recorded(live):
    path = f"/api/v1/exceptions/{live.exception_id}/votes"
    ballot = {"decision": "approve", "content_hash": live.exception_hash}
    results = _burst(live, [("POST", path, headers, ballot) for headers in live.voters])

    assert _no_server_errors(results) == {201: N}
    with live.session() as session:
        votes = session.scalars(select(Vote).where(Vote.exception_id == live.exception_id))
        voters = Counter(vote.voter_id for vote in votes)
        recorded = session.scalar(
            select(func.count()).where(AuditRecord.action == "payout_exception.vote")
        )
    assert len(voters) == N and set(voters.values()) == {1}
    assert recorded == N
    # Each answer's tally counted the votes committed before it: all different, 1..N.
    counted = sorted(body["tally"]["approvals"] for _s, body in results)
    assert counted == list(range(1, N + 1))
    _chain_verifies(live)


def test_concurrent_comments_are_all_recorded(live):
    path = f"/api/v1/disputes/{live.dispute_id}/comments"
    results = _burst(
        live,
        [
            ("POST", path, headers, {"comment": f"note {i}"})
            for i, headers in enumerate(live.reviewers)
        ],
    )

    assert _no_server_errors(results) == {201: N}
    with live.session() as session:
        texts = session.scalars(
            select(DisputeEvent.comment).where(
                DisputeEvent.dispute_id == live.dispute_id, DisputeEvent.kind == "comment"
            )
        ).all()
    assert sorted(texts) == sorted(f"note {i}" for i in range(N))
    _chain_verifies(live)


def _final_state(live: Live, job_id: int) -> str:
    """Poll the job until it is no longer queued or building (a wait, not a timing)."""
    for _ in range(600):
        status, body = _request(live, "GET", f"/api/v1/payout-runs/jobs/{job_id}", live.runner)
        assert status == 200, body
        if body["state"] not in ("queued", "building"):
            return body["state"]
        time.sleep(0.1)
    pytest.fail(f"job {job_id} still {body['state']} after a minute")


def test_concurrent_run_starts_build_one_run(live):
    start = ("POST", "/api/v1/payout-runs", live.runner, {"period": RUN_PERIOD})
    results = _burst(live, [start] * N)

    statuses = _no_server_errors(results)
    assert set(statuses) <= {202, 409} and statuses[202] >= 1, statuses
    for status, body in results:
        if status == 409:
            assert f"A run of {RUN_PERIOD}" in body["message"], body
    # Every accepted job is built; none reads failed while its worker is alive.
    finals = {body["id"]: _final_state(live, body["id"]) for s, body in results if s == 202}
    assert set(finals.values()) == {"done"}, finals
    with live.session() as session:
        runs = session.scalar(
            select(func.count()).select_from(PayoutRun).where(PayoutRun.period == RUN_PERIOD)
        )
    assert runs == 1  # a later start re-runs the period's draft in place
    _chain_verifies(live)


def test_a_lock_not_had_in_time_is_contention_and_other_errors_are_not(live):
    """What the app answers 409 "try again" for (not 500): only lock collisions."""
    postgres = live.engine.dialect.name == "postgresql"
    with live.engine.connect() as holder, live.engine.connect() as waiter:
        holder.exec_driver_sql(
            "SELECT id FROM audit_chain_head FOR UPDATE" if postgres else "SELECT 1"
        )
        if not postgres:
            holder.exec_driver_sql("UPDATE audit_chain_head SET id = id")  # the write lock
            waiter.exec_driver_sql("PRAGMA busy_timeout=0")
        with pytest.raises(DBAPIError) as locked:
            sql = "SELECT id FROM audit_chain_head FOR UPDATE NOWAIT" if postgres else None
            waiter.exec_driver_sql(sql or "UPDATE audit_chain_head SET id = id")
        assert is_contention(locked.value)
        waiter.rollback()
        if not postgres:
            waiter.exec_driver_sql("PRAGMA busy_timeout=10000")
        with pytest.raises(DBAPIError) as broken:
            waiter.exec_driver_sql("SELECT no_such_column FROM audit_chain_head")
        assert not is_contention(broken.value)
        holder.rollback()


def _touch(target) -> None:
    """A write that changes nothing (every user's name to itself)."""
    target.execute(update(User).values(name=User.name))


def test_a_writer_after_a_read_writes_on_fresh_data(live):
    """The case that failed: a request reads (signing in, look-ups), another commits, then
    the first writes. Its unit of work ends the read and begins again as a writer."""
    sqlite = live.engine.dialect.name == "sqlite"
    with live.session() as reader, live.session() as writer:
        for session in (reader, writer):
            session.scalar(select(func.count()).select_from(User))  # a deferred read transaction
        with live.engine.begin() as other:
            _touch(other)  # committed after both reads began
        if sqlite:  # deferred: SQLite cannot upgrade the older snapshot, even waiting
            with pytest.raises(DBAPIError, match="database is locked"):
                _touch(reader)
        assert begin_writing(writer) is True
        assert begin_writing(writer) is False  # already writing: the same transaction
        _touch(writer)
        writer.commit()


def test_a_write_lock_not_had_in_time_is_a_conflict(live):
    if live.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL begins without waiting; its lock waits are per row")
    impatient = make_engine(live.engine.url.render_as_string(hide_password=False))
    event.listen(impatient, "connect", lambda dbapi, _r: dbapi.execute("PRAGMA busy_timeout=0"))
    try:
        with live.engine.connect() as holder, Session(impatient) as session:
            _touch(holder)  # holds the write lock, uncommitted
            with pytest.raises(Conflict, match="busy"):
                begin_writing(session)
            assert not session.in_transaction()
            holder.rollback()
            assert begin_writing(session) is True  # free again: no state left behind
    finally:
        impatient.dispose()


def test_a_lock_timeout_over_http_is_409_not_500(live):
    """PostgreSQL: a vote that cannot lock its exception in time (lock_timeout) is 409,
    nothing written; the same vote goes through once the lock is released."""
    if live.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's only wait is the BEGIN IMMEDIATE above")
    with live.session() as session:
        desk = session.scalars(select(User).where(User.email.like("desk-%"))).one()
        exc = exceptions.file_exception(session, desk, adjustment())
        headers = _headers(session, make_person(session, "late", "deal_desk"))
        session.commit()
        exc_id, content_hash = exc.id, exc.content_hash
    path, ballot = f"/api/v1/exceptions/{exc_id}/votes", {"decision": "approve"}
    ballot["content_hash"] = content_hash
    database = live.engine.url.database
    with live.engine.connect() as admin:
        admin.exec_driver_sql(f"ALTER DATABASE \"{database}\" SET lock_timeout = '200ms'")
        admin.commit()
    live.engine.dispose()  # the server's next connections take the setting
    try:
        with live.engine.connect() as holder:
            holder.exec_driver_sql(
                f"SELECT id FROM payout_exceptions WHERE id = {exc_id} FOR UPDATE"
            )
            status, body = _request(live, "POST", path, headers, ballot)
            holder.rollback()
        assert status == 409, body
        assert "Try again" in body["message"]
        assert _request(live, "POST", path, headers, ballot)[0] == 201
    finally:
        with live.engine.connect() as admin:
            admin.exec_driver_sql(f'ALTER DATABASE "{database}" RESET lock_timeout')
            admin.commit()
        live.engine.dispose()
