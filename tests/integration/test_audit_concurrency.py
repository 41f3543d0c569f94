"""Concurrent appends on PostgreSQL with real transactions: the chain never forks."""

from __future__ import annotations

import threading
import time

from sqlalchemy.orm import Session

from governance import audit
from governance.auditing import exports as audit_exports


def test_a_second_writer_waits_for_the_first_and_links_to_it(pg_engine):
    first_appended = threading.Event()
    errors: list[BaseException] = []
    timings: dict[str, float] = {}

    def first() -> None:
        try:
            with Session(pg_engine) as session:
                audit.record(session, None, "race.first", "race", 1)
                first_appended.set()
                time.sleep(0.5)  # hold the head lock while the second writer tries
                timings["first_commit"] = time.monotonic()
                session.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
            first_appended.set()

    def second() -> None:
        try:
            first_appended.wait(5)
            with Session(pg_engine) as session:
                audit.record(session, None, "race.second", "race", 2)
                timings["second_appended"] = time.monotonic()
                session.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    assert errors == []
    # The second append could only finish once the first had committed.
    assert timings["second_appended"] >= timings["first_commit"]
    with Session(pg_engine) as session:
        ok, broken, reason = audit.verify(session)
        rows = audit_exports.export_records(session, "json")
    assert (ok, broken, reason) == (True, None, None)
    assert rows.index("race.first") < rows.index("race.second")


def test_many_concurrent_writers_leave_one_gapless_chain(pg_engine):
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait(5)
            for i in range(5):
                with Session(pg_engine) as session:
                    audit.record(session, None, "race.many", "race", f"{n}-{i}")
                    session.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    with Session(pg_engine) as session:
        result = audit.verify(session)
    assert tuple(result) == (True, None, None)
    assert result.checked == 40
