"""Large imports and statement exports as background jobs (app/background/), over HTTP.

API-contract tests: TestConfig runs tasks eagerly (in the request, after the job row was
committed and its task "published"), through sessions bound to the test's connection.
A real Redis server and Celery worker run them in tests/integration/test_background_e2e.py.
"""

from __future__ import annotations

import csv
import io
import json
import socket

import pytest
from sqlalchemy import func, select

from app.background import jobs
from governance.queueing import STRANDED_AFTER
from models import AuditRecord, Deal, Job, Participant
from tests.api.test_imports import FIXTURES
from tests.support.payout_close import advance_run
from tests.support.statements import demo_runs

IMPORTS = "/api/v1/imports"
EXPORTS = "/api/v1/statements/exports"


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


@pytest.fixture
def admin(make_user, token_for):
    return token_for(make_user("comp_admin"))


@pytest.fixture
def small_threshold(app):
    """Bodies of 100 bytes or more go to the background (the fixtures are small)."""
    app.config["IMPORT_ASYNC_BYTES"] = 100


def _org() -> str:
    return (FIXTURES / "org.json").read_text()


def test_a_large_import_answers_202_and_its_job_reports_as_the_request_would(
    client, db, admin, small_threshold
):
    response = client.post(IMPORTS, data=_org(), content_type="application/json", headers=admin)
    assert response.status_code == 202, response.json
    job = response.json
    assert response.headers["Location"].endswith(f"/api/v1/jobs/{job['id']}")
    assert (job["kind"], job["state"], job["download_url"]) == ("import", "done", None)
    polled = client.get(response.headers["Location"], headers=admin).json
    assert polled["state"] == "done" and polled["problems"] == []
    assert polled["worker"] == socket.gethostname() and polled["attempts"] == 1
    assert count(db, Deal) == 2
    # The same body again, in the request: the report the job gave, now "unchanged".
    sync = client.post(
        IMPORTS + "?background=false", data=_org(), content_type="application/json", headers=admin
    )
    assert sync.status_code == 200
    report = polled["result"]
    assert report["counts"]["deals"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert set(report) == set(sync.json)
    assert sync.json["counts"]["deals"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert report["sources"] == sync.json["sources"] and report["dry_run"] is False
    # The uploaded body is dropped once the job has finished; the report stays.
    db.expire_all()
    row = db.get(Job, job["id"])
    assert row.input is None and row.parameters["format"] == "json"


def test_a_small_import_stays_in_the_request_and_background_true_queues_it(client, db, admin):
    small = client.post(IMPORTS, data=_org(), content_type="application/json", headers=admin)
    assert small.status_code == 201 and "counts" in small.json
    assert count(db, Job) == 0
    forced = client.post(
        IMPORTS + "?background=true", data=_org(), content_type="application/json", headers=admin
    )
    assert forced.status_code == 202 and forced.json["state"] == "done"
    assert forced.json["result"]["counts"]["deals"]["unchanged"] == 2


def test_a_queued_csv_import_fails_with_the_located_problems_and_writes_nothing(
    client, db, admin, small_threshold
):
    text = "id,amount,currency,close_date,owner\nD-1,ten,USD,2026-07-14,ghost\n" * 3
    sync = client.post(
        IMPORTS + "?background=false", data=text, content_type="text/csv", headers=admin
    )
    assert sync.status_code == 422
    before = db.scalar(select(func.max(AuditRecord.id)))
    queued = client.post(IMPORTS, data=text, content_type="text/csv", headers=admin)
    assert queued.status_code == 202
    job = client.get(queued.headers["Location"], headers=admin).json
    assert job["state"] == "failed"
    assert job["message"] == sync.json["message"] == "The import was rejected; nothing was written."
    assert [(p["path"], p["message"]) for p in job["problems"]] == [
        (e["path"], e["message"]) for e in sync.json["errors"]
    ]
    assert job["problems"][0]["path"] == "upload.csv row 2, column amount"
    assert count(db, Deal) == 0
    failed = db.scalars(select(AuditRecord).where(AuditRecord.id > (before or 0))).all()
    assert [r.action for r in failed] == ["job.failed"]
    assert failed[0].payload["problems"] == job["problems"]


def test_a_queued_multipart_csv_and_a_dry_run(client, db, admin, small_threshold):
    people = (FIXTURES / "participants.csv").read_bytes()
    dry = client.post(
        IMPORTS + "?dry_run=true",
        data={"file": (io.BytesIO(people), "people.csv"), "kind": "participants"},
        content_type="multipart/form-data",
        headers=admin,
    )
    assert dry.status_code == 202
    assert dry.json["result"]["dry_run"] is True
    assert dry.json["result"]["counts"]["participants"]["created"] == 6
    assert count(db, Participant) == 0  # a dry run writes nothing
    real = client.post(
        IMPORTS,
        data={"file": (io.BytesIO(people), "people.csv"), "kind": "participants"},
        content_type="multipart/form-data",
        headers=admin,
    )
    assert real.json["state"] == "done" and real.json["result"]["sources"] == ["people.csv"]
    assert count(db, Participant) == 6


def test_a_bad_body_or_mapping_is_refused_in_the_request_even_when_large(
    client, db, admin, small_threshold
):
    mapping = client.post(
        IMPORTS,
        data={
            "file": (io.BytesIO(b"x" * 200), "deals.csv"),
            "mapping": (io.BytesIO(b"extends: nothing-like-it\n"), "m.yaml"),
        },
        content_type="multipart/form-data",
        headers=admin,
    )
    assert mapping.status_code == 422
    assert mapping.json["message"] == "The mapping was rejected; nothing was written."
    assert count(db, Job) == 0
    broken = '{"deals": [1,' + " " * 200
    bad_json = client.post(
        IMPORTS + "?background=true", data=broken, content_type="application/json", headers=admin
    )
    assert bad_json.status_code == 202, bad_json.json  # read by the worker: located there
    job = client.get(bad_json.headers["Location"], headers=admin).json
    sync = client.post(
        IMPORTS + "?background=false", data=broken, content_type="application/json", headers=admin
    )
    assert (job["state"], job["message"]) == ("failed", "The body is not valid JSON.")
    assert sync.json["message"] == job["message"] and sync.json["errors"] == job["problems"]
    assert job["problems"][0]["path"] == "line 1, column 214"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_with_the_broker_down_a_large_import_and_an_export_are_503_and_nothing_is_written(
    app, client, db, admin, small_threshold
):
    before = db.scalar(select(func.max(AuditRecord.id)))
    celery = app.extensions["accord.celery"]
    celery.conf.task_always_eager = False
    celery.conf.broker_url = f"redis://127.0.0.1:{_closed_port()}/0"
    response = client.post(IMPORTS, data=_org(), content_type="application/json", headers=admin)
    assert response.status_code == 503, response.json
    assert response.json["code"] == 503 and "nothing was written" in response.json["message"]
    assert response.json["errors"] == []
    export = client.post(EXPORTS, json={"format": "csv"}, headers=admin)
    assert export.status_code == 503 and export.json["status"] == "Service Unavailable"
    db.expire_all()
    assert count(db, Job) == 0 and count(db, Deal) == 0
    assert db.scalar(select(func.max(AuditRecord.id))) == before
    celery.conf.task_always_eager = True  # the broker is back
    again = client.post(IMPORTS, data=_org(), content_type="application/json", headers=admin)
    assert again.status_code == 202 and again.json["state"] == "done"


def test_a_job_is_read_by_its_requester_and_its_kinds_readers_only(
    client, db, admin, make_user, token_for, small_threshold
):
    job_id = client.post(IMPORTS, data=_org(), content_type="application/json", headers=admin).json[
        "id"
    ]
    other_admin = token_for(make_user("comp_admin"))
    assert client.get(f"/api/v1/jobs/{job_id}", headers=other_admin).status_code == 200
    for role in ("rep", "auditor", "committee"):
        headers = token_for(make_user(role, functions=["finance"] if role == "committee" else ()))
        got = client.get(f"/api/v1/jobs/{job_id}", headers=headers)
        assert got.status_code == 404 and got.json["message"] == f"No job {job_id}."
    assert client.get(f"/api/v1/jobs/{job_id}").status_code == 401
    # An import has no file to download.
    assert client.get(f"/api/v1/jobs/{job_id}/download", headers=admin).status_code == 404
    assert client.get("/api/v1/jobs/999999", headers=admin).status_code == 404


# --------------------------------------------------------------------------- exports


@pytest.fixture
def runs(db):
    found = demo_runs(db)
    db.commit()
    return found


def test_a_whole_run_export_is_a_job_whose_file_equals_the_synchronous_export(
    client, db, runs, admin
):
    run_id, files = runs["2026-Q3"].id, {}
    for fmt in ("csv", "json"):
        response = client.post(EXPORTS, json={"run": run_id, "format": fmt}, headers=admin)
        assert response.status_code == 202, response.json
        job = response.json
        assert (job["kind"], job["state"]) == ("statement_export", "done")
        assert job["download_url"].endswith(f"/api/v1/jobs/{job['id']}/download")
        assert job["result"]["file"] == f"statements-run-{run_id}.{fmt}"
        got = client.get(job["download_url"], headers=admin)
        assert got.status_code == 200
        assert got.headers["Content-Disposition"] == (
            f'attachment; filename="statements-run-{run_id}.{fmt}"'
        )
        assert got.mimetype == ("text/csv" if fmt == "csv" else "application/json")
        sync = client.get(
            "/api/v1/statements/export", query_string={"run": run_id, "format": fmt},
            headers=admin,
        )  # fmt: skip
        assert got.data == sync.data and job["result"]["bytes"] == len(sync.data)
        files[fmt] = got.text
    rows = list(csv.DictReader(io.StringIO(files["csv"])))
    assert len({r["participant"] for r in rows}) > 3  # the whole run


def test_a_reps_export_holds_their_own_statements_and_only_they_download_it(
    client, db, runs, make_user, token_for
):
    ana = token_for(make_user("rep", participant_id="ana"))
    early = client.post(EXPORTS, json={"period": "2026-Q3", "format": "json"}, headers=ana).json
    unpublished = json.loads(client.get(early["download_url"], headers=ana).data)
    assert unpublished["statements"] == []  # Q3 is not published: nothing of it for a rep
    advance_run(db, runs["2026-Q3"], "published")
    job = client.post(EXPORTS, json={"period": "2026-Q3", "format": "json"}, headers=ana).json
    assert job["state"] == "done"
    body = json.loads(client.get(job["download_url"], headers=ana).data)
    assert {st["participant"] for st in body["statements"]} == {"ana"}
    raj = token_for(make_user("rep", participant_id="raj"))
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=raj).status_code == 404
    assert client.get(job["download_url"], headers=raj).status_code == 404
    # Ana's manager reads her statements, but not the file Ana asked for: their own.
    mia = token_for(make_user("manager", participant_id="mia"))
    assert client.get(job["download_url"], headers=mia).status_code == 404
    auditor = token_for(make_user("auditor"))  # reads every statement
    assert client.get(job["download_url"], headers=auditor).status_code == 200
    desk = token_for(make_user("deal_desk"))
    assert client.post(EXPORTS, json={"format": "csv"}, headers=desk).status_code == 403
    bad = client.post(EXPORTS, json={"format": "xml", "period": "Q3"}, headers=ana)
    assert bad.status_code == 422
    assert {e["path"] for e in bad.json["errors"]} == {"json.format", "json.period"}


def test_a_file_is_downloaded_once_the_job_is_done_only(client, db, runs, admin, app):
    celery = app.extensions["accord.celery"]
    celery.conf.task_always_eager = False
    celery.conf.broker_url = "memory://"  # accepted, never run here
    job = client.post(EXPORTS, json={"format": "csv"}, headers=admin).json
    celery.conf.task_always_eager = True
    assert job["state"] == "queued" and job["download_url"] is None
    early = client.get(f"/api/v1/jobs/{job['id']}/download", headers=admin)
    assert early.status_code == 409 and early.json["errors"][0]["path"] == "state"


# --------------------------------------------------------------------------- the worker


def test_the_worker_checks_the_requester_again_and_a_done_job_is_left_alone(app, db, make_user):
    rep, admin = make_user("rep"), make_user("comp_admin")
    body = _org().encode()
    params = {"format": "json", "name": "body.json", "kind": None, "mapping": None,
              "ignore_unknown_columns": False, "correction": False, "dry_run": False}  # fmt: skip
    not_allowed = Job(kind="import", requested_by_id=rep.id, parameters=params, input=body)
    gone = Job(kind="import", requested_by_id=admin.id, parameters=params, input=body)
    db.add_all([not_allowed, gone])
    db.flush()
    admin.is_active = False
    db.commit()
    sessions = app.extensions["accord.db"].sessionmaker
    assert jobs.execute(sessions, not_allowed.id, actor_id=rep.id) == "failed"
    assert jobs.execute(sessions, gone.id, actor_id=admin.id) == "failed"
    db.expire_all()
    assert "data.import" in db.get(Job, not_allowed.id).message
    assert db.get(Job, gone.id).message == "The user who queued the job is no longer active."
    assert count(db, Deal) == 0
    # A delivery of a finished job (a redelivery, a sweep) does nothing.
    admin.is_active = True
    ok = Job(kind="import", requested_by_id=admin.id, parameters=params, input=body)
    db.add(ok)
    db.commit()
    assert jobs.execute(sessions, ok.id, actor_id=admin.id) == "done"
    assert jobs.execute(sessions, ok.id, actor_id=admin.id) == "done"
    db.expire_all()
    assert db.get(Job, ok.id).attempts == 1 and count(db, Deal) == 2
    # A task whose actor is not the job's requester is refused.
    forged = Job(kind="import", requested_by_id=admin.id, parameters=params, input=body)
    db.add(forged)
    db.commit()
    assert jobs.execute(sessions, forged.id, actor_id=rep.id) == "failed"


def test_metrics_count_background_jobs_by_kind_and_state(client, db, admin, small_threshold):
    client.post(IMPORTS, data=_org(), content_type="application/json", headers=admin)
    client.post(IMPORTS, data="id,amount\n" + "x," * 60, content_type="text/csv", headers=admin)
    text = client.get("/metrics").get_data(as_text=True)
    assert 'accord_background_jobs{kind="import",state="done"} 1.0' in text
    assert 'accord_background_jobs{kind="import",state="failed"} 1.0' in text
    assert 'accord_background_jobs{kind="import",state="queued"} 0.0' in text


def test_the_sweep_publishes_a_job_stranded_before_its_publish(app, db, make_user):
    """A web process that died between the job's commit and its publish: the sweep
    (beat, every minute) publishes it once it is older than STRANDED_AFTER."""
    from models.base import utcnow

    admin = make_user("comp_admin")
    params = {"format": "csv"}
    old = Job(kind="statement_export", requested_by_id=admin.id, parameters=params,
              created_at=utcnow() - STRANDED_AFTER * 2)  # fmt: skip
    new = Job(kind="statement_export", requested_by_id=admin.id, parameters=params)
    db.add_all([old, new])
    db.commit()
    sweep = app.extensions["accord.celery"].tasks["accord.background.sweep"]
    with app.app_context():
        assert sweep.apply().get() == [old.id]
    db.expire_all()
    assert db.get(Job, old.id).state == "done" and db.get(Job, old.id).published_at
    assert db.get(Job, new.id).state == "queued"  # young: perhaps being published now


def test_a_job_left_running_by_a_lost_worker_is_done_by_the_next_delivery(app, db, make_user):
    """Celery redelivers the task of a worker lost mid-job (acks late): the job is found
    `running`, claimed again and done once; after MAX_ATTEMPTS claims it is failed."""
    admin = make_user("comp_admin")
    params = {"format": "csv"}
    lost = Job(kind="statement_export", state="running", attempts=1,
               requested_by_id=admin.id, parameters=params)  # fmt: skip
    hopeless = Job(kind="statement_export", state="running", attempts=jobs.MAX_ATTEMPTS,
                   requested_by_id=admin.id, parameters=params)  # fmt: skip
    db.add_all([lost, hopeless])
    db.commit()
    sessions = app.extensions["accord.db"].sessionmaker
    assert jobs.execute(sessions, lost.id, actor_id=admin.id, worker="celery@b") == "done"
    assert jobs.execute(sessions, hopeless.id, actor_id=admin.id) == "failed"
    db.expire_all()
    done = db.get(Job, lost.id)
    assert (done.attempts, done.worker, done.output_name) == (2, "celery@b", "statements-all.csv")
    failed = db.get(Job, hopeless.id)
    assert failed.message.startswith(f"The job was started {jobs.MAX_ATTEMPTS} times")


def test_the_list_holds_the_callers_own_jobs_newest_first(
    client, db, admin, make_user, token_for, small_threshold
):
    first = client.post(IMPORTS, data=_org(), content_type="application/json", headers=admin)
    second = client.post(EXPORTS, json={"format": "csv"}, headers=admin)
    other = token_for(make_user("comp_admin"))
    client.post(EXPORTS, json={"format": "json"}, headers=other)
    mine = client.get("/api/v1/jobs", headers=admin).json
    assert [j["id"] for j in mine["items"]] == [second.json["id"], first.json["id"]]
    assert mine["total"] == 2 and mine["items"][0]["download_url"]
    imports_only = client.get("/api/v1/jobs?kind=import&per_page=1", headers=admin).json
    assert [j["kind"] for j in imports_only["items"]] == ["import"]
    assert (imports_only["total"], imports_only["per_page"]) == (1, 1)
    assert client.get("/api/v1/jobs?kind=payroll", headers=admin).status_code == 422
    assert client.get("/api/v1/jobs").status_code == 401


# ------------------------------------------------------------- progress and files' expiry


def test_a_running_imports_progress_is_polled_and_a_done_one_counts_every_record(
    app, client, db, admin, make_user, monkeypatch, small_threshold
):
    from app.background import progress

    monkeypatch.setattr(progress, "EVERY", 0.0)  # a write per call
    requester = make_user("comp_admin")
    job = Job(kind="import", state="running", requested_by_id=requester.id, parameters={})
    db.add(job)
    db.commit()

    def polled() -> tuple:
        body = client.get(f"/api/v1/jobs/{job.id}", headers=admin).json
        return body["state"], body["progress_done"], body["progress_total"]

    with app.app_context():
        report = progress.Progress(db, job.id, 10)  # what the worker's import calls
        assert polled() == ("running", 0, 10)
        report(4)
        assert polled() == ("running", 4, 10)
        report(9)
        assert polled() == ("running", 10, 10)
        report.drop()
    answer = client.post(IMPORTS, data=_org(), content_type="application/json", headers=admin)
    assert answer.status_code == 202, answer.json
    done = answer.json  # every record read (participants, assignments, quotas, deals...)
    assert done["state"] == "done" and done["progress_done"] == done["progress_total"] > 0


def test_an_exports_file_is_deleted_after_its_keeping_time_then_410(app, client, db, runs, admin):
    from datetime import timedelta

    from models.base import utcnow

    old, recent = (
        client.post(EXPORTS, json={"format": "csv"}, headers=admin).json for _ in range(2)
    )
    db.get(Job, old["id"]).finished_at = utcnow() - timedelta(days=8)
    db.get(Job, recent["id"]).finished_at = utcnow() - timedelta(days=6)
    db.commit()
    expire = app.extensions["accord.celery"].tasks["accord.background.expire"]
    with app.app_context():
        assert expire.apply().get() == [old["id"]]
        assert expire.apply().get() == []  # once
    gone = client.get(old["download_url"], headers=admin)
    assert gone.status_code == 410 and "deleted" in gone.json["message"]
    polled = client.get(f"/api/v1/jobs/{old['id']}", headers=admin).json
    assert polled["download_url"] is None and polled["output_expired_at"]
    assert polled["state"] == "done" and polled["result"]["file"]
    assert client.get(recent["download_url"], headers=admin).status_code == 200
    db.expire_all()
    assert db.get(Job, old["id"]).output is None
    app.config["EXPORT_KEEP_DAYS"] = 5
    with app.app_context():
        assert expire.apply().get() == [recent["id"]]
