"""Benchmark: what sealing the audit chain costs an append, and what verifying costs.

    .venv/bin/python bench/audit_chain.py [--records 5000] [--backends sqlite,postgresql]

Per backend, appends N records through `governance.audit.record` in one transaction on a
fresh database three ways: at revision 0014 with the old single flush (the record and
the head together), at 0014 with today's two flushes (record, then head), and at head
(0016's triggers); then times `verify`, taking an anchor and checking one. Wall clock,
plus this process's CPU time (all of SQLite's work; PostgreSQL's runs in the server):
on a shared machine compare CPU times, or run it when the machine is quiet.

The figures: docs/security.md, "Audit chain anchors".
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy.orm import Session  # noqa: E402

from governance import audit  # noqa: E402
from governance.auditing import anchors  # noqa: E402
from models import schema  # noqa: E402
from models.engine import make_engine  # noqa: E402

KEY = anchors.anchor_key({"AUDIT_ANCHOR_KEY": "bench"})


def _one_flush(session, actor, action, obj_type, obj_id, payload=None):
    """`audit.record` as it was before 0016: the record and the head in one flush."""
    head = audit._lock_head(session)
    entry = audit.AuditRecord(
        id=head.last_id + 1,
        at=audit.utcnow(),
        actor_id=None,
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        payload=audit._plain(dict(payload or {})),
        prev_hash=head.last_hash,
    )
    entry.record_hash = audit.compute_hash(entry)
    session.add(entry)
    head.last_id, head.last_hash = entry.id, entry.record_hash
    session.flush()
    return entry


def _appends(url: str, n: int, record) -> tuple[float, float]:
    """(wall clock, this process's CPU) seconds: SQLite's work is all in this process's CPU
    time, which neighbours on a shared machine do not inflate."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            start, cpu = time.perf_counter(), time.process_time()
            for i in range(n):
                record(session, None, "bench.appended", "thing", i, payload={"n": i})
            session.commit()
            return time.perf_counter() - start, time.process_time() - cpu
    finally:
        engine.dispose()


def _timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    out = action()
    return time.perf_counter() - start, out


def bench(name: str, new_url, n: int) -> None:
    for label, revision, record in (
        ("0014, one flush", "0014", _one_flush),
        ("0014, two flushes", "0014", audit.record),
        ("0016 triggers", "head", audit.record),
    ):
        url = new_url()
        schema.upgrade(url, revision)
        _appends(url, 200, record)  # warm up
        wall, cpu = _appends(url, n, record)
        print(
            f"{name} {label}: {n} appends {wall:.2f} s, {wall / n * 1e6:.0f} us each"
            f" (CPU here {cpu / n * 1e6:.0f} us)"
        )
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            verify_s, result = _timed(lambda: audit.verify(session))
            take_s, document = _timed(lambda: anchors.take(session, KEY))
            anchor = anchors.parse(document, KEY, "bench")
            check_s, _ = _timed(lambda: anchors.check(session, [anchor]))
    finally:
        engine.dispose()
    print(
        f"{name}: verify {result.checked} records {verify_s:.2f} s, anchor {take_s:.2f} s,"
        f" verify --anchor {check_s:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    count = iter(range(1000))
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                bench("sqlite", lambda: f"sqlite:///{tmp}/b{next(count)}.db", args.records)
                continue
            from tests.support.postgres import TempPostgres

            server = TempPostgres()
            server.start()
            try:
                new_url = server.create_database
                bench("postgresql", lambda new=new_url: new(f"b{next(count)}"), args.records)
            finally:
                server.stop()


if __name__ == "__main__":
    main()
