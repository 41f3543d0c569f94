"""`accord exceptions file|list|show` against a real, migrated database (both backends)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session

from models.engine import make_engine
from tests.integration.exception_setup import adjustment, people, setup_plan_and_data
from tests.support.cli import run


@pytest.fixture
def desk(cli_env) -> str:
    """The CLI's database with the plan and data of exception_setup: the desk's e-mail."""
    engine = make_engine(cli_env)
    with Session(engine) as session:
        crew = people(session)
        setup_plan_and_data(session, crew["author"])
        session.commit()
        desk = crew["desk"].email
    engine.dispose()
    return desk


def test_file_list_show_and_refusals(desk, tmp_path):
    body = tmp_path / "bonus.json"
    body.write_text(json.dumps(adjustment("750.00")), encoding="utf-8")
    filed = run("exceptions", "file", str(body), "--as", desk)
    assert filed.exit_code == 0, filed.output
    assert "filed EX-1" in filed.output and "estimated 750.00 USD" in filed.output

    listed = run("exceptions", "list", "--state", "submitted")
    assert listed.exit_code == 0 and listed.output.startswith("EX-1")
    assert run("exceptions", "list", "--state", "approved").output == ""

    shown = run("exceptions", "show", "1", "--json")
    detail = json.loads(shown.output)
    assert (detail["route"], detail["impact"]["delta"]) == ("below", "750.00")
    text = run("exceptions", "show", "1").output
    assert "ana" in text and "0 of 2 approvals" in text

    # Bad input exits 2 naming every problem.
    body = tmp_path / "bad.json"
    body.write_text(json.dumps({"kind": "adjustment", "plan": "ae-plan"}), encoding="utf-8")
    refused = run("exceptions", "file", str(body), "--as", desk)
    assert refused.exit_code == 2
    for path in ("$.participant", "$.period", "$.amount", "$.justification"):
        assert path in refused.output
    assert run("exceptions", "show", "9").exit_code == 2
