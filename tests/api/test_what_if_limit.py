"""What-if estimates are limited per user (app/auth/throttle.py, `limit_what_if`): each
runs the engine twice over the rep's data and saves nothing, so past the limit the API
answers 429 with the envelope and `Retry-After`, and the home page's estimator says so in
its form (429 too), without evaluating. Other users keep their own allowance. Both
databases; each app counts in its own memory."""

from __future__ import annotations

import pytest

from config import Config, TestConfig
from governance import periods
from tests.support.estimates import TODAY, ae_plan_active
from tests.support.sessions import sign_in

URL = "/api/v1/me/estimate"
BODY = {"amount": "250000", "close_date": "2026-08-20", "gross_margin": "0.5"}


@pytest.fixture
def limited_app(app_with):
    """The app with a limit of 2 estimates per minute per user."""
    return app_with(ESTIMATE_LIMIT_PER_USER="2 per minute")


@pytest.fixture
def reps(db, make_user, monkeypatch):
    monkeypatch.setattr(periods, "today", lambda: TODAY)
    ae_plan_active(db, make_user("comp_admin"))
    db.commit()
    return make_user("rep", participant_id="ana"), make_user("rep", participant_id="raj")


def test_the_default_is_30_estimates_a_minute():
    assert TestConfig.ESTIMATE_LIMIT_PER_USER == Config.ESTIMATE_LIMIT_PER_USER == "30 per minute"


def test_past_the_limit_the_api_answers_429_with_retry_after(limited_app, reps, token_for):
    ana, raj = reps
    client = limited_app.test_client()
    headers = token_for(ana)
    assert [client.post(URL, json=BODY, headers=headers).status_code for _ in range(2)] == [
        200,
        200,
    ]
    refused = client.post(URL, json=BODY, headers=headers)
    assert refused.status_code == 429
    body = refused.get_json()
    assert set(body) == {"code", "status", "message", "errors"} and body["code"] == 429
    assert body["message"] == "Too many estimates. Try again in 1 minute."
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Another rep's estimates are counted on their own.
    assert client.post(URL, json=BODY, headers=token_for(raj)).status_code == 200


def test_bad_input_is_refused_before_it_counts(limited_app, reps, token_for):
    ana, _raj = reps
    client = limited_app.test_client()
    headers = token_for(ana)
    for _ in range(3):  # the schema refuses it before the view: no engine, no count
        assert client.post(URL, json={"amount": "lots"}, headers=headers).status_code == 422
    assert client.post(URL, json=BODY, headers=headers).status_code == 200


def test_the_home_page_estimator_says_so_in_its_form(limited_app, reps):
    ana, _raj = reps
    client = limited_app.test_client()
    sign_in(client, ana.email)
    query = {"amount": "250000", "close_date": "2026-08-20"}
    assert [client.get("/", query_string=query).status_code for _ in range(2)] == [200, 200]
    page = client.get("/", query_string=query)
    assert page.status_code == 429 and 1 <= int(page.headers["Retry-After"]) <= 60
    assert "Too many estimates. Try again in 1 minute." in page.get_data(as_text=True)
    assert client.get("/").status_code == 200  # the home page itself is not limited
