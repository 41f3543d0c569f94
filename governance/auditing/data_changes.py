"""Audit records for data changes that affect pay: imports and users' roles.

An accepted import appends one `data.import` record (`record_import`) whose before and
after hashes cover the WHOLE pay-relevant data state (`data_state`: one hash per kind),
so consecutive imports chain and a change made outside an import shows. A change of a
user's roles or committee functions appends a `user.roles` record (`record_roles`).

What the records hold and what reading the state costs: docs/governance.md, "Data
changes that affect pay".
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from governance import audit
from governance.permissions import Actor
from models import (
    Assignment,
    Deal,
    DealEvent,
    DealSplit,
    DealTeamMember,
    DealTouchpoint,
    FxRate,
    Participant,
    Quota,
)
from models.audit import AuditRecord
from models.identity import User

# kind -> model, in the order they are hashed into the whole-state hash.
DATA_KINDS: dict[str, Any] = {
    "participants": Participant,
    "assignments": Assignment,
    "quotas": Quota,
    "deals": Deal,
    "splits": DealSplit,
    "team": DealTeamMember,
    "touchpoints": DealTouchpoint,
    "events": DealEvent,
    "fx": FxRate,
}
SKIPPED_COLUMNS = frozenset({"created_at", "updated_at"})
IMPORT_ACTION = "data.import"
BATCH = 2000


def _text(value: Any) -> Any:
    if isinstance(value, Decimal):
        # normalize(): the same number reads back as 1E+2 or 100.00 depending on the type's
        # scale; compare numbers, not their spelling. Integral values print plainly.
        normal = value.normalize()
        return format(normal, "f") if normal == normal.to_integral() else str(normal)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def table_hash(session: Session, model: Any) -> str:
    table: Table = model.__table__
    columns = [c for c in table.columns if c.name not in SKIPPED_COLUMNS]
    digest = hashlib.sha256()
    stmt = select(*columns).order_by(*table.primary_key.columns).execution_options(yield_per=BATCH)
    for row in session.execute(stmt):
        line = json.dumps([_text(v) for v in row], sort_keys=True, default=str)
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return "sha256:" + digest.hexdigest()


def data_state(session: Session) -> dict[str, str]:
    """kind -> hash of its rows as this session sees them now (flush first)."""
    session.flush()
    return {kind: table_hash(session, model) for kind, model in DATA_KINDS.items()}


def state_hash(kinds: dict[str, str]) -> str:
    """One hash for the whole data state, from the per-kind hashes."""
    return audit.sha256_json(kinds)  # kind names and hashes: ASCII, the same bytes


def record_import(
    session: Session,
    actor: Actor,
    *,
    sources: list[str],
    counts: dict[str, Any],
    before: dict[str, str],
    fx_changes: list[dict[str, Any]] = (),
    correction: bool = False,
) -> AuditRecord:
    """The audit record of one accepted import; `before` is `data_state` taken before it.
    `fx_changes`: the FX rates that change the rate in force somewhere (and the locked
    periods they reach, which only a `correction` may)."""
    extra: dict[str, Any] = {"fx_changes": list(fx_changes)} if fx_changes else {}
    if correction:
        extra["correction"] = True
    after = data_state(session)
    return audit.record(
        session,
        actor,
        IMPORT_ACTION,
        "data",
        ",".join(sources)[:128] or "import",
        before=state_hash(before),
        after=state_hash(after),
        payload={
            "sources": sources,
            "counts": {
                kind: {"inserted": c.created, "updated": c.updated, "unchanged": c.unchanged}
                for kind, c in counts.items()
            },
            "changed": sorted(kind for kind in after if after[kind] != before.get(kind)),
            "before": before,
            "after": after,
            **extra,
        },
    )


# --------------------------------------------------------------------------- roles

ROLES_ACTION = "user.roles"


def role_grants(user: User) -> list[list[str | None]]:
    """A user's roles as sorted [role, function] pairs (function only for committee)."""
    return sorted(([r.role, r.function] for r in user.roles), key=lambda p: (p[0], p[1] or ""))


def _grants_hash(grants: list[list[str | None]]) -> str:
    return audit.sha256_json(grants)


def record_roles(
    session: Session, actor: Actor, user: User, before: list[list[str | None]]
) -> AuditRecord | None:
    """Audit a change of `user`'s roles or committee functions (who may approve, vote and
    see pay), given the grants before; nothing is written when nothing changed."""
    after = role_grants(user)
    if after == before:
        return None
    return audit.record(
        session,
        actor,
        ROLES_ACTION,
        "user",
        user.id,
        before=_grants_hash(before) if before else None,
        after=_grants_hash(after),
        payload={
            "email": user.email,
            "before": before,
            "after": after,
            "granted": [g for g in after if g not in before],
            "revoked": [g for g in before if g not in after],
        },
    )
