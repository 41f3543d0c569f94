"""A change request's impact computed by a real Celery worker (`accord worker`) on a real
Redis, submitted to the app under gunicorn (`accord serve`): no eager tasks.

The submission answers at once; the impact is polled over HTTP until a worker stored
it, and equals the simulation computed in-process over the same data. Computing it
again over unchanged data is matched to the stored result by the worker.
"""

from __future__ import annotations

import json
import time

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.demo.history import EXAMPLES
from governance import audit
from governance.accounts import create_user, issue_token
from governance.plans import change_requests
from models import ImpactResult
from tests.conftest import BACKENDS, PASSWORD
from tests.integration.test_worker_e2e import deploy, redis  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow
BASE = "/api/v1/plans/ae-plan/versions/2"


def _poll(deployment, until) -> dict:
    end = time.monotonic() + 180
    while True:
        status, body, _ = deployment.web.request("GET", f"{BASE}/impact", token=deployment.token)
        assert status == 200, body
        if until(body) or time.monotonic() > end:
            return body
        time.sleep(0.2)


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="PostgreSQL not selected")
def test_a_submitted_change_is_simulated_by_a_worker(deploy, redis):  # noqa: F811
    deployment = deploy("postgresql", redis.url)
    document = yaml.safe_load((EXAMPLES / "ae-plan.yaml").read_text(encoding="utf-8"))
    document.pop("tests", None)  # its data files are beside the example, not in a body
    document["title"] += " (revised)"
    document = json.loads(json.dumps(document, default=str))  # YAML's dates as text
    web, token = deployment.web, deployment.token
    status, body, _ = web.request("POST", "/api/v1/plans", document, token=token)
    assert status == 201, body
    status, body, _ = web.request(
        "POST", f"{BASE}/submit", {"effective_from": "2027-01-01"}, token=token
    )
    assert status == 200, body

    shown = _poll(deployment, lambda b: b["impact_state"] in ("done", "failed"))
    assert shown["impact_state"] == "done", (shown, deployment.logs())
    with Session(deployment.engine) as session:
        [row] = session.scalars(select(ImpactResult)).all()
        assert (row.state, row.attempts, row.published_at is not None) == ("done", 1, True)
        inputs, impact = change_requests.compute_impact(session, row.subject_id)
    assert shown["impact"] == impact and len(impact["participants"]) > 5
    assert shown["impact_inputs_hash"] == audit.sha256_json(inputs) == row.inputs_hash

    with Session(deployment.engine) as session:
        member = create_user(
            session, email="finance@example.test", name="Fin", password=PASSWORD,
            roles=["committee"], functions=["finance"],
        )  # fmt: skip
        _token, member_token = issue_token(session, member, "e2e")
        session.commit()
    status, body, _ = web.request("POST", f"{BASE}/impact", token=member_token)
    assert status == 202, body
    again = _poll(deployment, lambda b: not b["impact_recomputing"])
    assert again["impact_inputs_hash"] == row.inputs_hash, deployment.logs()
    with Session(deployment.engine) as session:
        rows = session.scalars(select(ImpactResult)).all()
        assert [(r.id, r.state) for r in rows] == [(row.id, "done")]  # matched, not stored
        assert rows[0].checked_at > row.checked_at
