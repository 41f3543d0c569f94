"""Fields every API schema shares, so responses say what openapi.json says (issue 12).

- `UtcDateTime`: every time the API emits is aware UTC (`2026-07-01T09:30:00+00:00`).
  SQLite gives stored times back naive (they are UTC), PostgreSQL in the session's zone;
  clients should not see the difference, and OpenAPI's `date-time` requires an offset.
- `Money`: an exact decimal emitted as a JSON string (`"95.040000"`), documented as a
  string with a decimal pattern, never as a JSON number (a float would round it).
"""

from __future__ import annotations

from datetime import UTC

import marshmallow as ma

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"


class UtcDateTime(ma.fields.DateTime):
    """A timestamp emitted as aware UTC; a naive one is read as UTC."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None:
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class Money(ma.fields.Decimal):
    """An exact decimal as text: `type: string`, `format: decimal` in the schema."""

    def __init__(self, *args, **kwargs):
        metadata = {"type": "string", "format": "decimal", "pattern": DECIMAL_PATTERN}
        metadata.update(kwargs.pop("metadata", {}))
        super().__init__(*args, as_string=True, metadata=metadata, **kwargs)
