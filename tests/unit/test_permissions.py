"""The permission table: well-formed, a few separations of duties, and its copy in the docs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from governance.permissions import (
    PERMISSIONS,
    ROLE_PERMISSIONS,
    has_permission,
    permissions_of,
)
from models.identity import ROLES

SECURITY_DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


@dataclass(frozen=True)
class Holder:
    """Anything with role names will do (governance takes users by that protocol)."""

    role_names: frozenset[str]


def holder(*roles: str) -> Holder:
    return Holder(frozenset(roles))


def test_every_role_has_an_entry_and_no_other_exists():
    assert set(ROLE_PERMISSIONS) == set(ROLES)


def test_roles_grant_only_known_permissions():
    for role, granted in ROLE_PERMISSIONS.items():
        assert granted <= PERMISSIONS.keys(), f"{role}: {sorted(granted - PERMISSIONS.keys())}"


def test_admin_holds_every_permission():
    assert permissions_of(holder("admin")) == frozenset(PERMISSIONS)


def test_permissions_are_the_union_over_roles():
    both = permissions_of(holder("rep", "auditor"))
    assert both == ROLE_PERMISSIONS["rep"] | ROLE_PERMISSIONS["auditor"]
    assert has_permission(holder("rep", "auditor"), "audit.read")
    assert has_permission(holder("rep", "auditor"), "disputes.file")


def test_nobody_and_no_role_hold_nothing():
    assert permissions_of(None) == frozenset()
    assert permissions_of(holder()) == frozenset()
    assert not has_permission(None, "plans.read")


def test_an_unknown_role_grants_nothing():
    assert permissions_of(holder("superuser")) == frozenset()


def test_an_unknown_permission_name_fails_loudly():
    with pytest.raises(KeyError, match="plans.raed"):
        has_permission(holder("admin"), "plans.raed")


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_no_single_role_drafts_and_approves_plans(role):
    granted = ROLE_PERMISSIONS[role]
    assert not ({"plans.edit"} <= granted and granted & {"plans.approve", "changes.vote"})


def test_the_auditor_only_reads():
    writes = {p for p in ROLE_PERMISSIONS["auditor"] if ".read" not in p}
    assert writes == {"tokens.manage_own"}


def test_only_the_admin_manages_users():
    assert [r for r, g in ROLE_PERMISSIONS.items() if "users.manage" in g] == ["admin"]


def test_reps_and_managers_see_no_organisation_wide_data():
    for role in ("rep", "manager"):
        assert not ROLE_PERMISSIONS[role] & {"data.read", "statements.read_all", "audit.read"}


def _doc_table() -> tuple[list[str], dict[str, set[str]]]:
    text = SECURITY_DOC.read_text(encoding="utf-8")
    found = re.search(r"<!-- permissions-table.*?-->\n(.*?)<!-- /permissions-table -->", text, re.S)
    assert found, f"{SECURITY_DOC} lost its permissions-table markers"
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in found.group(1).strip().splitlines()
    ]
    header, body = rows[0], rows[2:]
    roles = header[2:]
    table = {
        row[0].strip("`"): {r for r, mark in zip(roles, row[2:], strict=True) if mark}
        for row in body
    }
    return roles, table


def test_the_table_in_docs_security_md_matches_the_code():
    roles, table = _doc_table()
    assert roles == list(ROLE_PERMISSIONS), "the table's columns are the roles, in code order"
    assert list(table) == list(PERMISSIONS), (
        "docs/security.md: one row per permission, in the order of PERMISSIONS"
    )
    for permission, holders in table.items():
        in_code = {r for r, granted in ROLE_PERMISSIONS.items() if permission in granted}
        assert holders == in_code, (
            f"docs/security.md, row {permission}: the table says {sorted(holders)}, "
            f"governance/permissions.py grants it to {sorted(in_code)}"
        )
