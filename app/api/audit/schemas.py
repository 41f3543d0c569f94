"""Schemas of `/api/v1/audit`: records, a page of them, filters, exports, verification and
anchors."""

import marshmallow as ma

from app.limits import DatabaseInteger


class AuditRecordSchema(ma.Schema):
    id = DatabaseInteger()
    at = ma.fields.String(metadata={"description": "UTC, as hashed: 2026-07-01T09:30:00.000000Z"})
    actor_id = DatabaseInteger(allow_none=True, metadata={"description": "null: the system"})
    action = ma.fields.String(metadata={"description": "e.g. plan_version.submitted"})
    object_type = ma.fields.String()
    object_id = ma.fields.String()
    before_hash = ma.fields.String(allow_none=True)
    after_hash = ma.fields.String(allow_none=True)
    payload = ma.fields.Dict()
    prev_hash = ma.fields.String(metadata={"description": "record_hash of the record before"})
    record_hash = ma.fields.String(metadata={"description": "sha256 of this record's fields"})


class AuditFilterSchema(ma.Schema):
    action = ma.fields.String(load_default=None)
    object_type = ma.fields.String(load_default=None)
    object_id = ma.fields.String(load_default=None)
    actor_id = DatabaseInteger(load_default=None)


class AuditPageQuerySchema(AuditFilterSchema):
    page = DatabaseInteger(load_default=1, validate=ma.validate.Range(min=1))
    per_page = DatabaseInteger(load_default=50, validate=ma.validate.Range(min=1, max=500))


class AuditPageSchema(ma.Schema):
    items = ma.fields.List(
        ma.fields.Nested(AuditRecordSchema), metadata={"description": "newest first"}
    )
    page = DatabaseInteger()
    per_page = DatabaseInteger()
    total = DatabaseInteger()


class FormatQuerySchema(ma.Schema):
    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(("json", "csv")))


class AuditExportQuerySchema(AuditFilterSchema, FormatQuerySchema):
    pass


class VerificationSchema(ma.Schema):
    ok = ma.fields.Boolean()
    first_broken_id = DatabaseInteger(allow_none=True)
    reason = ma.fields.String(allow_none=True)
    checked = DatabaseInteger(metadata={"description": "records read"})


class AnchorSchema(ma.Schema):
    format = ma.fields.String(metadata={"description": "accord-audit-anchor/1"})
    record_count = DatabaseInteger(metadata={"description": "records in the chain"})
    head_digest = ma.fields.String(
        metadata={"description": "record_hash of record `record_count` (64 zeros for none)"}
    )
    algorithm = ma.fields.String(metadata={"description": "sha256: how record hashes are made"})
    taken_at = ma.fields.String(metadata={"description": "UTC: 2026-07-01T09:30:00.000000Z"})
    signature_algorithm = ma.fields.String(metadata={"description": "hmac-sha256"})
    key_id = ma.fields.String(metadata={"description": "names the signing key, not the key"})
    signature = ma.fields.String(
        metadata={"description": "HMAC-SHA256 (hex) of the canonical JSON of the other fields"}
    )


class AnchorsBodySchema(ma.Schema):
    anchors = ma.fields.List(
        ma.fields.Dict(),
        required=True,
        validate=ma.validate.Length(min=1, max=100),
        metadata={"description": "anchors as `GET /audit/anchor` gave them, unchanged"},
    )


class AnchorCheckSchema(ma.Schema):
    name = ma.fields.String(metadata={"description": "$.anchors[i]"})
    record_count = DatabaseInteger()
    head_digest = ma.fields.String()
    taken_at = ma.fields.String()
    ok = ma.fields.Boolean(metadata={"description": "the chain still extends this anchor"})
    reason = ma.fields.String(allow_none=True, metadata={"description": "which records changed"})


class AnchoredVerificationSchema(VerificationSchema):
    anchors = ma.fields.List(
        ma.fields.Nested(AnchorCheckSchema), metadata={"description": "fewest records first"}
    )
