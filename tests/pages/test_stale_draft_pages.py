"""The stale-draft scenario over HTTP, on both databases: the run's page and the API say
a draft is stale, naming what changed and the plan versions it used by number; a vote is
refused with that sentence (409) until the period is re-run; the re-run's page and the
API show the votes voided, what changed and the payable per participant before and after.
The browser flow is in tests/e2e/test_stale_draft_page.py."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from governance.payouts import close as payout_close
from models import Vote
from models.payouts import PayoutRun
from tests.integration.payout_support import activate_plan, close_people
from tests.support.sessions import csrf_token, sign_in

API = "/api/v1/payout-runs"


@pytest.fixture
def people(db, make_user):
    return close_people(db, make_user)


def _as(app, user):
    client = app.test_client()
    assert sign_in(client, user.email).status_code == 302
    return client


def _vote(client, run):
    return client.post(
        f"/payout-runs/{run.id}/vote",
        data={
            "decision": "approve",
            "content_hash": payout_close.run_content_hash(run),
            "csrf_token": csrf_token(client),
        },
    )


def _rerun(client, period="2026-Q3"):
    """Start (re-run) the period from the page: its job (built in the request under
    TASKS_EAGER) is then done, and its page hands over to the run's with the outcome."""
    started = client.post("/payout-runs", data={"period": period, "csrf_token": csrf_token(client)})
    if started.status_code == 303:
        assert client.get(started.headers["Location"]).status_code == 303
    return started


def test_a_stale_draft_over_the_pages_and_the_api(app, db, people, token_for):
    admin, finance, revops = (_as(app, people[n]) for n in ("admin", "finance", "revops"))
    assert _rerun(admin).status_code == 303
    run = db.scalars(select(PayoutRun)).one()
    url = f"/payout-runs/{run.id}"
    assert _vote(finance, run).status_code == 303
    headers = token_for(people["revops"])
    fresh = revops.get(API + f"/{run.id}", headers=headers).get_json()
    assert (fresh["stale"], fresh["stale_changes"]) == (False, [])
    assert fresh["plan_version_labels"] == {"mgr-plan": ["mgr-plan/1"], "pay-plan": ["pay-plan/1"]}
    assert fresh["last_build"]["number"] == 1

    activate_plan(db, rate="0.03", effective=date(2026, 7, 1))
    db.commit()
    page = revops.get(url).get_data(as_text=True)
    assert 'data-testid="stale"' in page and "pay-plan: was pay-plan/1, now pay-plan/2" in page
    assert "pay-plan/1" in page.split('data-testid="plan-versions"')[1].split("</dd>")[0]
    assert 'data-testid="vote-form"' not in page and "Re-run 2026-Q3 before voting" in page
    body = revops.get(API + f"/{run.id}", headers=headers).get_json()
    assert body["stale"] is True
    [change] = body["stale_changes"]
    assert change["kind"] == "plan_versions" and change["plan"] == "pay-plan"
    assert (change["before"], change["after"]) == (["pay-plan/1"], ["pay-plan/2"])

    # The vote is refused, on the page and in the API, with the same sentence; nothing written.
    votes = db.scalar(select(func.count()).select_from(Vote))
    refused = _vote(revops, run)
    assert refused.status_code == 409
    assert "is stale: its inputs changed since it was built" in refused.get_data(as_text=True)
    api = revops.post(
        API + f"/{run.id}/votes",
        json={"decision": "approve", "content_hash": payout_close.run_content_hash(run)},
        headers=headers,
    )
    assert api.status_code == 409
    assert api.get_json()["message"].startswith(f"{run.label} is stale:")
    assert "pay-plan/2" in api.get_json()["message"]
    assert db.scalar(select(func.count()).select_from(Vote)) == votes

    # The re-run: the votes voided, what changed and the payable moved, on the page and API.
    rerun = _rerun(admin)
    assert rerun.status_code == 303
    page = admin.get(url).get_data(as_text=True)
    assert "is built (build 2)" in page and "the 1 vote(s) on the build before are void" in page
    assert 'data-testid="stale"' not in page and 'data-testid="payable-diff"' in page
    assert "1 vote(s) on the build before voided" in page
    assert "pay-plan: was pay-plan/1, now pay-plan/2" in page.split('data-testid="last-build"')[1]
    db.expire_all()
    body = revops.get(API + f"/{run.id}", headers=headers).get_json()
    assert (body["stale"], body["version"], body["last_build"]["votes_voided"]) == (False, 2, 1)
    changes = revops.get(API + f"/{run.id}/changes", headers=headers).get_json()
    assert changes["build"]["number"] == 2 and changes["total"] == len(changes["items"]) > 0
    [total] = changes["totals"]
    assert total["currency"] == "USD" and total["change"].startswith("-")
    first = changes["items"][0]
    assert set(first) == {"participant", "currency", "before", "after", "change"}
    one = revops.get(API + f"/{run.id}/changes?build=1", headers=headers).get_json()
    assert (one["build"]["number"], one["total"]) == (1, 0)
    missing = revops.get(API + f"/{run.id}/changes?build=9", headers=headers)
    assert missing.status_code == 404
    assert _vote(revops, run).status_code == 303  # a vote on the new build is taken


def test_an_identical_re_run_keeps_the_votes_on_the_page(app, db, people):
    admin, finance = _as(app, people["admin"]), _as(app, people["finance"])
    _rerun(admin)
    run = db.scalars(select(PayoutRun)).one()
    _vote(finance, run)
    _rerun(admin)
    page = admin.get(f"/payout-runs/{run.id}").get_data(as_text=True)
    assert "is built (build 2)" in page and "Nothing changed since build 1" in page
    assert "1 vote(s) on it kept" in page and "1 of 2 approvals" in page
