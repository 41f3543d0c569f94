"""The webhooks page in Chromium, on both databases: an admin adds a webhook pointing at a
real receiver, copies the secret shown once, sends a test that the workers sign and
deliver (the receiver verifies the signature), reads the delivery in the log, turns the
webhook off and deletes it (so no other test's events go to it). axe-checked throughout.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import assert_accessible
from tests.e2e.setups import deliver
from tests.support.receivers import WebhookReceiver

pytestmark = pytest.mark.e2e


def test_an_admin_adds_tests_and_removes_a_webhook(new_context, live_server, sign_in):
    admin = live_server.make_user("admin", name="Wes Webhooks")
    page = new_context().new_page()
    sign_in(page, admin)
    with WebhookReceiver("shown on the page") as receiver:
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Webhooks").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
        page.get_by_test_id("new-webhook").click()
        assert_accessible(page)
        page.get_by_label("Name", exact=True).fill("e2e-ops")
        page.get_by_label("URL", exact=True).fill(receiver.url)
        page.get_by_label("Accord JSON (signed)").check()
        page.get_by_label("dispute filed").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Add the webhook").click()
        receiver.secret = page.get_by_test_id("secret").inner_text()
        assert len(receiver.secret) >= 40
        assert_accessible(page)
        page.get_by_test_id("done").click()
        hook = page.get_by_test_id("webhook").filter(has_text="e2e-ops")
        expect(hook.get_by_test_id("webhook-status")).to_have_text("on")
        expect(page.locator("main")).not_to_contain_text(receiver.secret)

        with page.expect_navigation():
            hook.get_by_role("button", name="Send test").click()
        expect(page.get_by_role("status")).to_contain_text("A test to e2e-ops is queued")
        deliver(live_server)
        tests = [r for r in receiver.requests if r["body"].get("kind") == "webhook_test"]
        assert len(tests) == 1 and tests[0]["verified"]

    page.reload()
    delivery = hook.get_by_test_id("delivery").first
    expect(delivery.get_by_test_id("delivery-state")).to_have_text("sent")
    expect(delivery).to_contain_text("webhook test")
    assert_accessible(page)

    with page.expect_navigation():
        hook.get_by_role("button", name="Turn off").click()
    expect(hook.get_by_test_id("webhook-status")).to_have_text("off")
    with page.expect_navigation():
        hook.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_contain_text("Webhook e2e-ops is deleted")
    expect(page.get_by_test_id("webhook").filter(has_text="e2e-ops")).to_have_count(0)
