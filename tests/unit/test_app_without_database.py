"""The app built with no database behind it: /healthz says the database is unreachable,
and the committed openapi.json is what the code generates (`make openapi` rewrites it)."""

from __future__ import annotations

import json
from pathlib import Path

from config import TestConfig

COMMITTED = Path(__file__).resolve().parents[2] / "openapi.json"


def test_healthz_reports_unreachable_database_with_503():
    from app import create_app

    # A file inside a folder that does not exist: SQLite cannot open it.
    app = create_app(TestConfig, {"DATABASE_URL": "sqlite:////nonexistent/dir/accord.db"})
    response = app.test_client().get("/healthz")
    app.extensions["accord.db"].engine.dispose()
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "down"
    assert body["database"] == "unreachable"
    assert body["broker"] == "ok"  # memory://: this process can still queue
    assert body["reason"]


def test_committed_openapi_matches_code():
    from app import create_app

    app = create_app(TestConfig)
    generated = app.extensions["accord.api"].spec.to_dict()
    committed = json.loads(COMMITTED.read_text())
    assert committed == json.loads(json.dumps(generated)), (
        "openapi.json is stale: run `make openapi` and commit it"
    )
