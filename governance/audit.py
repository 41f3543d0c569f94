"""The hash-chained audit log: `record` appends in the caller's transaction, `verify` checks.

Each record's hash covers its fields and the previous record's hash, so changing,
removing or reordering a record breaks every link after it; appends lock the single
`audit_chain_head` row, which serialises writers. Payloads are small JSON objects
(Decimals as text, floats refused). What auditors export is in `auditing.exports`.

The record, the chain, locking and verification: docs/governance.md, "The audit chain".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.notifications import events as notification_events
from governance.permissions import Actor
from models.audit import GENESIS_HASH, AuditChainHead, AuditRecord
from models.base import utcnow


class AuditError(Exception):
    """Something was asked of the audit log that it cannot do (e.g. a float payload)."""


def _plain(value: Any, path: str = "payload") -> Any:
    """A JSON value whose text round-trips exactly through either database."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        raise AuditError(f"{path}: a float has no exact text; pass a Decimal or a string")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return timestamp_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, f"{path}[{i}]") for i, v in enumerate(value)]
    raise AuditError(f"{path}: {type(value).__name__} is not JSON")


def timestamp_text(value: datetime) -> str:
    """UTC, microseconds, `Z`: the same text whichever database gave the value back.

    SQLite returns naive datetimes (stored as UTC), PostgreSQL aware ones in the session's
    time zone; both mean the same instant and must hash the same.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_text(document: Any) -> str:
    """Compact JSON with sorted keys, UTF-8 text kept as is: what every content hash hashes."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_text(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_json(document: Any) -> str:
    """ "sha256:<hex>" of `canonical_text(document)`: the content hashes of exceptions,
    disputes, payout runs, approval rules, role grants, the data state, audit records."""
    return sha256_text(canonical_text(document))


def compute_hash(record: Any) -> str:
    """SHA-256 (hex) over the canonical serialisation of the record, including `prev_hash`."""
    fields = {
        "id": record.id,
        "at": timestamp_text(record.at),
        "actor": record.actor_id,
        "action": record.action,
        "object_type": record.object_type,
        "object_id": record.object_id,
        "before_hash": record.before_hash,
        "after_hash": record.after_hash,
        "payload": record.payload or {},
        "prev_hash": record.prev_hash,
    }
    return sha256_json(fields).removeprefix("sha256:")


def _lock_head(session: Session) -> AuditChainHead:
    # FOR UPDATE makes a concurrent appender wait for our commit and then read our hash
    # (READ COMMITTED re-reads a locked row); SQLite ignores it and serialises writers.
    # populate_existing: a copy already in the identity map could predate the lock.
    stmt = (
        select(AuditChainHead)
        .where(AuditChainHead.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    head = session.scalars(stmt).one_or_none()
    if head is None:
        raise AuditError("the audit chain head is missing: is the database migrated?")
    return head


def record(
    session: Session,
    actor: Actor,
    action: str,
    obj_type: str,
    obj_id: str | int,
    *,
    before: str | None = None,
    after: str | None = None,
    payload: Mapping[str, Any] | None = None,
) -> AuditRecord:
    """Append one record in the caller's transaction (flushes; the caller commits).

    `actor` is a user (anything with an `id`) or None for the system; `before`/`after`
    are hashes of the object's content before and after the change.
    """
    head = _lock_head(session)
    entry = AuditRecord(
        id=head.last_id + 1,
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        before_hash=before,
        after_hash=after,
        payload=_plain(dict(payload or {})),
        prev_hash=head.last_hash,
    )
    entry.record_hash = compute_hash(entry)
    session.add(entry)
    # The record first, then the head: the head's trigger (migration 0016) accepts only a
    # head that points at the last record already written, with its hash.
    session.flush()
    head.last_id = entry.id
    head.last_hash = entry.record_hash
    session.flush()
    notification_events.record(session, entry)  # what it announces, in this transaction
    return entry


def _check_link(entry: Any, expected_id: int, expected_prev: str) -> str | None:
    if entry.id != expected_id:
        return f"record {expected_id} is missing before {entry.id}"
    if entry.prev_hash != expected_prev:
        return "prev_hash does not match the previous record's hash"
    if compute_hash(entry) != entry.record_hash:
        return "record_hash does not match the record's content"
    return None


@dataclass(frozen=True)
class Verification:
    ok: bool
    first_broken_id: int | None
    reason: str | None
    checked: int
    # The last record walked and its hash: what an anchor of a sound chain states.
    last_id: int = 0
    last_hash: str = GENESIS_HASH

    def __iter__(self) -> Iterator[Any]:
        # `ok, first_broken_id, reason = verify(session)` reads naturally at call sites.
        return iter((self.ok, self.first_broken_id, self.reason))


def verify(session: Session, batch_size: int = 1000) -> Verification:
    """Walk the chain from the first record; name the first record that does not hold.

    Reads rows with Core, not ORM objects: objects already in the session's identity map
    would show what this session wrote, not what the database holds now.
    """
    expected_prev = GENESIS_HASH
    expected_id = 1
    checked = 0
    last_id = 0
    table = AuditRecord.__table__
    stmt = select(table).order_by(table.c.id).execution_options(yield_per=batch_size)
    result = session.execute(stmt)
    try:
        for entry in result:
            checked += 1
            broken = _check_link(entry, expected_id, expected_prev)
            if broken:
                return Verification(False, entry.id, broken, checked, last_id, expected_prev)
            expected_prev = entry.record_hash
            expected_id += 1
            last_id = entry.id
    finally:
        result.close()  # a server-side cursor (yield_per) left open when we stop early
    reason = _head_mismatch(session, last_id, expected_prev)
    if reason:
        broken_id = last_id + 1 if last_id else None
        return Verification(False, broken_id, reason, checked, last_id, expected_prev)
    return Verification(True, None, None, checked, last_id, expected_prev)


def _head_mismatch(session: Session, last_id: int, last_hash: str) -> str | None:
    """Why the head does not close the walked chain at `last_id`, or None.

    The head is read after the walk. On PostgreSQL (READ COMMITTED) records committed in
    between are past the walk but not past the head: the head then names a later record,
    whose own hash it must carry. A head behind the walk was moved back.
    """
    head_table = AuditChainHead.__table__
    head = session.execute(select(head_table).where(head_table.c.id == 1)).one_or_none()
    if head is None:
        return "the chain head is missing"
    if head.last_id == last_id and head.last_hash == last_hash:
        return None
    if head.last_id > last_id:
        table = AuditRecord.__table__
        stored = session.scalar(select(table.c.record_hash).where(table.c.id == head.last_id))
        if stored is not None and stored == head.last_hash:
            return None  # appended while we walked
    return "the chain head does not match the last record (records removed at the end?)"


def list_records(
    session: Session,
    *,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    actor_id: int | None = None,
):
    """A select of records (newest first) with the given filters, for paging or export."""
    stmt = select(AuditRecord)
    if action:
        stmt = stmt.where(AuditRecord.action == action)
    if object_type:
        stmt = stmt.where(AuditRecord.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditRecord.object_id == object_id)
    if actor_id is not None:
        stmt = stmt.where(AuditRecord.actor_id == actor_id)
    return stmt.order_by(AuditRecord.id.desc())


def as_dict(entry: AuditRecord) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": timestamp_text(entry.at),
        "actor_id": entry.actor_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "before_hash": entry.before_hash,
        "after_hash": entry.after_hash,
        "payload": entry.payload or {},
        "prev_hash": entry.prev_hash,
        "record_hash": entry.record_hash,
    }
