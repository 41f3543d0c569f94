"""A change request's impact simulation, computed by a Celery task (issue 13).

Tasks run eagerly (TestConfig's TASKS_EAGER) after the submitting transaction committed,
on both databases; "queued" states are made by submitting through governance without
publishing (what a request sees before a worker picked the task up).
"""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.tasks import EXTENSION
from app.tasks.impacts import SWEEP, compute
from governance.plans import change_requests, lifecycle
from governance.plans.tally import change_request_of, voted_hash
from models import AuditRecord, Deal, ImpactResult
from models.base import utcnow
from tests.integration.committee import committee, import_history, plan_text
from tests.support.sessions import sign_in

BASE = "/api/v1/plans/ae-plan/versions/1"
YAML = {"Content-Type": "application/yaml"}


@pytest.fixture
def people(db, make_user):
    found = committee(make_user)
    import_history(db)
    db.commit()
    return found


@pytest.fixture
def tokens(people, token_for):
    return {name: token_for(user) for name, user in people.items()}


def _submit_over_api(client, tokens):
    created = client.post(
        "/api/v1/plans", data=plan_text("0.08"), headers={**tokens["author"], **YAML}
    )
    assert created.status_code == 201, created.get_json()
    answer = client.post(
        f"{BASE}/submit", json={"effective_from": "2026-01-01"}, headers=tokens["author"]
    )
    assert answer.status_code == 200, answer.get_json()


def _rows(db) -> list[ImpactResult]:
    db.expire_all()
    return list(db.scalars(select(ImpactResult).order_by(ImpactResult.id)))


def _impact_records(db) -> list[AuditRecord]:
    return list(
        db.scalars(
            select(AuditRecord)
            .where(AuditRecord.action == "change_request.impact_computed")
            .order_by(AuditRecord.id)
        )
    )


def test_a_submission_queues_the_impact_and_a_worker_computes_what_the_request_did(
    client, db, people, tokens
):
    _submit_over_api(client, tokens)
    body = client.get(f"{BASE}/impact", headers=tokens["finance"]).get_json()
    assert body["impact_state"] == "done" and body["impact_recomputing"] is False
    [row] = _rows(db)
    assert (row.state, row.subject_type, row.requested_by_id) == (
        "done",
        "change_request",
        people["author"].id,
    )
    assert body["impact_inputs_hash"] == row.inputs_hash and row.published_at is not None
    # The same numbers as the synchronous simulation of the same request.
    version = lifecycle.get_version(db, "ae-plan", 1)
    request = change_request_of(db, version)
    _inputs, expected = change_requests.compute_impact(db, request.id)
    assert body["impact"] == expected and row.result == expected
    assert expected["replaced"] is None and expected["total"]["before"] == "0.00"  # a new plan
    assert [r["participant"] for r in expected["top"]] == ["ana", "bo"]
    assert row.inputs["proposed"] == {"label": "ae-plan/1", "content_hash": version.content_hash}
    assert row.inputs["periods"] == body["impact"]["periods"]
    # Audited as the user who submitted it (the task carries them).
    [record] = _impact_records(db)
    assert (record.actor_id, record.object_id) == (people["author"].id, str(request.id))
    assert record.payload["reused"] is False


def test_computing_again_matches_unchanged_inputs_and_stores_changed_ones(
    client, db, people, tokens
):
    _submit_over_api(client, tokens)
    [first] = _rows(db)
    again = client.post(f"{BASE}/impact", headers=tokens["finance"])
    assert again.status_code == 202, again.get_json()
    assert again.headers["Location"].endswith(f"{BASE}/impact")
    assert again.get_json()["impact_state"] == "done"
    [row] = _rows(db)  # same inputs: matched, not stored twice
    assert row.id == first.id and row.checked_at >= first.checked_at
    assert _impact_records(db)[-1].payload["reused"] is True

    # New data in the window: a different inputs hash, a second result, shown now.
    db.execute(update(Deal).where(Deal.id == "A-0").values(amount=200000))
    db.commit()
    assert client.post(f"{BASE}/impact", headers=tokens["sales"]).status_code == 202
    old, new = _rows(db)
    assert old.id == first.id and new.state == "done" and new.inputs_hash != old.inputs_hash
    assert new.inputs["data_hash"] != old.inputs["data_hash"]
    assert new.inputs["proposed"] == old.inputs["proposed"]
    body = client.get(f"{BASE}/impact", headers=tokens["finance"]).get_json()
    assert body["impact_inputs_hash"] == new.inputs_hash
    assert body["impact"]["total"] != old.result["total"]


