"""The plan editor, the approve/activate forms and /my-plan through Flask's test client,
on both databases. The browser flow is tests/e2e/test_plan_editor.py."""

from __future__ import annotations

import re
from datetime import date

import pytest

from governance.plans import lifecycle
from governance.plans.lookup import get_plan, get_version
from models import AuditRecord, PlanAcknowledgement
from tests.integration.committee import import_history, plan_text
from tests.support.database import count_rows
from tests.support.sessions import csrf_token, signed_in


@pytest.fixture
def people(db, make_user):
    import_history(db)  # ana and bo, assigned to ae-plan
    return {
        "author": make_user("comp_admin"),
        "committee": make_user("committee", functions=["finance"]),
        "rep": make_user("rep", participant_id="ana"),
        "stranger": make_user("rep"),
    }


@pytest.fixture
def active(db, people):
    """ae-plan 1 active at 6%; ana and bo are assigned to it."""
    author = people["author"]
    lifecycle.create_draft(db, author, plan_text("0.06", tiers=True))
    lifecycle.submit(db, author, "ae-plan", 1, effective_from=date(2025, 1, 1))
    lifecycle.approve(db, None, "ae-plan", 1)
    lifecycle.activate(db, author, "ae-plan", 1)
    db.commit()


def _new_draft(client) -> str:
    response = client.post("/plans/ae-plan/draft", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303
    return response.headers["Location"]


def test_a_new_draft_opens_the_editor_with_the_current_text(app, db, people, active):
    client = signed_in(app, people["author"])
    versions = client.get("/plans/ae-plan").get_data(as_text=True)
    assert 'data-testid="new-draft-form"' in versions
    assert _new_draft(client) == "/plans/ae-plan/2/edit"
    page = client.get("/plans/ae-plan/2/edit").get_data(as_text=True)
    assert "rate: 0.06" in page and 'data-testid="document"' in page
    assert "No problems: lint and the embedded tests pass." in page
    assert 'src="/static/plan-editor.js"' in page and "<script>" not in page
    assert "The plan has no active version" not in page  # 1 is active: the diff section
    assert 'data-testid="submit-form"' in page
    again = client.get("/plans/ae-plan").get_data(as_text=True)
    assert 'href="/plans/ae-plan/2/edit"' in again and 'data-testid="new-draft-form"' not in again


def test_check_shows_each_problem_at_its_line_and_writes_nothing(app, db, people, active):
    client = signed_in(app, people["author"])
    _new_draft(client)
    text = plan_text("six", tiers=True)
    response = client.post(
        "/plans/ae-plan/2/edit",
        data={"csrf_token": csrf_token(client), "action": "check", "document": text},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<span class="where">line 12</span>' in page
    assert "rule <code>new-business</code>" in page and "$.rates[0].rate" in page
    assert '<span class="bad">12</span>' in page  # the gutter marks the line
    assert "rate: six" in page  # the text as posted stays in the editor
    assert "rate: 0.06" in get_version(db, "ae-plan", 2).document


def test_the_json_check_answers_lines_and_needs_the_csrf_header(app, db, people, active):
    client = signed_in(app, people["author"])
    _new_draft(client)
    body = {"document": plan_text("six")}
    assert client.post("/plans/ae-plan/2/check", json=body).status_code == 400  # no token
    response = client.post(
        "/plans/ae-plan/2/check", json=body, headers={"X-CSRFToken": csrf_token(client)}
    )
    answer = response.get_json()
    assert response.status_code == 200 and answer["blocking"] is True
    assert [(p["line"], p["path"], p["rule"]) for p in answer["problems"]] == [
        (12, "$.rates[0].rate", "new-business")
    ]
    bad_json = client.post(
        "/plans/ae-plan/2/check", json=["x"], headers={"X-CSRFToken": csrf_token(client)}
    )
    assert bad_json.status_code == 400


def test_save_is_a_put_with_the_revision_read(app, db, people, active):
    client = signed_in(app, people["author"])
    _new_draft(client)
    editor = client.get("/plans/ae-plan/2/edit").get_data(as_text=True)
    revision = re.search(r'name="expected_revision" value="(\d+)"', editor)[1]
    db.expire_all()
    assert int(revision) == get_plan(db, "ae-plan").revision
    form = {"csrf_token": csrf_token(client), "action": "save", "expected_revision": revision}

    refused = client.post("/plans/ae-plan/2/edit", data={**form, "document": plan_text("six")})
    assert refused.status_code == 422
    assert '<span class="where">line 12</span>' in refused.get_data(as_text=True)
    audits = count_rows(db, AuditRecord)

    saved = client.post("/plans/ae-plan/2/edit", data={**form, "document": plan_text("0.08")})
    assert saved.status_code == 303
    db.expire_all()
    assert "rate: 0.08" in get_version(db, "ae-plan", 2).document
    assert count_rows(db, AuditRecord) == audits + 1
    page = client.get("/plans/ae-plan/2/edit").get_data(as_text=True)
    assert "<del>6%</del> → <ins>8%</ins>" in page  # the readable diff against 1

    stale = client.post("/plans/ae-plan/2/edit", data={**form, "document": plan_text("0.09")})
    assert stale.status_code == 409
    assert "reload it" in stale.get_data(as_text=True)
    assert "rate: 0.09" in stale.get_data(as_text=True)  # the edit is not lost on screen
    db.expire_all()
    assert "rate: 0.08" in get_version(db, "ae-plan", 2).document


def test_approve_without_votes_says_why_and_activate_puts_in_force(app, db, people, active):
    author = people["author"]
    lifecycle.create_draft(db, author, plan_text("0.08", tiers=True))
    lifecycle.submit(db, author, "ae-plan", 2, effective_from=date(2026, 1, 1))
    db.commit()
    member = signed_in(app, people["committee"])
    assert 'data-testid="approve-form"' in member.get("/plans/ae-plan/2").get_data(as_text=True)
    refused = member.post("/plans/ae-plan/2/approve", data={"csrf_token": csrf_token(member)})
    assert refused.status_code == 409
    assert "is approved by committee vote" in refused.get_data(as_text=True)

    lifecycle.approve(db, None, "ae-plan", 2)
    db.commit()
    client = signed_in(app, author)
    assert 'data-testid="activate-form"' in client.get("/plans/ae-plan/2").get_data(as_text=True)
    done = client.post("/plans/ae-plan/2/activate", data={"csrf_token": csrf_token(client)})
    assert done.status_code == 303
    db.expire_all()
    assert get_version(db, "ae-plan", 2).state == "active"


def test_a_rep_reads_their_plan_in_words_and_acknowledges_it_once(app, db, people, active):
    client = signed_in(app, people["rep"])
    assert client.get("/plans").status_code == 403
    home = client.get("/").get_data(as_text=True)
    assert 'href="/my-plan"' in home
    page = client.get("/my-plan").get_data(as_text=True)
    assert "6% of the credited amount when the deal&#39;s type is &#34;new&#34;" in page
    assert "Then by band:" in page
    version = get_version(db, "ae-plan", 1)
    form = {
        "csrf_token": csrf_token(client),
        "plan": "ae-plan",
        "version": "1",
        "content_hash": version.content_hash,
    }
    assert client.post("/my-plan/acknowledge", data=form).status_code == 303
    second = client.post("/my-plan/acknowledge", data=form, follow_redirects=True)
    assert "You had already acknowledged ae-plan version 1" in second.get_data(as_text=True)
    assert 'data-testid="acknowledged"' in second.get_data(as_text=True)
    assert count_rows(db, PlanAcknowledgement) == 1

    admin = signed_in(app, people["author"])
    versions = admin.get("/plans/ae-plan").get_data(as_text=True)
    assert '<td data-testid="ack-count">1</td>' in versions
    one = admin.get("/plans/ae-plan/1").get_data(as_text=True)
    assert "Acknowledged by 1 person" in one and "<td>ana</td>" in one


def test_someone_without_a_plan_is_told_so_and_cannot_acknowledge(app, db, people, active):
    client = signed_in(app, people["stranger"])
    page = client.get("/my-plan").get_data(as_text=True)
    assert "not linked to a participant" in page
    version = get_version(db, "ae-plan", 1)
    refused = client.post(
        "/my-plan/acknowledge",
        data={
            "csrf_token": csrf_token(client),
            "plan": "ae-plan",
            "version": "1",
            "content_hash": version.content_hash,
        },
    )
    assert refused.status_code == 403
    assert count_rows(db, PlanAcknowledgement) == 0
