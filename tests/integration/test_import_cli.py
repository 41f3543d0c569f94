"""`accord import` end to end on a fresh database of each backend: exit codes, stderr, rollback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import Deal, Participant
from models.engine import make_engine
from tests.support.cli import run

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"


@pytest.fixture
def cli_db(cli_env):
    """An engine on the CLI's database, to count what the imports wrote."""
    engine = make_engine(cli_env)
    yield engine
    engine.dispose()


def summary(result) -> list[str]:
    return [" ".join(line.split()) for line in result.stdout.splitlines()]


def count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(model))


def test_import_files_in_any_order_then_again(cli_db):
    files = [str(FIXTURES / f"{k}.csv") for k in ("events", "deals", "quotas", "participants")]
    result = run("import", *files)
    assert result.exit_code == 0, result.output
    assert summary(result) == [
        "participants 6 created 0 updated 0 unchanged",
        "quotas 2 created 0 updated 0 unchanged",
        "deals 3 created 0 updated 0 unchanged",
        "events 2 created 0 updated 0 unchanged",
    ]
    assert result.stderr == ""  # no progress bar: stderr is not a terminal
    assert count(cli_db, Deal) == 3

    result = run("import", *files)
    assert result.exit_code == 0
    assert "deals 0 created 0 updated 3 unchanged" in summary(result)


def test_dry_run_writes_nothing(cli_db):
    result = run("import", str(FIXTURES / "org.json"), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run: nothing was written" in result.stdout
    assert "participants 5 created 0 updated 0 unchanged" in summary(result)
    assert count(cli_db, Participant) == 0


def test_progress_bar_on_request(cli_db):
    result = run("import", str(FIXTURES / "org.json"), "--progress")
    assert result.exit_code == 0
    assert "importing: 100%" in result.stderr


def test_bad_input_exits_2_with_every_problem_and_no_traceback(cli_db, tmp_path):
    bad = tmp_path / "deals.csv"
    bad.write_text("id,amount,currency,close_date,owner\nD-1,1O0,USD,2026-07-14,ana\n")
    people = tmp_path / "people.csv"
    shutil.copy(FIXTURES / "participants.csv", people)
    result = run("import", str(people), str(bad))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: deals.csv row 2, column amount: expected a number, got the text '1O0'",
        "1 problem(s); nothing was imported",
    ]
    assert "Traceback" not in result.output
    assert count(cli_db, Participant) == 0  # the good file was not written either


@pytest.mark.parametrize(
    ("literal", "shown"),
    [
        ("1e309", "number 1E+309 is too large"),
        ("NaN", "NaN is not a number"),
        ("-Infinity", "-Infinity is not a number"),
    ],
)
def test_non_finite_numbers_in_a_json_file_exit_2_located(cli_db, tmp_path, literal, shown):
    text = (FIXTURES / "org.json").read_text()
    data = json.loads(text)
    data["deals"][1]["amount"] = "@AMOUNT@"
    bad = tmp_path / "org.json"
    bad.write_text(json.dumps(data).replace('"@AMOUNT@"', literal))
    result = run("import", str(bad))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].startswith(f"error: org.json: $.deals[1].amount: {shown}")
    assert "Traceback" not in result.output
    assert count(cli_db, Participant) == 0


def test_kind_option_and_missing_file(cli_db, tmp_path):
    odd = tmp_path / "export.csv"
    odd.write_text("Employee ID\nana\n")
    result = run("import", str(odd), "--kind", "deals")
    assert result.exit_code == 2
    assert "export.csv row 1, column Employee ID: unknown deals column" in result.stderr
    result = run("import", str(odd), "--kind", "participants")
    assert result.exit_code == 0
    result = run("import", str(tmp_path / "nope.json"))
    assert result.exit_code == 2
    assert "nope.json" in result.stderr


def test_salesforce_export_with_the_built_in_mapping(cli_db):
    users, opportunities = (
        str(FIXTURES / f"salesforce_{k}.csv") for k in ("users", "opportunities")
    )
    result = run("import", users, opportunities, "--mapping", "salesforce")
    assert result.exit_code == 0, result.output
    assert summary(result) == [
        "participants 2 created 0 updated 0 unchanged",
        "deals 2 created 0 updated 0 unchanged",
        "deals 3 skipped (1 lost, 2 open; only won opportunities are imported)",
    ]
    assert count(cli_db, Deal) == 2


def test_a_bad_crm_value_exits_2_and_writes_nothing(cli_db, tmp_path):
    opportunities = tmp_path / "opps.csv"
    text = (FIXTURES / "salesforce_opportunities.csv").read_text()
    opportunities.write_text(text.replace("New Business", "New Busines"))
    users = str(FIXTURES / "salesforce_users.csv")
    result = run("import", users, str(opportunities), "--mapping", "salesforce")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].startswith(
        "error: opps.csv row 2, column Type: 'New Busines' is not a type the salesforce "
        "mapping knows (known: Add-On Business, "
    )
    assert result.stderr.splitlines()[-1] == "1 problem(s); nothing was imported"
    assert "Traceback" not in result.output
    assert count(cli_db, Participant) == count(cli_db, Deal) == 0


def test_a_custom_mapping_file_and_its_problems(cli_db, tmp_path):
    mapping = tmp_path / "mine.yaml"
    mapping.write_text("mapping: mine\nextends: salesforce\ndeals:\n  type: {Upsell: expansion}\n")
    users = str(FIXTURES / "salesforce_users.csv")
    result = run("import", users, "--mapping", str(mapping))
    assert result.exit_code == 0, result.output
    mapping.write_text("mapping: mine\ndeals:\n  stage: {lost: [Closed Lost]}\n")
    result = run("import", users, "--mapping", str(mapping))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: mine.yaml: deals.stage.won: at least one stage must mean won (only won rows "
        "become deals)",
        "1 problem(s); nothing was imported",
    ]
    result = run("import", users, "--mapping", "hubspot")
    assert result.exit_code == 2
    assert "cannot read the mapping" in result.stderr


def test_fx_csv_with_dates_and_a_correction_into_a_locked_period(cli_db, tmp_path):
    """`from` column; a rate reaching a locked quarter exits 2 naming row and column, and
    is accepted with --correction (which the summary says)."""
    from sqlalchemy.orm import Session

    from tests.support.payout_close import make_run

    with Session(cli_db) as session:
        make_run(session, None, "2026-Q3", state="locked")
        session.commit()
    refresh = tmp_path / "fx.csv"
    refresh.write_text("pair,rate,from\nEUR/USD,1.10,2026-10-01\nGBP/USD,1.27,\n")
    result = run("import", str(refresh))
    assert result.exit_code == 2, result.output
    assert "error: fx.csv row 3, column rate: GBP/USD 1.27 (from the beginning)" in result.stderr
    assert "reaches locked period(s) 2026-Q3" in result.stderr
    assert "fx.csv row 2" not in result.stderr  # from 2026-10-01: an open quarter

    result = run("import", str(refresh), "--correction")
    assert result.exit_code == 0, result.output
    assert summary(result)[-2:] == [
        "fx EUR/USD 1.10 from 2026-10-01 (was no rate)",
        "fx GBP/USD 1.27 from the beginning (was no rate): corrects locked period(s) 2026-Q3",
    ]
