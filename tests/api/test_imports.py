"""POST /api/v1/imports: auth, permission, JSON and CSV bodies, dry run, the 422 envelope."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import Deal, Participant

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
URL = "/api/v1/imports"


@pytest.fixture
def admin_headers(make_user, token_for):
    return token_for(make_user("comp_admin"))


def org_text() -> str:
    return (FIXTURES / "org.json").read_text()


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_requires_authentication(client, db):
    response = client.post(URL, data=org_text(), content_type="application/json")
    assert response.status_code == 401
    assert response.get_json()["status"] == "Unauthorized"
    assert count(db, Participant) == 0


@pytest.mark.parametrize("role", ["rep", "manager", "committee", "deal_desk", "auditor"])
def test_roles_without_data_import_are_forbidden(client, db, make_user, token_for, role):
    headers = token_for(make_user(role, functions=["finance"] if role == "committee" else ()))
    response = client.post(URL, data=org_text(), content_type="application/json", headers=headers)
    assert response.status_code == 403
    assert "data.import" in response.get_json()["message"]
    assert count(db, Participant) == 0


def test_json_import_then_reimport(client, db, admin_headers):
    response = client.post(
        URL, data=org_text(), content_type="application/json", headers=admin_headers
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["dry_run"] is False and body["changed"] is True
    assert body["counts"]["deals"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert count(db, Deal) == 2

    response = client.post(
        URL, data=org_text(), content_type="application/json", headers=admin_headers
    )
    assert response.status_code == 200
    assert response.get_json()["counts"]["deals"] == {"created": 0, "updated": 0, "unchanged": 2}


def test_decimals_in_json_bodies_are_exact(client, db, admin_headers):
    payload = json.loads(org_text())
    payload["deals"][0]["amount"] = 0.1  # a JSON number, never read through float
    payload["deals"][0]["gross_margin"] = 0.123456789012
    text = json.dumps(payload)
    response = client.post(URL, data=text, content_type="application/json", headers=admin_headers)
    assert response.status_code == 201
    deal = db.get(Deal, "D-1")
    assert str(deal.amount.normalize()) == "0.1"
    assert str(deal.gross_margin.normalize()) == "0.123456789012"


def test_dry_run_counts_and_writes_nothing(client, db, admin_headers):
    response = client.post(
        URL + "?dry_run=true",
        data=org_text(),
        content_type="application/json",
        headers=admin_headers,
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["dry_run"] is True
    assert body["counts"]["participants"]["created"] == 5
    assert count(db, Participant) == 0


def test_bad_data_is_422_with_every_problem_and_nothing_written(client, db, admin_headers):
    payload = json.loads(org_text())
    payload["deals"][0]["amount"] = "-1"
    payload["deals"][1]["owner"] = "ghost"
    payload["exceptions"] = [{"id": "EX-1", "kind": "waive_gate", "deal": "D-2", "gate": "g"}]
    response = client.post(URL, json=payload, headers=admin_headers)
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422 and body["status"] == "Unprocessable Entity"
    assert "nothing was written" in body["message"]
    assert [(e["path"], e["message"]) for e in body["errors"]] == [
        (
            "$.exceptions",
            "exceptions cannot be imported: they are filed and approved through the "
            "deal-desk workflow (remove the key or leave it empty)",
        ),
        ("$.deals[0].amount", "must be at least 0, got -1"),
        ("$.deals[1].owner", "unknown participant 'ghost'"),
    ]
    assert count(db, Participant) == 0 and count(db, Deal) == 0


def test_malformed_json_is_422(client, admin_headers):
    response = client.post(
        URL, data='{"deals": [}', content_type="application/json", headers=admin_headers
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["path"].startswith("line 1, column")


NOT_FINITE = [
    ("1e309", "number 1E+309 is too large or too precise"),
    ("NaN", "NaN is not a number a plan or data file may contain"),
    ("-Infinity", "-Infinity is not a number a plan or data file may contain"),
]


def _with_amount(literal: str) -> str:
    """org.json with the second deal's amount written as `literal` (not valid JSON numbers)."""
    payload = json.loads(org_text())
    payload["deals"][1]["amount"] = "@AMOUNT@"
    return json.dumps(payload).replace('"@AMOUNT@"', literal)


