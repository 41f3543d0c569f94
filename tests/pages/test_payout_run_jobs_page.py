"""The payout runs page lists the runs being built for the API, with their progress."""

from __future__ import annotations

from app import jobs
from models import PayoutRunJob
from tests.support.sessions import sign_in


def test_the_runs_page_shows_jobs_being_built_with_their_progress(app, db, make_user):
    building = jobs.create_job(db, None, "2026-Q3")
    queued = jobs.create_job(db, None, "2026-Q4")
    # Its process is gone (this process, not working on it): not shown as being built.
    db.add(PayoutRunJob(period="2026-Q2", state="queued", worker=jobs.this_worker()))
    building.state = "building"
    db.commit()
    try:
        jobs.registry.update(building.id, 250, 1000)  # what the run reports
        client = app.test_client()
        assert sign_in(client, make_user("auditor").email).status_code == 302
        page = client.get("/payout-runs").get_data(as_text=True)
        section = page[
            page.index('data-testid="jobs"') : page.index(
                "</section>", page.index('data-testid="jobs"')
            )
        ]
        assert "2026-Q3" in section and '<progress value="250" max="1000">' in section
        assert "250 of 1000" in section
        assert "2026-Q4" in section and "reading and evaluating" in section
        assert "2026-Q2" not in section
    finally:
        jobs.forget(building.id)
        jobs.forget(queued.id)
    # Once nothing is working on them, the section is gone.
    assert 'data-testid="jobs"' not in client.get("/payout-runs").get_data(as_text=True)
