"""The payout runs page lists the runs being built, with their progress; a build job's
own page refreshes itself while it is built, explains a failure, and hands over to the
run once done. (Tasks run eagerly here, TASKS_EAGER: the page's contract; real workers
build runs in tests/integration/test_worker_e2e.py.)"""

from __future__ import annotations

from sqlalchemy import select

from app import jobs
from app.job_progress import ProgressFiles
from models import PayoutRunJob
from tests.integration.payout_support import load
from tests.support.sessions import csrf_token, sign_in


def test_the_runs_page_shows_jobs_being_built_with_their_progress(app, db, make_user, backend):
    building = jobs.create_job(db, None, "2026-Q3")
    queued = jobs.create_job(db, None, "2026-Q4")
    building.state = "building"
    if backend == "postgresql":  # the worker reports progress on the row there
        building.progress_done, building.progress_total = 250, 1000
    db.commit()
    files = ProgressFiles.of(db)
    if files is not None:  # SQLite: in the file beside the database
        files.put(building.id, 250, 1000)
    client = app.test_client()
    assert sign_in(client, make_user("auditor").email).status_code == 302
    try:
        page = client.get("/payout-runs").get_data(as_text=True)
        job_page = client.get(f"/payout-runs/jobs/{building.id}").get_data(as_text=True)
    finally:
        if files is not None:
            files.drop(building.id)
    section = page[
        page.index('data-testid="jobs"') : page.index(
            "</section>", page.index('data-testid="jobs"')
        )
    ]
    assert "2026-Q3" in section and '<progress value="250" max="1000">' in section
    assert "250 of 1000" in section
    assert "2026-Q4" in section and "reading and evaluating" in section
    assert f'href="/payout-runs/jobs/{queued.id}"' in section
    assert '<meta http-equiv="refresh" content="2">' in job_page
    assert "250 of 1000 participants" in job_page and 'data-state="building"' in job_page
    queued_page = client.get(f"/payout-runs/jobs/{queued.id}").get_data(as_text=True)
    assert "waiting for a worker" in queued_page
    building.state = queued.state = "failed"
    db.commit()
    # Once nothing is being built, the section is gone.
    assert 'data-testid="jobs"' not in client.get("/payout-runs").get_data(as_text=True)


def test_a_failed_build_job_page_says_why_and_stops_refreshing(app, db, make_user):
    load(db)  # deals, but no plan version in force
    db.commit()
    client = app.test_client()
    assert sign_in(client, make_user("comp_admin").email).status_code == 302
    started = client.post(
        "/payout-runs", data={"period": "2026-Q3", "csrf_token": csrf_token(client)}
    )
    assert started.status_code == 303
    page = client.get(started.headers["Location"])
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-state="failed"' in text
    assert "No plan version governs" in text and "no active plan version governs 2026-Q3" in text
    assert "http-equiv" not in text and "Nothing was written" in text
    assert db.scalars(select(PayoutRunJob.state)).all() == ["failed"]
    assert client.get("/payout-runs/jobs/999999").status_code == 404
