"""Security headers on every response (issue 12, item 6; docs/security.md "Response headers").

One `after_request` hook, so pages, API, error responses and redirects all carry them:

- a Content-Security-Policy allowing only this origin's stylesheet and nothing inline
  (no page has a script), no framing (`frame-ancestors 'none'`, and X-Frame-Options for
  older browsers: the vote and lock forms cannot be put under someone's click), forms
  posting only here;
- `X-Content-Type-Options: nosniff`, a same-origin Referrer-Policy, a Permissions-Policy
  turning off the device features no page uses, same-origin opener and resource policies;
- `Cache-Control: no-store` on every response but the static files: statements, payroll,
  audit and every other page or API answer carry pay or governance data for one signed-in
  person, so no browser or proxy keeps a copy. An ETag still goes out (If-Match writes);
- Strict-Transport-Security only when `HSTS_MAX_AGE` is set (production, over HTTPS):
  never on the embedded `make run` server, which speaks plain HTTP.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",  # charts are SVG images in data: URIs (app/charts.py)
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# Device and payment features no page uses, refused to the page and anything it embeds.
PERMISSIONS = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Same-origin: Flask-WTF's CSRF check over HTTPS needs a same-origin Referer, and no
    # URL (ids of statements, disputes) leaves for another site.
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
CACHEABLE_ENDPOINTS = frozenset({"static"})  # the stylesheet: no data of anyone


def add_security_headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    if request.endpoint not in CACHEABLE_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
    max_age = current_app.config.get("HSTS_MAX_AGE")
    if max_age:
        response.headers["Strict-Transport-Security"] = f"max-age={max_age}"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
