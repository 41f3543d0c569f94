"""Committee, plan and audit pages through Flask's test client, on both databases.

The browser flows are in tests/e2e/test_committee_pages.py; here: what each page shows,
refusals (own change, a rejection without a reason, bad filters) and that nothing is
written when a vote is refused.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from governance.committee import approval_rules
from governance.plans import lifecycle
from governance.plans.tally import voted_hash
from models import AuditRecord, Vote
from tests.integration.committee import import_history, plan_text, replacing_active
from tests.support.sessions import csrf_token, sign_in


@pytest.fixture
def people(make_user):
    return {
        "author": make_user("admin"),  # an admin may vote: shows the own-change refusal
        "finance": make_user("committee", functions=["finance"]),
        "sales": make_user("committee", functions=["sales"]),
        "auditor": make_user("auditor"),
        "rep": make_user("rep"),
    }


@pytest.fixture
def change(db, people):
    """ae-plan 1 active at 6%, version 2 at 8% submitted by the author, with history."""
    import_history(db)
    version = replacing_active(db, people["author"], "0.08")
    db.commit()
    return version


def _as(app, user):
    client = app.test_client()
    assert sign_in(client, user.email).status_code == 302
    return client


def _count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_the_list_puts_open_requests_first_with_their_tally(app, people, change):
    page = _as(app, people["finance"]).get("/committee/changes").get_data(as_text=True)
    rows = page.split('data-testid="change-requests"')[1]
    assert rows.index("ae-plan/2") < rows.index("ae-plan/1")  # open first
    assert "0 of 3 approvals; still needed: function:finance, function:sales" in rows
    assert 'href="/committee/changes"' in page  # the committee nav


def test_the_detail_shows_diff_lint_tests_impact_and_the_vote_form(app, db, people, change):
    client = _as(app, people["finance"])
    page = client.get("/committee/changes/ae-plan/2").get_data(as_text=True)
    diff = page.split('data-testid="diff-rates"')[1].split('data-testid="diff-')[0]
    assert "new-business" in diff and "<del>6%</del> → <ins>8%</ins>" in diff
    # ana's new deals: 4 quarters x 100000 x 2 points more = 8000.00
    assert 'data-testid="total-delta">8000.00<' in page
    assert 'data-testid="top-movers"' in page and "<td>ana</td>" in page
    assert 'data-testid="vote-form"' in page and voted_hash(db, change) in page
    assert change.content_hash in page  # the plan's own hash, shown beside it
    assert "policy: ae-plan" in page  # the YAML document
    assert 'function:finance: <span class="down">still needed' in page


def test_summary_impact_and_vote_come_before_a_diff_with_no_json_blob(app, people, change):
    """The vote's inputs above the fold, in this order; the diff is text, key by key."""
    page = _as(app, people["finance"]).get("/committee/changes/ae-plan/2").get_data(as_text=True)
    at = [page.index(f'data-testid="{t}"') for t in ("summary", "impact", "vote-form", "diff")]
    assert at == sorted(at)
    diff = page.split('data-testid="diff"')[1].split('aria-labelledby="votes-h"')[0]
    assert '{"' not in diff and "{&#34;" not in diff and "[{" not in diff
    assert "<code>new-business</code>" in diff and "<del>6%</del>" in diff
    assert "Plan document" in page and "<details><summary>The whole plan as YAML" in page


