"""/healthz and the JSON error envelope."""

from __future__ import annotations


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    # TestConfig runs tasks in the request (eager): no workers to count.
    assert response.get_json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "workers": {"status": "eager", "alive": 0},
    }


def test_unknown_api_route_is_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    body = response.get_json()
    assert body["code"] == 404
    assert body["status"] == "Not Found"
    assert body["message"]
    assert body["errors"] == []


def test_wrong_method_is_json_405(client):
    response = client.put("/api/v1/me")
    assert response.status_code == 405
    assert response.get_json()["code"] == 405
    # RFC 9110: a 405 says which methods the resource has.
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_405_on_an_api_page_and_a_page_lists_the_allowed_methods(client):
    response = client.delete("/api/v1/plans")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}
    assert client.delete("/healthz").headers["Allow"]


def test_unknown_page_is_html_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_api_requires_authentication(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.get_json()["status"] == "Unauthorized"


def test_validation_errors_are_listed_with_paths(client, make_user, token_for):
    headers = token_for(make_user("rep"))
    response = client.post("/api/v1/me/tokens", json={"name": "", "bogus": 1}, headers=headers)
    assert response.status_code == 422
    body = response.get_json()
    paths = sorted(e["path"] for e in body["errors"])
    assert paths == ["json.bogus", "json.name"]


def test_malformed_json_body_is_400_not_500(client, make_user, token_for):
    headers = {**token_for(make_user("rep")), "Content-Type": "application/json"}
    response = client.post("/api/v1/me/tokens", data="{not json", headers=headers)
    assert response.status_code == 400
    assert response.get_json()["code"] == 400
