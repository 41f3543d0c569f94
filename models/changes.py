"""The change journal of the engine's inputs: one row per input row written.

Written only by database triggers (revision 0025) on every table a payout run reads:
no writer can change an input without a row here, raw SQL included. Read by
`governance.changes`. Why: docs/decisions.md, "Incremental re-runs: the change journal".
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class InputChange(Base):
    __tablename__ = "input_changes"
    __table_args__ = (Index("ix_input_changes_txid", "txid"), {"sqlite_autoincrement": True})

    # SQLite: INTEGER PRIMARY KEY AUTOINCREMENT (never reused: the id is the revision).
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # deal | participant | fx | exception | plan
    kind: Mapped[str] = mapped_column(String(16))
    deal_id: Mapped[str | None] = mapped_column(String(64))
    participant_id: Mapped[str | None] = mapped_column(String(64))
    # PostgreSQL: the writing transaction's id (pg_current_xact_id), compared with a run's
    # snapshot; NULL on SQLite (one writer at a time: the id orders the commits).
    txid: Mapped[int | None] = mapped_column(BigInteger)
    # The day that decides which periods read the row (revisions 0035, 0036): a deal's close
    # date (for its splits, team and touchpoints too), an event's date, old and new rows
    # each their own; NULL: any period may read it.
    day: Mapped[date | None]
