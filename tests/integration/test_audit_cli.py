"""`accord audit verify|export`: exit 0 on a sound chain, 1 naming the first tampered record."""

from __future__ import annotations

import json

from sqlalchemy import text

from models.engine import make_engine
from tests.integration.test_policy_store import plan_text
from tests.support.cli import run


def _import_twice(tmp_path) -> None:
    for rate in ("0.06", "0.07"):
        source = tmp_path / f"plan-{rate}.yaml"
        source.write_text(plan_text(key=f"plan-{rate[-1]}", rate=rate), encoding="utf-8")
        assert run("plans", "import", str(source)).exit_code == 0


def test_verify_and_export_a_sound_chain(cli_env, tmp_path):
    _import_twice(tmp_path)
    result = run("audit", "verify")
    assert (result.exit_code, result.output) == (0, "audit chain ok: 2 records\n")
    records = json.loads(run("audit", "export", "--format", "json").output)
    assert [r["object_id"] for r in records] == ["plan-6/1", "plan-7/1"]
    lines = run("audit", "export", "--format", "csv").output.splitlines()
    assert lines[0].startswith("id,at,actor_id,action")
    assert len(lines) == 3
    versions = json.loads(run("audit", "export", "--what", "plan-versions").output)
    assert [(v["plan"], v["state"]) for v in versions] == [("plan-6", "draft"), ("plan-7", "draft")]
    decisions = run("audit", "export", "--what", "plan-transitions", "--format", "csv").output
    assert (
        decisions.splitlines()[0] == "plan,number,content_hash,from_state,to_state,actor_id,at,note"
    )


def test_verify_names_the_record_tampered_with_behind_the_triggers(cli_env, tmp_path):
    _import_twice(tmp_path)
    engine = make_engine(cli_env)
    try:
        with engine.begin() as conn:
            # What an attacker with database access would do: disable the guard, edit.
            if conn.dialect.name == "postgresql":
                conn.execute(text("DROP TRIGGER audit_records_append_only ON audit_records"))
            else:
                conn.execute(text("DROP TRIGGER audit_records_no_update"))
            conn.execute(text("UPDATE audit_records SET object_id = 'plan-9/1' WHERE id = 1"))
    finally:
        engine.dispose()
    result = run("audit", "verify")
    assert result.exit_code == 1
    assert "audit chain broken at record 1:" in result.output