@pytest.mark.parametrize(("literal", "message"), NOT_FINITE)
def test_non_finite_numbers_in_a_json_body_are_located(client, db, admin_headers, literal, message):
    body = _with_amount(literal)
    response = client.post(URL, data=body, content_type="application/json", headers=admin_headers)
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"path": "$.deals[1].amount", "message": message, "severity": "error"}
    ]
    assert count(db, Participant) == 0 and count(db, Deal) == 0


@pytest.mark.parametrize(("literal", "message"), NOT_FINITE)
def test_non_finite_numbers_in_an_uploaded_json_file_are_located(
    client, db, admin_headers, literal, message
):
    upload = io.BytesIO(_with_amount(literal).encode())
    response = client.post(
        URL,
        data={"file": (upload, "org.json")},
        content_type="multipart/form-data",
        headers=admin_headers,
    )
    assert response.status_code == 422
    assert [(e["path"], e["message"]) for e in response.get_json()["errors"]] == [
        ("org.json: $.deals[1].amount", message)
    ]
    assert count(db, Participant) == 0 and count(db, Deal) == 0


def test_csv_upload_as_multipart_and_as_text(client, db, admin_headers):
    people = (FIXTURES / "participants.csv").read_bytes()
    response = client.post(
        URL,
        data={"file": (io.BytesIO(people), "people.csv"), "kind": "participants"},
        content_type="multipart/form-data",
        headers=admin_headers,
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["counts"]["participants"]["created"] == 6
    response = client.post(
        URL + "?kind=deals",
        data=(FIXTURES / "deals.csv").read_text(),
        content_type="text/csv",
        headers=admin_headers,
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["sources"] == ["deals.csv"]
    assert count(db, Deal) == 3


def test_csv_problems_name_row_and_column(client, db, admin_headers):
    text = "id,amount,currency,close_date,owner\nD-1,ten,USD,2026-07-14,ghost\n"
    response = client.post(URL, data=text, content_type="text/csv", headers=admin_headers)
    assert response.status_code == 422
    assert [(e["path"], e["message"]) for e in response.get_json()["errors"]] == [
        ("upload.csv row 2, column amount", "expected a number, got the text 'ten'"),
        ("upload.csv row 2, column owner", "unknown participant 'ghost'"),
    ]
    assert count(db, Deal) == 0


def test_missing_file_bad_kind_and_content_type(client, admin_headers):
    response = client.post(
        URL, data={"kind": "deals"}, content_type="multipart/form-data", headers=admin_headers
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["path"] == "file"
    response = client.post(
        URL + "?kind=bogus", data="id\nx\n", content_type="text/csv", headers=admin_headers
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["path"].endswith("kind")
    response = client.post(URL, data=b"\x00", content_type="image/png", headers=admin_headers)
    assert response.status_code == 415
    assert response.get_json()["code"] == 415


def test_documented_in_openapi(client):
    doc = client.get("/api/openapi.json").get_json()
    post = doc["paths"]["/api/v1/imports"]["post"]
    assert set(post["requestBody"]["content"]) == {
        "application/json",
        "multipart/form-data",
        "text/csv",
    }
    assert {"200", "201", "202", "422", "503"} <= set(post["responses"])
    assert {p["name"] for p in post["parameters"]} == {
        "background",
        "dry_run",
        "kind",
        "ignore_unknown_columns",
        "mapping",
        "correction",
    }


def test_an_fx_rate_into_a_locked_period_needs_correction_true(client, db, admin_headers):
    """Dated FX (issue 11): refused with its location and the locked period; accepted and
    reported (the rates it changed, the period it corrects) with `?correction=true`."""
    from tests.support.payout_close import make_run

    make_run(db, None, "2026-Q3", state="locked")
    body = json.dumps({"fx": [{"pair": "EUR/USD", "rate": "1.09", "from": "2026-08-01"}]})
    response = client.post(URL, data=body, content_type="application/json", headers=admin_headers)
    assert response.status_code == 422
    [error] = response.get_json()["errors"]
    assert error["path"] == "$.fx[0].from"
    assert "reaches locked period(s) 2026-Q3: import it as a correction" in error["message"]

    response = client.post(
        URL + "?correction=true", data=body, content_type="application/json", headers=admin_headers
    )
    assert response.status_code == 201, response.get_json()
    report = response.get_json()
    assert report["correction"] is True
    assert report["fx_changes"] == [
        {
            "pair": "EUR/USD",
            "rate": "1.09",
            "from": "2026-08-01",
            "was": "no rate",
            "locked_periods": ["2026-Q3"],
        }
    ]


def test_salesforce_export_through_the_built_in_mapping(client, db, admin_headers):
    for name in ("salesforce_users.csv", "salesforce_opportunities.csv"):
        response = client.post(
            f"{URL}?mapping=salesforce",
            data={"file": (io.BytesIO((FIXTURES / name).read_bytes()), name)},
            content_type="multipart/form-data",
            headers=admin_headers,
        )
        assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["counts"]["deals"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert body["skipped"] == {"deals": {"lost": 1, "open": 2}}
    assert count(db, Deal) == 2


def test_crm_value_problems_use_the_error_envelope(client, db, admin_headers):
    text = (FIXTURES / "salesforce_opportunities.csv").read_text()
    response = client.post(
        f"{URL}?mapping=salesforce&kind=deals",
        data=text.replace("11/14/2026", "14/11/2026"),
        content_type="text/csv",
        headers=admin_headers,
    )
    assert response.status_code == 422
    body = response.get_json()
    assert (body["code"], body["message"]) == (422, "The import was rejected; nothing was written.")
    assert body["errors"][0] == {
        "path": "deals.csv row 2, column Close Date",
        "message": "'14/11/2026' is not a day that exists (read as MM/DD/YYYY)",
        "severity": "error",
    }
    assert count(db, Deal) == 0


def test_custom_mapping_as_a_multipart_file(client, db, admin_headers):
    users = (FIXTURES / "salesforce_users.csv").read_bytes()
    custom = b"mapping: mine\nextends: salesforce\nparticipants:\n  columns: {Role: title}\n"

    def post(mapping: bytes):
        return client.post(
            URL,
            data={
                "file": (io.BytesIO(users), "users.csv"),
                "mapping": (io.BytesIO(mapping), "mine.yaml"),
            },
            content_type="multipart/form-data",
            headers=admin_headers,
        )

    response = post(custom)
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == "The mapping was rejected; nothing was written."
    assert body["errors"][0]["path"] == "mine.yaml: participants.columns.Role"
    response = post(custom.replace(b"Role: title", b"Role: region"))
    assert response.status_code == 201, response.get_json()
    assert db.get(Participant, "E1001").region == "Account Executive"


def test_unknown_mapping_name_is_a_422(client, db, admin_headers):
    response = client.post(
        f"{URL}?mapping=hubspot", data="id\nana\n", content_type="text/csv", headers=admin_headers
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["path"].endswith("mapping")


def test_a_nul_in_an_uploaded_csv_or_json_file_is_refused(client, db, admin_headers):
    """PostgreSQL text cannot hold NUL: a file carrying one is refused whole, never a 500."""
    people = (FIXTURES / "participants.csv").read_text().splitlines()
    people[1] = people[1].replace(",", "\x00,", 1)
    for name, content, kind, where in (
        ("people.csv", "\n".join(people) + "\n", "participants", "row 2, column Employee ID"),
        (
            "org.json",
            org_text().replace('"name": "', '"name": "\\u0000', 1),
            None,
            "$.participants[0].name",
        ),
    ):
        response = client.post(
            URL,
            data={"file": (io.BytesIO(content.encode()), name), **({"kind": kind} if kind else {})},
            content_type="multipart/form-data",
            headers=admin_headers,
        )
        assert response.status_code == 422, (name, response.get_json())
        assert [(e["path"], e["message"]) for e in response.get_json()["errors"]] == [
            (f"{name}{' ' if kind else ': '}{where}", "contains a NUL character")
        ]
    assert count(db, Participant) == 0
