"""A CSV or JSON export as a file download, for the API's export endpoints (audit, statements).

`download(text, fmt, name)` answers `name.fmt` as an attachment; `EXPORT_DOC` is the
OpenAPI `@blp.doc(...)` of such an endpoint (its 200 is a JSON or CSV body, not a schema).
"""

from __future__ import annotations

from flask import Response

EXPORT_DOC = {
    "responses": {
        "200": {"description": "a download", "content": {"application/json": {}, "text/csv": {}}}
    }
}


def download(text: str, fmt: str, name: str) -> Response:
    return Response(
        text,
        mimetype="text/csv" if fmt == "csv" else "application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )
