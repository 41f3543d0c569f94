"""Two imports at once on PostgreSQL: the second waits for the first, then finds its rows."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import Session

from governance.imports.service import import_data
from tests.integration.test_import_service import org


def test_second_import_waits_for_the_first_to_commit(backend, request):
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers itself (see app/imports/service.py)")
    engine = request.getfixturevalue("pg_engine")  # only now: SQLite never starts PostgreSQL
    outcome: dict[str, object] = {}

    def second_import() -> None:
        with Session(engine) as session:
            try:
                outcome["report"] = import_data(session, org())
                session.commit()
            except Exception as exc:  # reported by the assertion below
                outcome["error"] = exc

    with Session(engine) as first:
        report = import_data(first, org())
        assert report.counts["deals"].created == 2
        other = threading.Thread(target=second_import)
        other.start()
        other.join(timeout=1.5)
        assert other.is_alive(), "the second import did not wait for the first"
        first.commit()
    other.join(timeout=60)
    assert "error" not in outcome, outcome.get("error")
    second = outcome["report"]
    assert second.changed is False
    assert second.counts["deals"].unchanged == 2
