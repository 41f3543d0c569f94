"""Hostile numbers and nesting get a 4xx with the envelope, never a 500 (issue 12,
items 1 and 2 for path ids and JSON bodies; app/limits.py)."""

from __future__ import annotations

import pytest

from tests.support.sessions import sign_in

BEYOND = 2**63  # the driver raised OverflowError (a 500) before
LARGEST = 2**31 - 1  # id columns are INTEGER


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/statements/{BEYOND}",
        f"/api/v1/statements/{LARGEST + 1}",
        f"/api/v1/payout-runs/{BEYOND}",
        f"/api/v1/exceptions/{BEYOND}",
        f"/api/v1/disputes/{BEYOND}",
        "/api/v1/statements/32589158477190044731",
    ],
)
def test_an_api_id_beyond_the_database_range_is_a_404(client, make_user, token_for, url):
    response = client.get(url, headers=token_for(make_user("comp_admin")))
    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_the_largest_id_is_looked_up_and_not_found(client, make_user, token_for):
    headers = token_for(make_user("comp_admin"))
    response = client.get(f"/api/v1/statements/{LARGEST}", headers=headers)
    assert response.status_code == 404
    assert response.get_json()["message"] != "Not Found"  # the view looked it up


@pytest.mark.parametrize("page", ["/payout-runs/{}", "/exceptions/{}", "/statements/{}"])
def test_a_page_id_beyond_the_database_range_is_a_404(client, make_user, page):
    assert sign_in(client, make_user("comp_admin").email).status_code == 302
    assert client.get(page.format(BEYOND)).status_code == 404
    assert client.get(page.format(LARGEST)).status_code == 404


def test_deeply_nested_json_is_refused_with_where(client, make_user, token_for):
    headers = {**token_for(make_user("deal_desk")), "Content-Type": "application/json"}
    body = "[" * 5000 + "]" * 5000
    for url in ("/api/v1/exceptions", "/api/v1/me/tokens", "/api/v1/imports"):
        response = client.post(url, data=body, headers=headers)
        assert response.status_code == 422, url
        envelope = response.get_json()
        assert envelope["message"] == "The JSON body is nested too deeply; nothing was changed."
        assert envelope["errors"] == [
            {
                "path": "$",
                "message": "nested deeper than 64 levels (level 65 opens at character 64)",
                "severity": "error",
            }
        ]


def test_nesting_within_the_limit_reaches_validation(client, make_user, token_for):
    headers = {**token_for(make_user("rep")), "Content-Type": "application/json"}
    body = '{"name": ' + "[" * 60 + "]" * 60 + "}"
    response = client.post("/api/v1/me/tokens", data=body, headers=headers)
    assert response.status_code == 422
    assert [e["path"] for e in response.get_json()["errors"]] == ["json.name"]


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("/api/v1/audit?actor_id=-6850875092363244793312", "query.actor_id"),
        ("/api/v1/audit?page=32589158477190044731", "query.page"),
        ("/api/v1/plans/ae-plan/diff?from=32589158477190044731&to=1", "query.from"),
    ],
)
def test_a_query_integer_beyond_the_range_is_a_located_422(client, make_user, token_for, url, path):
    response = client.get(url, headers=token_for(make_user("auditor")))
    assert response.status_code == 422
    assert [e["path"] for e in response.get_json()["errors"]] == [path]


@pytest.mark.parametrize(
    "page", ["/audit?page={}", "/statements?page={}", "/plans/ae-plan/diff?from={}&to=1"]
)
def test_a_page_query_integer_beyond_the_range_is_read_as_absent(client, make_user, page):
    assert sign_in(client, make_user("auditor").email).status_code == 302
    assert client.get(page.format(BEYOND)).status_code < 500


def _refused_for_nul(response, *paths: str) -> None:
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    envelope = response.get_json()
    assert envelope["message"] == "A value contains a NUL character; nothing was changed."
    assert [e["path"] for e in envelope["errors"]] == list(paths)


def test_a_nul_in_a_query_or_path_is_a_located_422(client, make_user, token_for):
    """PostgreSQL text cannot hold NUL: the driver's DataError was a 500 (schemathesis)."""
    headers = token_for(make_user("comp_admin"))
    _refused_for_nul(
        client.get("/api/v1/payout-runs?period=2026%00", headers=headers), "query.period"
    )
    _refused_for_nul(client.get("/api/v1/plans/qu%00ota", headers=headers), "path.key")


def test_a_nul_in_a_json_string_is_located_and_nothing_is_written(client, make_user, token_for):
    user = make_user("rep")
    headers = token_for(user)
    before = len(client.get("/api/v1/me/tokens", headers=headers).get_json())
    body = '{"name": "ci\\u0000", "extra": [{"k\\u0000": 1}]}'
    response = client.post(
        "/api/v1/me/tokens", data=body, headers={**headers, "Content-Type": "application/json"}
    )
    _refused_for_nul(response, "$.name", "$.extra[0] (a key)")
    assert len(client.get("/api/v1/me/tokens", headers=headers).get_json()) == before
    # An escaped backslash before "u0000" is text, not a NUL: it reaches validation.
    literal = client.post("/api/v1/me/tokens", json={"name": "c:\\u0000"}, headers=headers)
    assert literal.status_code == 201, literal.get_json()


def test_a_nul_in_a_form_field_is_refused(client, make_user):
    user = make_user("rep")
    response = sign_in(client, user.email.replace("@", "\x00@"))
    assert response.status_code == 422  # the error page, not a 500 from the driver
    assert "A value contains a NUL character" in response.get_data(as_text=True)
    assert sign_in(client, user.email).status_code == 302


def test_a_multipart_part_without_a_name_is_not_a_500(client, make_user, token_for):
    """Werkzeug keys a nameless part None (schemathesis found the 500 it caused)."""
    body = (
        b"--x\r\nContent-Disposition: form-data\r\n\r\nw\r\n"
        b'--x\r\nContent-Disposition: form-data; name="kind"\r\n\r\nde\x00als\r\n--x--\r\n'
    )
    headers = {
        **token_for(make_user("comp_admin")),
        "Content-Type": "multipart/form-data; boundary=x",
    }
    _refused_for_nul(client.post("/api/v1/imports", data=body, headers=headers), "form.kind")
    response = client.post("/api/v1/imports", data=body.replace(b"\x00", b""), headers=headers)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]
    assert response.get_json()["message"]
