"""Each role's whole job in Chromium, on both databases, told by what reaches them
(e-mails from the notification workers, read from a real SMTP server) and checked with
axe-core on every page on the way (tests/e2e/axe.py):

- committee: an e-mail asks for a vote -> inbox -> the change request (summary, impact,
  readable diff) -> approve; a second function approves -> the author hears the decision;
- rep: an e-mail says statements are published -> statement -> line -> dispute -> a
  reviewer (told by e-mail, from their inbox) rejects it -> the rep's e-mail -> outcome;
- admin: invite a user -> they set a password from the e-mailed link and sign in ->
  deactivate them -> their open session stops at its next page;
- auditor: plan versions -> the diff -> the audit log, filtered -> the chain verified.

The comp admin's, deal desk's and imports' journeys are in their own modules.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import assert_accessible
from tests.e2e.setups import mailbox, plan_change_waiting, rep_statements, signed_in_page

pytestmark = pytest.mark.e2e

VOTE_KEY = "journey-vote"  # plans and periods of their own: the live database is shared
AUDIT_KEY = "journey-audit"
PERIOD = "2017-Q3"


def _path(page) -> str:
    return urlsplit(page.url).path


def _vote(page, decision: str = "Approve") -> None:
    page.get_by_label("Comment (required to reject)").fill("read the impact and the diff")
    with page.expect_navigation():
        page.get_by_role("button", name=decision).click()


def test_committee_hears_of_a_vote_reviews_it_and_votes(new_context, live_server, sign_in):
    finance = live_server.make_user("committee", functions=["finance"], name="Fay Finance")
    others = [  # the default rules: three approvals, finance and sales among them
        live_server.make_user("committee", functions=["sales"], name="Sal Sales"),
        live_server.make_user("committee", functions=["hr"], name="Hal Hr"),
    ]
    with mailbox(live_server) as mail:
        author = plan_change_waiting(live_server, VOTE_KEY, "JRV", author_name="Ari Author")
        mail.deliver()
        (asked,) = mail.to(finance.email, f"Your vote is requested: Plan change {VOTE_KEY}/2")

        member = signed_in_page(new_context, sign_in, finance)
        nav = member.get_by_role("navigation", name="Main")
        assert int(nav.get_by_test_id("inbox-count").inner_text()) >= 1
        nav.get_by_test_id("nav-inbox").click()
        assert_accessible(member)
        row = member.get_by_test_id("inbox-item").filter(has_text=f"{VOTE_KEY}/2")
        row.get_by_role("link", name=f"Plan change {VOTE_KEY}/2").click()
        assert _path(member) == mail.link(asked)  # the e-mail and the inbox agree
        expect(member.get_by_test_id("summary")).to_be_visible()
        expect(member.get_by_test_id("impact")).to_contain_text("Total")
        assert "6% → 9%" in member.get_by_test_id("diff-rates").inner_text()
        assert_accessible(member)
        _vote(member)
        expect(member.get_by_role("status")).to_contain_text("Your approval is recorded.")

        for other in others:
            voter = signed_in_page(new_context, sign_in, other)
            voter.goto(mail.link(mail.to(other.email, "Your vote is requested")[-1]))
            _vote(voter)
        expect(voter.get_by_role("heading", level=1)).to_contain_text("approved")
        assert_accessible(voter)

        mail.deliver()
        (decided,) = mail.to(author.email, f"Decided: Plan change {VOTE_KEY}/2 is approved")
        mine = signed_in_page(new_context, sign_in, author)
        mine.goto(mail.link(decided))
        expect(mine.get_by_role("heading", level=1)).to_contain_text("approved")
        mine.get_by_test_id("nav-inbox").click()
        expect(mine.get_by_test_id("inbox-item").filter(has_text=f"{VOTE_KEY}/2")).to_have_count(0)


def test_a_rep_hears_of_statements_disputes_a_line_and_reads_the_outcome(
    new_context, live_server, sign_in
):
    from app.database import db_session
    from governance.payouts.close import publish_run
    from models import User

    rep, ids, run_id = rep_statements(live_server, PERIOD, "jrn", state="locked")
    publisher = live_server.make_user("comp_admin", name="Pia Publisher")
    reviewer = live_server.make_user("comp_admin", name="Rex Reviewer")
    with mailbox(live_server) as mail:
        with live_server.app.app_context():
            session = db_session()
            publish_run(session, session.get(User, publisher.id), run_id)
            session.commit()
        mail.deliver()
        (published,) = mail.to(rep.email, "Published: Payout run")

        mine = signed_in_page(new_context, sign_in, rep)
        mine.goto(mail.link(published))
        assert _path(mine) == "/statements"
        assert_accessible(mine)
        mine.get_by_test_id("statements").get_by_role("link", name="Open").click()
        assert _path(mine) == f"/statements/{ids['jrn-ana']}"
        assert_accessible(mine)
        blocked = mine.get_by_test_id("line").filter(has_text="blocked, pays 0.00 USD")
        blocked.locator("summary").first.click()  # the line's explanation, then its page
        blocked.get_by_test_id("line-link").click()
        assert_accessible(mine)
        mine.get_by_test_id("dispute-line").click()
        mine.get_by_label("What is wrong with this line?").fill("The margin was 31%, not 12%.")
        assert_accessible(mine)
        with mine.expect_navigation():
            mine.get_by_role("button", name="File the dispute").click()
        dispute = _path(mine)
        dispute_id = dispute.rsplit("/", 1)[1]
        expect(mine.get_by_test_id("state").first).to_have_text("open")
        assert_accessible(mine)

        mail.deliver()
        (filed,) = mail.to(reviewer.email, f"Dispute filed: Dispute {dispute_id}")
        desk = signed_in_page(new_context, sign_in, reviewer)
        desk.get_by_test_id("nav-inbox").click()
        row = desk.get_by_test_id("inbox-item").filter(has_text=f"Dispute {dispute_id}")
        expect(row).to_contain_text("to review")
        row.get_by_role("link", name=f"Dispute {dispute_id}").click()
        assert _path(desk) == mail.link(filed) == dispute
        desk.get_by_label("Reason for rejecting (the rep reads it)").fill(
            "The deal's margin in the CRM is 12%: the gate is right."
        )
        with desk.expect_navigation():
            desk.get_by_role("button", name="Reject").click()
        assert_accessible(desk)

        mail.deliver()
        (answered,) = mail.to(rep.email, f"Dispute answered: Dispute {dispute_id}")
        mine.goto(mail.link(answered))
        expect(mine.get_by_test_id("resolution")).to_have_text(
            "The deal's margin in the CRM is 12%: the gate is right."
        )
        assert [e.split()[0] for e in mine.get_by_test_id("event").all_inner_texts()] == [
            "filed",
            "rejected",
        ]
        assert_accessible(mine)


def test_an_admin_invites_a_user_who_signs_in_then_is_deactivated(
    new_context, live_server, sign_in
):
    admin = live_server.make_user("admin", name="Ada Admin")
    email = "journey-invited@example.test"
    with mailbox(live_server) as mail:
        page = signed_in_page(new_context, sign_in, admin)
        page.get_by_role("link", name="Users").click()
        page.get_by_test_id("new-user").click()
        assert_accessible(page)
        page.get_by_test_id("email").fill(email)
        page.get_by_test_id("name").fill("Ivo Invited")
        page.get_by_test_id("role-auditor").check()
        with page.expect_navigation():
            page.get_by_test_id("invite").click()
        expect(page.get_by_test_id("user-status")).to_have_text("active")
        assert_accessible(page)
        user_page = page.url

        mail.deliver()
        (invite,) = mail.to(email)
        invited = new_context().new_page()
        invited.goto(mail.link(invite))
        assert_accessible(invited)
        invited.get_by_label("New password", exact=True).fill("a journey passphrase")
        invited.get_by_label("Repeat new password").fill("a journey passphrase")
        with invited.expect_navigation():
            invited.get_by_role("button", name="Set password").click()
        invited.get_by_label("E-mail").fill(email)
        invited.get_by_label("Password").fill("a journey passphrase")
        with invited.expect_navigation():
            invited.get_by_role("button", name="Sign in").click()
        expect(invited.get_by_test_id("who")).to_have_text("Ivo Invited")

    page.goto(user_page)
    with page.expect_navigation():
        page.get_by_test_id("deactivate").click()
    expect(page.get_by_test_id("user-status")).to_have_text("deactivated")
    invited.goto("/audit")
    assert _path(invited) == "/login"  # the open session stopped at once


def test_an_auditor_reads_versions_the_diff_and_verifies_the_log(new_context, live_server, sign_in):
    from app.database import db_session
    from governance.plans import lifecycle

    plan_change_waiting(live_server, AUDIT_KEY, "JRA")
    with live_server.app.app_context():
        session = db_session()
        lifecycle.approve(session, None, AUDIT_KEY, 2)
        session.commit()
    auditor = live_server.make_user("auditor", name="Ode Auditor")
    page = signed_in_page(new_context, sign_in, auditor)

    page.get_by_test_id("nav").get_by_role("link", name="Plans").click()
    page.get_by_role("link", name=AUDIT_KEY, exact=True).first.click()
    assert _path(page) == f"/plans/{AUDIT_KEY}"
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Show the diff").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{AUDIT_KEY}: version 1 → 2")
    expect(page.locator("main")).to_contain_text("9%")
    assert_accessible(page)

    page.get_by_test_id("nav").get_by_role("link", name="Audit log").click()
    page.get_by_label("Object type").select_option("plan_version")
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    log = page.get_by_test_id("audit-log")
    expect(log.locator("tr", has_text=f"{AUDIT_KEY}/2").first).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Verify the chain").click()
    expect(page.get_by_test_id("verification")).to_contain_text("intact")
    assert_accessible(page)
