"""Declarative base, constraint naming convention and column types used everywhere."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import JSON, DateTime, MetaData, Numeric
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Named constraints make migrations reviewable and downgrades possible on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# Money: 18 digits before the point are far beyond any payout; 6 after keep imported
# amounts exact (the engine rounds to cents only on payout lines).
Money = Numeric(24, 6, asdecimal=True)
# Rates, shares, ratios (0.06, 0.3333333333) kept exact to 12 places.
Ratio = Numeric(18, 12, asdecimal=True)
# JSON documents (attributes, products). Plain JSON rather than JSONB: nothing queries
# inside them, and one type keeps the schema identical on both databases.
Json = JSON()


class TraceJson(TypeDecorator):
    """A payout line's trace: JSON written compactly by orjson, not by `json.dumps`.

    Traces are most of what a payout run writes (about 850 bytes a line); orjson encodes
    them four to eight times faster, and the compact text is smaller to store and parse.
    The content is the same (what is read back is equal); only the layout differs. What
    orjson refuses (an int beyond 64 bits, a lone surrogate) is written by `json.dumps`.
    docs/decisions.md, "Traces written by orjson (issue 14)"."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect):
        return _trace_text


def _trace_text(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


def utcnow() -> datetime:
    return datetime.now(UTC)


def sql_list(values: tuple[str, ...]) -> str:
    """Quote a tuple of known words for an IN (...) of a CHECK constraint or partial index."""
    return ", ".join(f"'{v}'" for v in values)


class Base(DeclarativeBase):
    metadata = metadata
    type_annotation_map = {Decimal: Money, datetime: DateTime(timezone=True)}


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
