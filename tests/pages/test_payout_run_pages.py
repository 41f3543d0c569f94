"""Payout-run pages through Flask's test client, on both databases.

The browser flow is in tests/e2e/test_payout_run_pages.py; here: a period started from
the list page, the detail page's facts, the vote form only for those who may vote (and
why not for the others), refusals that write nothing, the lock and the payroll link.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from governance.payouts import close as payout_close
from models import Vote
from models.payouts import PayoutRun
from tests.integration.payout_support import activate_plan, load
from tests.support.payout_close import make_run
from tests.support.sessions import csrf_token, sign_in


@pytest.fixture
def people(make_user):
    return {
        "admin": make_user("comp_admin"),
        "finance": make_user("committee", functions=["finance"]),
        "revops": make_user("committee", functions=["revops"]),
        "auditor": make_user("auditor"),
        "rep": make_user("rep"),
        "boss": make_user("admin"),  # may vote and run: shows the own-run refusal
    }


def _as(app, user):
    client = app.test_client()
    assert sign_in(client, user.email).status_code == 302
    return client


def _vote(client, run, decision="approve", comment="", content_hash=None):
    return client.post(
        f"/payout-runs/{run.id}/vote",
        data={
            "decision": decision,
            "comment": comment,
            "content_hash": content_hash or payout_close.run_content_hash(run),
            "csrf_token": csrf_token(client),
        },
    )


def test_start_a_period_vote_it_through_and_lock_it(app, db, people):
    activate_plan(db)
    load(db)
    db.commit()
    admin = _as(app, people["admin"])
    listing = admin.get("/payout-runs").get_data(as_text=True)
    assert 'data-testid="start-form"' in listing and "No payout runs yet" in listing
    started = admin.post(
        "/payout-runs", data={"period": "2026-Q3", "csrf_token": csrf_token(admin)}
    )
    assert started.status_code == 303
    # The form queues a job (built in the request under TASKS_EAGER: API-contract test);
    # the job's page, once it is done, hands over to the run's page with the outcome.
    job_url = started.headers["Location"]
    assert job_url.startswith("/payout-runs/jobs/")
    handed = admin.get(job_url)
    assert handed.status_code == 303
    url = handed.headers["Location"]
    run = db.scalars(select(PayoutRun)).one()
    own = admin.get(url).get_data(as_text=True)
    assert "is built (build 1)" in own and run.input_data_hash in own
    assert payout_close.run_content_hash(run) in own
    assert f"{run.statement_count} statements" in own and 'data-testid="totals"' in own
    assert "USD" in own and 'data-testid="vote-form"' not in own  # no changes.vote
    assert "committee members" in own and 'data-testid="lock-form"' not in own
    assert 'data-testid="rerun-form"' in own and 'data-testid="payroll"' not in own
    assert "function:finance, function:revops" in own  # still missing

    finance = _as(app, people["finance"])
    page = finance.get(url).get_data(as_text=True)
    assert 'data-testid="vote-form"' in page and 'data-testid="start-form"' not in page
    assert _vote(finance, run).status_code == 303
    after = finance.get(url).get_data(as_text=True)
    assert "Your approval is recorded" in after and "1 of 2 approvals" in after
    assert "You have already voted (approve)" in after and 'data-testid="vote-form"' not in after

    revops = _as(app, people["revops"])
    assert _vote(revops, run).status_code == 303
    approved = revops.get(url).get_data(as_text=True)
    assert "The run is approved" in approved and "votes are taken on drafts only" in approved

    locked = admin.post(f"{url}/lock", data={"csrf_token": csrf_token(admin)})
    assert locked.status_code == 303
    final = admin.get(url).get_data(as_text=True)
    assert "is locked" in final and 'data-testid="payroll"' in final
    assert f"/api/v1/statements/runs/{run.id}/payroll" in final
    db.expire_all()
    assert db.get(PayoutRun, run.id).state == "locked"
    rows = admin.get("/payout-runs").get_data(as_text=True)
    assert "2026-Q3" in rows and "badge locked" in rows


def test_who_sees_what_and_why_the_vote_form_is_absent(app, db, people):
    run = make_run(db, people["boss"])
    db.commit()
    url = f"/payout-runs/{run.id}"
    own = _as(app, people["boss"]).get(url).get_data(as_text=True)
    assert "You started this run" in own and 'data-testid="vote-form"' not in own
    auditor = _as(app, people["auditor"])
    seen = auditor.get(url).get_data(as_text=True)
    assert "committee members" in seen and 'data-testid="rerun-form"' not in seen
    assert 'href="/payout-runs"' in auditor.get("/").get_data(as_text=True)  # the nav
    rep = _as(app, people["rep"])
    assert rep.get(url).status_code == 403 and rep.get("/payout-runs").status_code == 403
    assert 'href="/payout-runs"' not in rep.get("/").get_data(as_text=True)
    assert auditor.get("/payout-runs/999999").status_code == 404


def test_refusals_rerender_with_the_reason_and_write_nothing(app, db, people):
    run = make_run(db, people["admin"])
    db.commit()
    finance = _as(app, people["finance"])
    no_reason = _vote(finance, run, "reject")
    assert no_reason.status_code == 422 and 'data-testid="vote-form"' in no_reason.get_data(
        as_text=True
    )
    other = _vote(finance, run, content_hash="sha256:" + "1" * 64)
    assert other.status_code == 409 and "is not a vote on it" in other.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Vote)) == 0

    admin = _as(app, people["admin"])
    early = admin.post(f"/payout-runs/{run.id}/lock", data={"csrf_token": csrf_token(admin)})
    assert early.status_code == 409 and "cannot become locked" in early.get_data(as_text=True)
    bad = admin.post("/payout-runs", data={"period": "2026-Q9", "csrf_token": csrf_token(admin)})
    assert bad.status_code == 422 and "Not a period" in bad.get_data(as_text=True)
    db.expire_all()
    assert db.get(PayoutRun, run.id).state == "draft"

    rejected = _vote(finance, run, "reject", "FX rates are stale")
    assert rejected.status_code == 303
    page = finance.get(f"/payout-runs/{run.id}").get_data(as_text=True)
    assert "The run is rejected" in page and "FX rates are stale" in page
    revops = _as(app, people["revops"]).get(f"/payout-runs/{run.id}").get_data(as_text=True)
    assert "re-run the period once what it is computed from is fixed" in revops


def test_discard_a_draft_and_start_a_period_early_from_the_pages(app, db, people):
    activate_plan(db)
    load(db)
    draft = make_run(db, people["admin"], "2026-Q1")
    db.commit()
    admin = _as(app, people["admin"])
    page = admin.get(f"/payout-runs/{draft.id}").get_data(as_text=True)
    assert 'data-testid="discard-form"' in page
    rep_page = _as(app, people["finance"]).get(f"/payout-runs/{draft.id}").get_data(as_text=True)
    assert 'data-testid="discard-form"' not in rep_page
    token = csrf_token(admin)
    blank = admin.post(f"/payout-runs/{draft.id}/discard", data={"csrf_token": token})
    assert blank.status_code == 422 and db.get(PayoutRun, draft.id).state == "draft"
    done = admin.post(
        f"/payout-runs/{draft.id}/discard",
        data={"reason": "started before the import", "csrf_token": token},
        follow_redirects=True,
    )
    assert "is discarded: it never pays" in done.get_data(as_text=True)
    db.expire_all()
    assert db.get(PayoutRun, draft.id).state == "discarded"

    refused = admin.post("/payout-runs", data={"period": "2099-Q1", "csrf_token": token})
    assert refused.status_code == 422 and "2099-Q1 has not begun" in refused.get_data(as_text=True)
    early = admin.post(
        "/payout-runs", data={"period": "2099-Q1", "early": "on", "csrf_token": token}
    )
    assert early.status_code == 303
    shown = admin.get(early.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "2099-Q1" in shown and "is built (build 1)" in shown
    assert db.scalars(select(PayoutRun.state).where(PayoutRun.period == "2099-Q1")).one() == "draft"
