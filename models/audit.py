"""The append-only, hash-chained audit log and the head of its chain.

Each `AuditRecord` carries the hash of the record before it (`prev_hash`) and its own
`record_hash` over a canonical serialisation of all its fields (see `governance.audit`),
so changing, removing or reordering any record breaks the chain from there on. The
database itself refuses UPDATE and DELETE on `audit_records` (triggers created by
migration 0002); `prev_hash` is unique, so the chain cannot fork even if two writers
raced past the head lock.

`AuditChainHead` is a single row (id 1) holding the last record's id and hash. Appenders
lock it (SELECT ... FOR UPDATE on PostgreSQL) to serialise appends, and `verify` compares
it with the last record, which catches a tail cut off the log. Migration 0016 seals it: a
record must follow the last one and link to its hash, the head only moves forward to the
last record with its hash, and the head row cannot be inserted or deleted. Whoever can
drop triggers can still rewrite both; anchors kept outside Accord catch that
(`governance.auditing.anchors`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Json

# The prev_hash of the first record: there is nothing before it.
GENESIS_HASH = "0" * 64


class AuditRecord(Base):
    __tablename__ = "audit_records"
    __table_args__ = (CheckConstraint("id > 0", name="id_positive"),)

    # Assigned from the chain head (gapless: 1, 2, 3, ...), never by a sequence, so a
    # missing id is visible and the id can be part of the hashed content.
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    # NULL for the system (CLI operator, data migrations). Users who acted are deactivated,
    # never deleted: the foreign key (no ON DELETE action) keeps their records attributable.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(128))
    before_hash: Mapped[str | None] = mapped_column(String(71))
    after_hash: Mapped[str | None] = mapped_column(String(71))
    payload: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    record_hash: Mapped[str] = mapped_column(String(64), unique=True)

    def __repr__(self) -> str:
        return f"<AuditRecord {self.id} {self.action} {self.object_type}:{self.object_id}>"


class AuditChainHead(Base):
    __tablename__ = "audit_chain_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