def _submitted_for_the_worker(db, people):
    """A draft at 8% submitted today, its impact left to the worker (committed)."""
    version = lifecycle.create_draft(db, people["author"], plan_text("0.08"))
    lifecycle.submit(
        db,
        people["author"],
        "ae-plan",
        version.number,
        effective_from=utcnow().date(),
        impact_on_worker=True,
    )
    db.commit()
    return version


def test_the_task_is_idempotent(app, db, people):
    _submitted_for_the_worker(db, people)
    [row] = _rows(db)
    assert row.state == "queued" and row.published_at is None
    with app.app_context():
        assert compute(row.id) == "done"
    with app.app_context():
        assert compute(row.id) == "skipped"  # a duplicate delivery writes nothing
    [done] = _rows(db)
    assert done.state == "done" and done.attempts == 1
    assert len(_impact_records(db)) == 1


def test_no_vote_before_the_committee_can_see_the_impact(app, client, db, people, tokens):
    version = _submitted_for_the_worker(db, people)
    content_hash = voted_hash(db, version)
    body = client.get(f"{BASE}/impact", headers=tokens["finance"]).get_json()
    assert body["impact_state"] == "queued" and body["impact"]["participants"] == []
    assert body["impact"]["periods"] and body["impact_inputs_hash"] is None
    vote = {"decision": "approve", "content_hash": content_hash}
    refused = client.post(f"{BASE}/votes", json=vote, headers=tokens["finance"])
    assert refused.status_code == 409
    assert "still being computed" in refused.get_json()["message"]

    # The page says so and refreshes itself; no vote form.
    page_client = app.test_client()
    assert sign_in(page_client, people["finance"].email).status_code == 302
    page = page_client.get("/committee/changes/ae-plan/1").get_data(as_text=True)
    assert 'http-equiv="refresh"' in page and 'data-testid="impact-computing"' in page
    assert 'value="approve"' not in page

    [row] = _rows(db)
    with app.app_context():
        assert compute(row.id) == "done"
    page = page_client.get("/committee/changes/ae-plan/1").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page and 'data-testid="total-delta"' in page
    assert client.post(f"{BASE}/votes", json=vote, headers=tokens["finance"]).status_code == 201


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_broker_down_submission_stands_and_the_sweep_publishes_its_impact(app, client, db, tokens):
    celery = app.extensions[EXTENSION]
    celery.conf.task_always_eager = False
    celery.conf.broker_url = f"redis://127.0.0.1:{_closed_port()}/0"
    _submit_over_api(client, tokens)  # the committee's request is submitted anyway
    [row] = _rows(db)
    assert row.state == "queued" and row.published_at is None

    # Computing again while the broker is down: 503, nothing more queued.
    refused = client.post(f"{BASE}/impact", headers=tokens["finance"])
    assert refused.status_code == 503 and refused.get_json()["code"] == 503
    assert [r.id for r in _rows(db)] == [row.id]

    # The broker is back: the sweep publishes the stranded row a minute later.
    celery.conf.task_always_eager = True
    db.execute(update(ImpactResult).values(created_at=utcnow() - timedelta(minutes=2)))
    db.commit()
    assert celery.tasks[SWEEP].apply_async().get() == [row.id]
    [done] = _rows(db)
    assert done.state == "done" and done.published_at is not None


def test_a_decided_request_is_not_computed_again(client, db, tokens):
    _submit_over_api(client, tokens)
    withdrawn = client.post(f"{BASE}/withdraw", json={}, headers=tokens["author"])
    assert withdrawn.status_code == 200, withdrawn.get_json()
    refused = client.post(f"{BASE}/impact", headers=tokens["finance"])
    assert refused.status_code == 409
    assert client.post(f"{BASE}/impact", headers=tokens["rep"]).status_code == 403
