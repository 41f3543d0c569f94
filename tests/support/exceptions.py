"""A submitted payout exception written straight to the database, for the permission
matrix (which checks who may call what, not the filing logic: tests/integration covers
that). It is filed by someone other than the caller, routed `below` (the deal desk and
finance decide), under the approval rules in force."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from governance.committee import approval_rules
from models import Participant, PayoutException


def submitted_exception(db, filer) -> PayoutException:
    if db.get(Participant, "matrix-ex-payee") is None:
        db.add(Participant(id="matrix-ex-payee", attributes={}))
    exc = PayoutException(
        kind="adjustment",
        state="submitted",
        participant_id="matrix-ex-payee",
        plan_key="matrix-plan",
        period="2026-Q3",
        amount=Decimal("100"),
        currency="USD",
        justification="matrix",
        estimated_impact=Decimal("100"),
        impact_currency="USD",
        impact={"complete": True, "delta": "100.00", "moved": "100.00", "participants": []},
        route="below",
        rule_set_id=approval_rules.active_rule_set(db).id,
        content_hash="sha256:" + hashlib.sha256(b"matrix exception").hexdigest(),
        filed_by_id=filer.id,
        version=1,
    )
    db.add(exc)
    db.flush()
    return exc


def matrix_exception(world) -> None:
    """PREPARE for the permission matrix: a submitted exception filed by a deal-desk user."""
    exc = submitted_exception(world.db, world.person("deal_desk"))
    world.values.update(exception_id=exc.id, content_hash=exc.content_hash)
