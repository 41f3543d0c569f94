"""`accord audit anchor` and `accord audit verify --anchor FILE` on both databases: exit 0
while the chain extends the anchor, 1 once it was rewritten (even consistently, behind
dropped triggers), 2 for a file that is not a genuine anchor."""

from __future__ import annotations

import json

import pytest

from models.engine import make_engine
from tests.integration.test_audit_cli import _import_twice
from tests.integration.test_policy_store import plan_text
from tests.support import audit_attacks as attack
from tests.support.cli import run


@pytest.fixture
def anchored(cli_env, tmp_path, monkeypatch):
    """Two records, anchored in `anchor.json` with a configured key."""
    monkeypatch.setenv("ACCORD_AUDIT_ANCHOR_KEY", "auditor-kept key 1")
    _import_twice(tmp_path)
    path = tmp_path / "anchor.json"
    result = run("audit", "anchor", "--output", path)
    assert result.exit_code == 0, result.output
    assert f"wrote {path}: record 2" in result.output
    return path


def _import_another(tmp_path, key: str) -> None:
    source = tmp_path / f"plan-{key}.yaml"
    source.write_text(plan_text(key=key, rate="0.05"), encoding="utf-8")
    assert run("plans", "import", source).exit_code == 0


def _behind_the_database(cli_env, action) -> None:
    engine = make_engine(cli_env)
    try:
        with engine.begin() as conn:
            attack.drop_guards(conn)
            action(conn)
    finally:
        engine.dispose()


def test_anchor_prints_the_signed_head(cli_env, monkeypatch, tmp_path):
    monkeypatch.setenv("ACCORD_AUDIT_ANCHOR_KEY", "auditor-kept key 1")
    _import_twice(tmp_path)
    result = run("audit", "anchor")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["format"] == "accord-audit-anchor/1"
    assert document["record_count"] == 2
    records = json.loads(run("audit", "export").output)
    assert document["head_digest"] == records[-1]["record_hash"]
    assert (document["algorithm"], document["signature_algorithm"]) == ("sha256", "hmac-sha256")
    assert len(document["signature"]) == 64


def test_the_chain_grown_since_still_extends_the_anchor(anchored, tmp_path):
    _import_another(tmp_path, "plan-later")
    result = run("audit", "verify", "--anchor", anchored)
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"audit chain ok: 3 records\nanchor {anchored}: ok, the chain extends record 2\n"
    )


def test_a_rewrite_behind_dropped_triggers_passes_plain_verify_but_not_the_anchor(
    anchored, cli_env, tmp_path
):
    _import_another(tmp_path, "plan-later")
    _behind_the_database(cli_env, lambda conn: attack.rewrite(conn, 1, {"forged": "yes"}))
    assert run("audit", "verify").exit_code == 0  # consistent: the public formula was used
    result = run("audit", "verify", "--anchor", anchored)
    assert result.exit_code == 1
    assert "audit chain ok: 3 records" in result.output
    assert f"anchor {anchored}: does not hold: record 2 now has hash" in result.output
    assert "one of records 1 to 2 was rewritten since" in result.output


def test_a_tail_cut_behind_dropped_triggers_is_caught_by_the_anchor(anchored, cli_env):
    _behind_the_database(cli_env, lambda conn: attack.cut_tail(conn, 1))
    assert run("audit", "verify").exit_code == 0
    result = run("audit", "verify", "--anchor", anchored)
    assert result.exit_code == 1
    assert "the anchor counts 2 records but the chain now ends at record 1" in result.output


def test_an_edited_anchor_is_refused_with_its_signature_named(anchored, tmp_path):
    document = json.loads(anchored.read_text())
    document["record_count"] = 1  # e.g. to make a cut tail pass
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(document))
    result = run("audit", "verify", "--anchor", edited)
    assert result.exit_code == 2
    assert f"error: {edited}: not a valid audit chain anchor" in result.output
    assert (
        "error: $.signature: the signature does not match: the anchor was edited after it"
        " was signed" in result.output
    )


def test_an_anchor_of_another_key_says_so_and_can_be_checked_without_it(anchored, monkeypatch):
    monkeypatch.setenv("ACCORD_AUDIT_ANCHOR_KEY", "a rotated key")
    result = run("audit", "verify", "--anchor", anchored)
    assert result.exit_code == 2
    assert "signed with another key (key id" in result.output
    assert "this Accord's ACCORD_AUDIT_ANCHOR_KEY gives" in result.output
    skipped = run("audit", "verify", "--anchor", anchored, "--skip-signature")
    assert skipped.exit_code == 0, skipped.output


def test_a_file_that_is_not_an_anchor_is_located(cli_env, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": ')
    result = run("audit", "verify", "--anchor", broken)
    assert result.exit_code == 2
    assert f"error: {broken}: not JSON: line 1 column 12" in result.output
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"format": "accord-audit-anchor/1", "record_count": -1}))
    result = run("audit", "verify", "--anchor", partial)
    assert result.exit_code == 2
    assert "error: $.record_count: expected a whole number from 0 to 2147483647" in result.output
    assert "error: $.head_digest: missing" in result.output
    assert "error: $.signature: missing" in result.output


def test_a_broken_chain_gets_no_anchor(cli_env, tmp_path, monkeypatch):
    monkeypatch.setenv("ACCORD_AUDIT_ANCHOR_KEY", "auditor-kept key 1")
    _import_twice(tmp_path)
    _behind_the_database(
        cli_env, lambda conn: conn.exec_driver_sql("UPDATE audit_records SET object_id = 'x'")
    )
    result = run("audit", "anchor")
    assert result.exit_code == 1
    assert "error: the audit chain is broken at record 1" in result.output
    assert "no anchor is taken of a broken chain" in result.output


def test_anchoring_without_any_configured_key_warns(cli_env, monkeypatch):
    monkeypatch.delenv("ACCORD_AUDIT_ANCHOR_KEY", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    result = run("audit", "anchor")
    assert result.exit_code == 0
    assert "warning: neither ACCORD_AUDIT_ANCHOR_KEY nor SECRET_KEY is set" in result.stderr
    assert json.loads(result.stdout)["record_count"] == 0
