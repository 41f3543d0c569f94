"""The embedded broker survives processes that open one fresh broker file at once (the
web process publishing while a worker starts): kombu's own transport lets the loser of
the race to create a table or the `celery` queue's row fail (app/tasks/embedded_broker.py).
"""

from __future__ import annotations

import multiprocessing
import sqlite3

from kombu import Connection

from app.tasks import embedded_broker

PROCESSES = 6
ROUNDS = 10


def _open_and_declare(url: str, barrier, outcomes) -> None:
    """One process: open the broker (its tables), then create the queue, each step when
    all processes are ready for it, so that both races happen."""
    try:
        barrier.wait(timeout=30)
        with Connection(url) as connection:
            channel = connection.default_channel
            barrier.wait(timeout=30)
            channel._get_or_create("celery")
            channel._put("celery", {"body": "from a racer"})
        outcomes.put("ok")
    except Exception as exc:  # reported to the test, which names it
        outcomes.put(repr(exc))


def test_the_sqla_scheme_uses_the_race_safe_transport(tmp_path):
    embedded_broker.register()
    with Connection(f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}") as connection:
        assert isinstance(connection.transport, embedded_broker.Transport)


def test_processes_racing_on_a_fresh_broker_file_all_succeed(tmp_path):
    embedded_broker.register()
    fork = multiprocessing.get_context("fork")
    for round_ in range(ROUNDS):
        path = tmp_path / f"broker-{round_}.sqlite"
        barrier, outcomes = fork.Barrier(PROCESSES), fork.Queue()
        racer_args = (f"sqla+sqlite:///{path}", barrier, outcomes)
        racers = [fork.Process(target=_open_and_declare, args=racer_args) for _ in range(PROCESSES)]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(timeout=60)
        results = [outcomes.get(timeout=5) for _ in racers]
        assert results == ["ok"] * PROCESSES, f"round {round_}: {results}"
        with sqlite3.connect(path) as db:
            assert db.execute("select name from kombu_queue").fetchall() == [("celery",)]
            assert db.execute("select count(*) from kombu_message").fetchone() == (PROCESSES,)
