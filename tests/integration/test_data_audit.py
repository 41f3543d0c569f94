"""Audit records of pay-affecting data changes: imports (hashes of the data state before
and after, counts per kind) and users' roles, on both databases."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from sqlalchemy import func, select

from governance import audit
from governance.accounts import AccountError, set_roles
from governance.auditing import data_changes
from governance.imports.service import import_data
from models import AuditRecord, Deal
from rules.problems import InvalidData
from rules.yamlload import load_json
from tests.support.cli import run

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"


def org() -> dict:
    return load_json((FIXTURES / "org.json").read_text())


def _records(db, action: str) -> list[AuditRecord]:
    return list(
        db.scalars(select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id))
    )


def test_an_import_writes_one_record_with_the_data_state_hashes(db, make_user):
    importer = make_user("comp_admin")
    before = data_changes.data_state(db)
    import_data(db, org(), source="org.json", actor=importer)
    after = data_changes.data_state(db)
    db.commit()
    [entry] = _records(db, "data.import")
    assert (entry.actor_id, entry.object_type, entry.object_id) == (importer.id, "data", "org.json")
    assert entry.before_hash == data_changes.state_hash(before)
    assert entry.after_hash == data_changes.state_hash(after) != entry.before_hash
    assert entry.payload["before"] == before and entry.payload["after"] == after
    assert entry.payload["counts"]["participants"] == {"inserted": 5, "updated": 0, "unchanged": 0}
    assert entry.payload["counts"]["deals"] == {"inserted": 2, "updated": 0, "unchanged": 0}
    assert {"participants", "deals", "fx"} <= set(entry.payload["changed"])

    # The same data again: a record still, nothing changed, and it chains on the first.
    import_data(db, org(), source="org.json")
    db.commit()
    first, second = _records(db, "data.import")
    assert second.before_hash == second.after_hash == first.after_hash
    assert second.actor_id is None  # the system
    assert second.payload["changed"] == []
    assert second.payload["counts"]["deals"] == {"inserted": 0, "updated": 0, "unchanged": 2}
    assert tuple(audit.verify(db)) == (True, None, None)


def test_an_update_changes_the_hash_of_its_kind_only(db):
    import_data(db, org(), source="org.json")
    changed = copy.deepcopy(org())
    changed["deals"][0]["amount"] = "130000"
    import_data(db, changed, source="fix.json")
    db.commit()
    entry = _records(db, "data.import")[-1]
    assert entry.payload["counts"]["deals"] == {"inserted": 0, "updated": 1, "unchanged": 1}
    assert entry.payload["changed"] == ["deals"]
    assert entry.payload["after"]["deals"] == data_changes.data_state(db)["deals"]


def test_a_change_outside_an_import_breaks_the_link_between_imports(db):
    import_data(db, org(), source="org.json")
    db.get(Deal, "D-1").region = "somewhere else"  # not through an import
    import_data(db, org(), source="org.json")
    db.commit()
    first, second = _records(db, "data.import")
    assert second.before_hash != first.after_hash
    assert "deals" in second.payload["changed"]  # the import put the region back


def test_a_rejected_import_writes_no_record(db):
    bad = copy.deepcopy(org())
    bad["deals"][0]["amount"] = "lots"
    with pytest.raises(InvalidData):
        import_data(db, bad, source="bad.json")
    db.rollback()
    assert _records(db, "data.import") == []
    assert db.scalar(select(func.count()).select_from(Deal)) == 0


def test_role_grants_and_changes_are_audited(db, make_user):
    admin = make_user("admin")
    member = make_user("committee", functions=["finance"])
    created = _records(db, "user.roles")[-1]
    assert (created.object_id, created.before_hash) == (str(member.id), None)
    assert created.payload["granted"] == [["committee", "finance"]]

    assert set_roles(db, member, roles=["committee"], functions=["finance", "sales"], actor=admin)
    assert not set_roles(db, member, roles=["committee"], functions=["sales", "finance"])
    with pytest.raises(AccountError, match="needs at least one function"):
        set_roles(db, member, roles=["committee"])
    db.commit()
    change = _records(db, "user.roles")[-1]
    assert (change.actor_id, change.before_hash) == (admin.id, created.after_hash)
    assert change.payload["granted"] == [["committee", "sales"]]
    assert change.payload["revoked"] == []
    assert member.committee_functions == {"finance", "sales"}
    set_roles(db, member, roles=["auditor"])
    db.commit()
    demoted = _records(db, "user.roles")[-1]
    assert demoted.payload["revoked"] == [["committee", "finance"], ["committee", "sales"]]
    assert tuple(audit.verify(db)) == (True, None, None)


def test_the_import_endpoint_audits_the_caller(client, db, make_user, token_for):
    importer = make_user("comp_admin")
    text = (FIXTURES / "org.json").read_text()
    headers = token_for(importer)
    response = client.post(
        "/api/v1/imports", data=text, content_type="application/json", headers=headers
    )
    assert response.status_code == 201
    dry = client.post(
        "/api/v1/imports?dry_run=true", data=text, content_type="application/json", headers=headers
    )
    assert dry.status_code == 200
    [entry] = _records(db, "data.import")  # the dry run rolled its record back
    assert entry.actor_id == importer.id


def test_cli_imports_and_role_changes_keep_the_chain_sound(cli_env):
    assert run("import", str(FIXTURES / "org.json")).exit_code == 0
    created = run(
        "users", "create", "--email", "f@example.test", "--name", "F", "--role", "committee",
        "--function", "finance", "--password", "a long enough password 1",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    changed = run(
        "users", "roles", "--email", "f@example.test", "--role", "committee",
        "--function", "finance", "--function", "hr",
    )  # fmt: skip
    assert changed.output == "changed: f@example.test (committee:finance, committee:hr)\n"
    assert run("users", "roles", "--email", "nobody@example.test", "--role", "rep").exit_code == 2
    verified = run("audit", "verify")
    assert (verified.exit_code, verified.output) == (0, "audit chain ok: 3 records\n")
    exported = run("audit", "export", "--format", "json").output
    assert [r["action"] for r in load_json(exported)] == ["data.import", "user.roles", "user.roles"]
