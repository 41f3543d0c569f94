"""Declarative base, constraint naming convention and column types used everywhere."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import JSON, DateTime, MetaData, Numeric
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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
