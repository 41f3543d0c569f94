"""Schemas of `/api/v1/audit`: records, a page of them, filters, exports and verification."""

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
