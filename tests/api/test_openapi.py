"""The committed openapi.json is what the code serves; regenerate with `make openapi`."""

from __future__ import annotations

import json
from pathlib import Path

from config import TestConfig

COMMITTED = Path(__file__).resolve().parents[2] / "openapi.json"


def test_openapi_served_at_api_openapi_json(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["info"]["title"] == "Accord"
    assert any(path.startswith("/api/v1/") for path in doc["paths"])


def test_committed_openapi_matches_code():
    from app import create_app

    app = create_app(TestConfig)
    generated = app.extensions["accord.api"].spec.to_dict()
    committed = json.loads(COMMITTED.read_text())
    assert committed == json.loads(json.dumps(generated)), (
        "openapi.json is stale: run `make openapi` and commit it"
    )
