"""The error statuses every operation can answer, declared in openapi.json (issue 12).

Views declare the refusals that are theirs (`@blp.alt_response(409, ...)`); what the
machinery in front of every view answers is declared here once, by an apispec plugin, so
that no operation answers a status its schema does not list:

- 401: no valid bearer token or session (every operation needs one);
- 403: the user's roles do not allow it (every operation but the caller's own `/me`);
- 404: an id or key in the path names nothing (or is out of the database's range);
- 400: a write whose body is not JSON, or a cookie-signed request without its CSRF token;
- 409: a write that found the database busy past its wait (app/database.py, BUSY);
- 413: a body over `MAX_CONTENT_LENGTH`;
- 422: a parameter or body field refused, every problem located.

All of them carry the error envelope (`Error`).
"""

from __future__ import annotations

from apispec import BasePlugin

ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
WRITES = ("post", "put", "patch", "delete")


def _common(path: str, method: str, operation: dict) -> dict[str, str]:
    statuses = {"401": "not signed in: no valid bearer token or session"}
    if not path.startswith("/api/v1/me"):
        statuses["403"] = "the user's roles do not allow it"
    if "{" in path:
        statuses["404"] = "nothing of that id or key (or one out of range)"
    if method in WRITES:
        statuses["400"] = "the body is not JSON, or a signed-in page's request lacks its CSRF token"
        statuses["409"] = "the database is busy with another change; try again"
    if "requestBody" in operation:
        statuses["413"] = "the body is larger than the server accepts"
    if operation.get("parameters") or "requestBody" in operation or "{" in path:
        statuses["422"] = "a parameter or field refused; every problem located"
    return statuses


class CommonResponses(BasePlugin):
    """Adds the common error statuses an operation does not declare itself."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            if method not in ("get", *WRITES):
                continue
            responses = operation.setdefault("responses", {})
            declared = {str(code) for code in responses}
            for code, description in _common(path or "", method, operation).items():
                if code not in declared:
                    responses[code] = {"description": description, "content": ERROR}
