"""The imports pages through Flask's test client, on both databases.

Upload -> the import service's dry run (problems located, counts per kind) -> confirm
imports exactly the previewed bytes (digest checked), once; a large file becomes the
API's background import job (TestConfig runs it eagerly). The browser flow is in
tests/e2e/test_imports_page.py.
"""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from models import Deal, ImportUpload, Participant
from tests.api.test_imports import FIXTURES
from tests.support.sessions import csrf_token, sign_in

BAD_DEALS = "id,amount,currency,close_date,owner\nD-1,ten,USD,2026-07-14,ghost\n"


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


@pytest.fixture
def admin(app, make_user):
    client = app.test_client()
    assert sign_in(client, make_user("comp_admin").email).status_code == 302
    return client


def _upload(client, body: bytes, name: str, **fields):
    data = {"file": (io.BytesIO(body), name), "csrf_token": csrf_token(client), **fields}
    return client.post("/imports", data=data, content_type="multipart/form-data")


def _digest(page: str) -> str:
    return re.search(r'name="digest" value="([0-9a-f]{64})"', page).group(1)


def test_problems_are_listed_with_row_and_column_and_nothing_can_be_confirmed(admin, db):
    uploaded = _upload(admin, BAD_DEALS.encode(), "deals.csv")
    assert uploaded.status_code == 303
    page = admin.get(uploaded.headers["Location"]).get_data(as_text=True)
    assert "deals.csv row 2, column amount" in page and "expected a number" in page
    assert "deals.csv row 2, column owner" in page and 'data-testid="confirm-form"' not in page
    (upload,) = db.scalars(select(ImportUpload)).all()
    assert upload.state == "rejected" and upload.body is None
    confirm = admin.post(
        uploaded.headers["Location"] + "/confirm",
        data={"digest": upload.digest, "csrf_token": csrf_token(admin)},
    )
    assert confirm.status_code == 409 and count(db, Deal) == 0


def test_preview_counts_then_confirm_imports_the_previewed_file_once(admin, db):
    people = (FIXTURES / "participants.csv").read_bytes()
    uploaded = _upload(admin, people, "people.csv", kind="participants")
    url = uploaded.headers["Location"]
    page = admin.get(url).get_data(as_text=True)
    assert (
        '<tr data-kind="participants"><th scope="row">participants</th><td class="num">6<' in page
    )
    assert count(db, Participant) == 0  # a preview writes nothing
    token = csrf_token(admin)
    wrong = admin.post(url + "/confirm", data={"digest": "0" * 64, "csrf_token": token})
    assert wrong.status_code == 409 and "not the one previewed" in wrong.get_data(as_text=True)
    assert count(db, Participant) == 0
    confirmed = admin.post(url + "/confirm", data={"digest": _digest(page), "csrf_token": token})
    assert confirmed.status_code == 303 and count(db, Participant) == 6
    done = admin.get(url).get_data(as_text=True)
    assert 'data-testid="result-counts"' in done and "imported" in done
    again = admin.post(url + "/confirm", data={"digest": _digest(page), "csrf_token": token})
    assert again.status_code == 409 and count(db, Participant) == 6
    listed = admin.get("/imports").get_data(as_text=True)
    assert "people.csv" in listed and 'data-testid="uploads"' in listed
    # The same file again: a preview of nothing but unchanged rows.
    again_page = admin.get(_upload(admin, people, "people.csv").headers["Location"])
    assert '<td class="num">0</td><td class="num">0</td><td class="num">6</td>' in (
        again_page.get_data(as_text=True)
    )


def test_a_large_file_is_imported_by_a_background_job(app, admin, db):
    app.config["IMPORT_ASYNC_BYTES"] = 100
    body = (FIXTURES / "org.json").read_bytes()
    url = _upload(admin, body, "org.json").headers["Location"]
    page = admin.get(url).get_data(as_text=True)
    confirmed = admin.post(
        url + "/confirm", data={"digest": _digest(page), "csrf_token": csrf_token(admin)}
    )
    assert confirmed.status_code == 303
    (upload,) = db.scalars(select(ImportUpload)).all()
    assert upload.state == "queued" and upload.job_id is not None and upload.body is None
    done = admin.get(url).get_data(as_text=True)
    assert 'data-state="done"' in done and 'data-testid="result-counts"' in done
    assert count(db, Deal) == 2


@pytest.mark.parametrize("role", ["rep", "deal_desk", "auditor"])
def test_only_importers_see_the_pages(app, db, make_user, role):
    client = app.test_client()
    sign_in(client, make_user(role).email)
    assert client.get("/imports").status_code == 403
    assert "/imports" not in client.get("/").get_data(as_text=True)


def test_a_large_files_preview_is_a_background_dry_run(app, admin, db):
    app.config["IMPORT_ASYNC_BYTES"] = 100
    body = (FIXTURES / "org.json").read_bytes()
    url = _upload(admin, body, "org.json").headers["Location"]
    (upload,) = db.scalars(select(ImportUpload)).all()
    assert upload.preview_job_id is not None  # TestConfig ran the job eagerly
    page = admin.get(url).get_data(as_text=True)
    assert 'data-testid="preview-counts"' in page and count(db, Deal) == 0
    db.refresh(upload)
    assert upload.state == "previewed"
    bad = _upload(admin, BAD_DEALS.encode() * 4, "deals.csv").headers["Location"]
    rejected = admin.get(bad).get_data(as_text=True)
    assert "deals.csv row 2, column amount" in rejected
    assert 'data-testid="confirm-form"' not in rejected


def test_an_upload_not_confirmed_in_time_expires_and_its_body_is_deleted(app, admin, db):
    from datetime import timedelta

    from models.base import utcnow

    people = (FIXTURES / "participants.csv").read_bytes()
    old_url = _upload(admin, people, "old.csv", kind="participants").headers["Location"]
    new_url = _upload(admin, people, "new.csv", kind="participants").headers["Location"]
    digest = _digest(admin.get(old_url).get_data(as_text=True))
    old, new = db.scalars(select(ImportUpload).order_by(ImportUpload.id)).all()
    old.created_at = utcnow() - timedelta(hours=25)
    db.commit()

    page = admin.get(old_url).get_data(as_text=True)
    assert 'data-testid="expired"' in page and 'data-testid="confirm-form"' not in page
    listed = admin.get("/imports").get_data(as_text=True)
    assert re.search(r"old\.csv</td><td>[^<]*<span[^>]*>expired<", listed)
    refused = admin.post(
        old_url + "/confirm", data={"digest": digest, "csrf_token": csrf_token(admin)}
    )
    assert refused.status_code == 409 and "expired" in refused.get_data(as_text=True)
    assert count(db, Participant) == 0

    expire = app.extensions["accord.celery"].tasks["accord.background.expire_uploads"]
    with app.app_context():
        assert expire.apply().get() == [old.id]
        assert expire.apply().get() == []  # once
    db.expire_all()
    assert db.get(ImportUpload, old.id).body is None
    assert db.get(ImportUpload, new.id).body == people  # the recent one is kept, confirmable
    new_page = admin.get(new_url).get_data(as_text=True)
    confirmed = admin.post(
        new_url + "/confirm", data={"digest": _digest(new_page), "csrf_token": csrf_token(admin)}
    )
    assert confirmed.status_code == 303 and count(db, Participant) == 6
