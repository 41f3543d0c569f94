"""Schemas of `POST /api/v1/imports`: query options, the documented bodies, the report.

The body itself (section-3 JSON or a CSV file) is validated by `rules.data` through the
import service, not by a marshmallow schema, so that the API, the CLI and the demo
generator share one definition of valid data; the request body below only documents it.
"""

import marshmallow as ma

from app.errors import ProblemSchema
from app.limits import DatabaseInteger
from governance.imports.csv_formats import KINDS
from governance.imports.mapping import built_in_names


class ImportQuerySchema(ma.Schema):
    dry_run = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "validate and count, then roll back: nothing is written"},
    )
    kind = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(KINDS),
        metadata={"description": "what a CSV body holds (default: recognised from its header)"},
    )
    ignore_unknown_columns = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "skip unknown CSV columns instead of rejecting the file"},
    )
    mapping = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(built_in_names()),
        metadata={
            "description": "read the CSV as a CRM export through a built-in mapping "
            "(only won opportunities become deals; a custom mapping is a multipart "
            "`mapping` file)"
        },
    )
    background = ma.fields.Boolean(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "true: queue the import as a job (202); false: import in the "
            "request; absent: queued when the body is IMPORT_ASYNC_BYTES or larger"
        },
    )
    correction = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "allow FX rates that change the rate of a locked period "
            "(audited; the next runs carry prior-period adjustments naming the FX change)"
        },
    )


class CountsSchema(ma.Schema):
    created = DatabaseInteger()
    updated = DatabaseInteger()
    unchanged = DatabaseInteger()


class FxChangeSchema(ma.Schema):
    pair = ma.fields.String()
    rate = ma.fields.String()
    from_ = ma.fields.String(
        attribute="from", data_key="from", allow_none=True, metadata={"format": "date"}
    )
    was = ma.fields.String(metadata={"description": "the rate in force before, with its date"})
    locked_periods = ma.fields.List(ma.fields.String())


class ImportReportSchema(ma.Schema):
    dry_run = ma.fields.Boolean()
    changed = ma.fields.Boolean(metadata={"description": "anything created or updated"})
    sources = ma.fields.List(ma.fields.String())
    counts = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.OneOf(KINDS)),
        values=ma.fields.Nested(CountsSchema),
        metadata={"description": "per kind: participants, assignments, quotas, deals, ..."},
    )
    skipped = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.OneOf(KINDS)),
        values=ma.fields.Dict(keys=ma.fields.String(), values=DatabaseInteger()),
        metadata={
            "description": "rows a CRM mapping did not import, per kind and stage class: "
            '{"deals": {"lost": 2, "open": 5}}'
        },
    )
    warnings = ma.fields.List(ma.fields.Nested(ProblemSchema))
    correction = ma.fields.Boolean(metadata={"description": "imported as an FX correction"})
    fx_changes = ma.fields.List(
        ma.fields.Nested(FxChangeSchema),
        metadata={"description": "FX rates that change the rate in force on some days"},
    )


REQUEST_BODY = {
    "required": True,
    "description": (
        "Section-3 data as JSON (participants with assignments, quotas, deals, events, fx; "
        "a non-empty `exceptions` list is refused), or one CSV file: multipart `file` "
        "(+ optional `kind`), or a `text/csv` body (+ `?kind=`). See docs/imports.md."
    ),
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    name: {"type": "array", "items": {"type": "object"}}
                    for name in ("participants", "quotas", "deals", "events")
                }
                | {
                    "fx": {
                        "oneOf": [
                            {
                                "type": "object",
                                "additionalProperties": {"type": "string"},
                                "example": {"EUR/USD": "1.08"},
                            },
                            {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "pair": {"type": "string"},
                                        "rate": {"type": "string"},
                                        "from": {"type": "string", "format": "date"},
                                    },
                                    "required": ["pair", "rate"],
                                },
                                "example": [
                                    {"pair": "EUR/USD", "rate": "1.10", "from": "2026-10-01"}
                                ],
                            },
                        ]
                    }
                },
                "additionalProperties": False,
            }
        },
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "kind": {"type": "string", "enum": list(KINDS)},
                    "mapping": {
                        "type": "string",
                        "format": "binary",
                        "description": "a CRM mapping file (YAML; docs/imports.md)",
                    },
                },
                "required": ["file"],
            }
        },
        "text/csv": {
            "schema": {"type": "string"},
            "example": "id,amount,currency,close_date,owner\nD-1,120000,USD,2026-07-14,ana\n",
        },
    },
}