def test_a_vote_is_recorded_and_the_author_is_told_why_they_cannot_vote(app, db, people, change):
    client = _as(app, people["finance"])
    data = {"decision": "approve", "content_hash": voted_hash(db, change), "comment": "ok"}
    response = client.post(
        "/committee/changes/ae-plan/2/vote", data={**data, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your approval is recorded. Tally: 1 of 3 approvals" in page
    assert "You have already voted (approve) on this request" in page
    assert 'data-testid="vote-form"' not in page

    own = _as(app, people["author"]).get("/committee/changes/ae-plan/2").get_data(as_text=True)
    assert "nobody votes on their own change" in own
    assert 'data-testid="vote-form"' not in own


def test_refused_votes_show_every_problem_and_write_nothing(app, db, people, change):
    # Signed in first: a sign-in is audited itself.
    client, author = _as(app, people["sales"]), _as(app, people["author"])
    votes_before, audit_before = _count(db, Vote), _count(db, AuditRecord)
    token = csrf_token(client)
    url = "/committee/changes/ae-plan/2/vote"
    no_reason = client.post(
        url,
        data={"decision": "reject", "content_hash": voted_hash(db, change), "csrf_token": token},
    )
    assert no_reason.status_code == 422
    assert "comment: a rejection needs a written reason" in no_reason.get_data(as_text=True)
    other = client.post(
        url, data={"decision": "approve", "content_hash": "sha256:0", "csrf_token": token}
    )
    assert other.status_code == 409
    assert "is not a vote on it" in other.get_data(as_text=True)
    own = author.post(
        url,
        data={
            "decision": "approve",
            "content_hash": voted_hash(db, change),
            "csrf_token": csrf_token(author),
        },
    )
    assert own.status_code == 403
    assert (_count(db, Vote), _count(db, AuditRecord)) == (votes_before, audit_before)
    assert _as(app, people["sales"]).get("/committee/changes/ae-plan/9").status_code == 404


def test_rules_page_shows_the_rules_in_force_and_history(app, people):
    page = _as(app, people["sales"]).get("/committee/approval-rules").get_data(as_text=True)
    assert "In force: approval-rules/1" in page
    assert '"min_approvals": 3' in page and "No open proposals." in page


def test_members_vote_on_a_rules_proposal_from_the_rules_page(app, db, people):
    rules = approval_rules.document_of(approval_rules.active_rule_set(db))
    rules["impact"] = {"periods": 2, "top": 5}
    proposal = approval_rules.propose(db, people["author"], rules, note="shorter impact")
    db.commit()
    own = _as(app, people["author"]).get("/committee/approval-rules").get_data(as_text=True)
    assert "nobody votes on their own proposal" in own

    client = _as(app, people["sales"])
    page = client.get("/committee/approval-rules").get_data(as_text=True)
    assert "approval-rules/2 by User" in page and "0 of 3 approvals" in page
    url = f"/committee/approval-rules/{proposal.number}/vote"
    ballot = {"content_hash": proposal.content_hash, "csrf_token": csrf_token(client)}
    no_reason = client.post(url, data={**ballot, "decision": "reject"})
    assert no_reason.status_code == 422
    assert "comment: a rejection needs a written reason" in no_reason.get_data(as_text=True)
    voted = client.post(url, data={**ballot, "decision": "approve"})
    assert voted.status_code == 303
    after = client.get(voted.headers["Location"]).get_data(as_text=True)
    assert "Your approval is recorded. The proposal is still open." in after
    assert "You have already voted (approve) on this proposal" in after
    assert "1 of 3 approvals" in after


def test_plan_pages_list_versions_documents_and_any_diff(app, people, change):
    client = _as(app, people["auditor"])
    assert "ae-plan" in client.get("/plans").get_data(as_text=True)
    versions = client.get("/plans/ae-plan").get_data(as_text=True)
    assert change.content_hash in versions and "2025-01-01" in versions
    assert "rate: 0.08" in client.get("/plans/ae-plan/2").get_data(as_text=True)
    diff = client.get("/plans/ae-plan/diff?from=2&to=1").get_data(as_text=True)
    assert "version 2 → 1" in diff and "<del>8%</del> → <ins>6%</ins>" in diff
    assert "{&#34;" not in diff and '{"' not in diff  # readable, never a JSON blob
    assert "same content" in client.get("/plans/ae-plan/diff?from=1&to=1").get_data(as_text=True)
    assert client.get("/plans/ae-plan/diff?from=1&to=7").status_code == 404
    assert client.get("/plans/ae-plan/diff?from=one&to=2").status_code == 400
    latest_two = client.get("/plans/ae-plan/diff").get_data(as_text=True)
    assert "version 1 → 2" in latest_two
    assert client.get("/plans/nope").status_code == 404
    # An auditor reads change requests and the approval rules (votes on neither)
    assert 'href="/committee/changes"' in versions
    assert 'href="/committee/approval-rules"' in versions
    assert 'href="/audit"' in versions


def test_the_audit_log_pages_filters_and_verifies(app, db, people, change):
    client = _as(app, people["auditor"])
    page = client.get("/audit").get_data(as_text=True)
    assert 'href="/audit/verify"' in page and "/api/v1/audit/export?format=csv" in page
    verified = client.get("/audit/verify").get_data(as_text=True)
    assert '<span class="badge intact">intact</span>' in verified
    total = _count(db, AuditRecord)
    assert f"{total} record(s)" in page

    plans_only = client.get("/audit?object_type=plan_version").get_data(as_text=True)
    wanted = db.scalar(select(func.count()).where(AuditRecord.object_type == "plan_version"))
    assert f"{wanted} record(s)" in plans_only
    by_author = client.get(f"/audit?actor={people['author'].email}").get_data(as_text=True)
    mine = db.scalar(select(func.count()).where(AuditRecord.actor_id == people["author"].id))
    assert mine > 0 and f"{mine} record(s)" in by_author
    future = client.get("/audit?since=2999-01-01").get_data(as_text=True)
    assert "0 record(s)" in future and "No records match." in future
    today = date.today().isoformat()
    assert f"{total} record(s)" in client.get(f"/audit?since=2000-01-01&until={today}").get_data(
        as_text=True
    )
    bad = client.get("/audit?since=yesterday&page=0")
    assert bad.status_code == 400
    assert "since: expected a date like 2026-07-01" in bad.get_data(as_text=True)


def test_the_audit_log_sorts_by_its_columns_and_keeps_the_filters(app, db, people, change):
    client = _as(app, people["auditor"])
    records = db.execute(select(AuditRecord.id, AuditRecord.action)).all()

    def ids(query: str) -> list[int]:
        html = client.get(f"/audit?{query}").get_data(as_text=True)
        return [int(n) for n in re.findall(r'<tr><td class="num">(\d+)</td>', html)]

    newest_first = sorted((r.id for r in records), reverse=True)[:50]
    assert ids("") == newest_first
    assert ids("sort=id&dir=asc") == sorted(r.id for r in records)[:50]
    by_action = sorted(records, key=lambda r: (r.action, -r.id))
    assert ids("sort=action&dir=asc") == [r.id for r in by_action][:50]
    html = client.get("/audit?sort=action&dir=asc&object_type=plan_version").get_data(as_text=True)
    assert 'aria-sort="ascending"' in html
    # the other headers keep the filter and start again at page 1
    assert "object_type=plan_version" in html.split('data-sort="at"')[0].rsplit("<a ", 1)[1]
    assert ids("sort=nonsense&dir=sideways") == newest_first  # unknown: the default order


def test_an_auditor_reads_a_change_request_but_neither_votes_nor_recomputes(app, people, change):
    client = _as(app, people["auditor"])
    page = client.get("/committee/changes/ae-plan/2")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'data-testid="vote-form"' not in text and 'data-testid="recompute"' not in text
    assert "ae-plan" in client.get("/committee/changes").get_data(as_text=True)
    assert client.post("/committee/changes/ae-plan/2/impact").status_code in (400, 403)


def test_a_rep_sees_no_committee_nav_and_gets_403(app, people):
    client = _as(app, people["rep"])
    home = client.get("/").get_data(as_text=True)
    for href in ('href="/committee/changes"', 'href="/plans"', 'href="/audit"'):
        assert href not in home
    for url in ("/committee/changes", "/committee/approval-rules", "/plans", "/audit"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Your roles do not give access to this page" in response.get_data(as_text=True)


def test_a_draft_is_submitted_on_its_page_with_the_date_and_the_request_says_why_it_waits(
    app, db, people, make_user
):
    """Issue 11, scenario 3 on the pages: the date is asked for at submission (required)
    and every page of the request says, in one sentence, what it waits for."""
    make_user("committee", functions=["hr"])  # a third member: approval stays possible
    lifecycle.create_draft(db, people["author"], plan_text("0.06"))
    db.commit()
    author = _as(app, people["author"])
    page = author.get("/plans/ae-plan/1").get_data(as_text=True)
    assert 'data-testid="submit-form"' in page and 'name="effective_from" required' in page
    assert "Draft: submit it with the effective date the committee is to vote on." in page
    url = "/plans/ae-plan/1/submit"
    undated = author.post(url, data={"csrf_token": csrf_token(author)})
    assert undated.status_code == 422
    assert "effective_from: required" in undated.get_data(as_text=True)
    form = {"effective_from": "2027-01-01", "csrf_token": csrf_token(author)}
    done = author.post(url, data=form)
    assert done.status_code == 303
    shown = author.get(done.headers["Location"]).get_data(as_text=True)
    assert "is submitted to the committee, effective from 2027-01-01" in shown
    waiting = "Waiting for votes from finance, sales and 1 more member (0 of 3 approvals)."
    assert f'data-testid="next-step">{waiting}<' in shown
    assert 'data-testid="submit-form"' not in shown
    finance = _as(app, people["finance"])
    request_page = finance.get("/committee/changes/ae-plan/1").get_data(as_text=True)
    assert waiting in request_page and "(voted on with the plan)" in request_page
    listing = finance.get("/committee/changes").get_data(as_text=True)
    assert waiting in listing and "2027-01-01" in listing
