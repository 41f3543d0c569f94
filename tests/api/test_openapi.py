"""The API's OpenAPI document is served (that the committed openapi.json is what the code
generates: tests/unit/test_app_without_database.py)."""

from __future__ import annotations


def test_openapi_served_at_api_openapi_json(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["info"]["title"] == "Accord"
    assert any(path.startswith("/api/v1/") for path in doc["paths"])
