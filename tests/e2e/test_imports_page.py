"""Imports in a real browser, on both databases: a comp admin uploads a CSV with a bad
cell, reads the problem at its row and column, uploads the fixed file, reads the counts
the import would change, confirms, and finds the participants on the deal desk."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def _upload(page, name: str, text: str) -> None:
    page.goto("/imports")
    page.locator("input[name=file]").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode()}]
    )
    page.get_by_role("button", name="Preview").click()


def test_upload_fix_preview_confirm(new_context, live_server, sign_in):
    admin = live_server.make_user("comp_admin", name="Imogen Admin")
    tag = secrets.token_hex(3)
    rows = [f"imp-{tag}-1,Ida Import {tag},2025-02-01", f"imp-{tag}-2,Ivo Import {tag},{{day}}"]
    header = "Employee ID,Full Name,Hire Date\n"

    page = new_context().new_page()
    sign_in(page, admin)
    page.get_by_test_id("nav").get_by_role("link", name="Imports").click()
    _upload(page, "people.csv", header + "\n".join(rows).format(day="2025-13-45") + "\n")
    problems = page.get_by_test_id("problems")
    expect(problems).to_contain_text("people.csv row 3, column Hire Date")
    expect(page.get_by_test_id("confirm-form")).to_have_count(0)

    _upload(page, "people.csv", header + "\n".join(rows).format(day="2025-03-01") + "\n")
    counts = page.get_by_test_id("preview-counts")
    expect(counts.locator("tr[data-kind=participants] td").first).to_have_text("2")
    page.get_by_role("button", name="Import it").click()
    expect(page.get_by_role("status").first).to_contain_text("people.csv is imported")
    expect(
        page.get_by_test_id("result-counts").locator("tr[data-kind=participants] td").first
    ).to_have_text("2")

    page.goto(f"/desk?what=participants&q=Import+{tag}")
    expect(page.get_by_test_id("participant-results").locator("tbody tr")).to_have_count(2)
    page.goto("/imports")
    expect(page.get_by_test_id("uploads")).to_contain_text("imported")
