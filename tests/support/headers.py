"""The security headers every response must carry (app/headers.py), restated literally.

`header_problems(endpoint, headers)` lists what is missing or wrong. The permission
matrix (tests/api/test_permissions_matrix.py) runs it on every route as every principal;
tests/api/test_security_headers.py on errors, downloads and HSTS. The values are written
out here rather than imported, so that a weakened header fails a reviewed test.
"""

from __future__ import annotations

CSP = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},  # charts: SVG images as data: URIs
    "object-src": {"'none'"},
    "base-uri": {"'none'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}
FIXED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
DENIED_FEATURES = {"camera", "microphone", "geolocation", "payment", "usb"}


def parse_csp(value: str) -> dict[str, set[str]]:
    directives = {}
    for part in value.split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


def header_problems(path: str, headers, *, static: bool = False) -> list[str]:
    """What `headers` (of the response to `path`) lacks; `static` files may be cached."""
    problems = [
        f"{path}: {name} is {headers.get(name)!r}, expected {value!r}"
        for name, value in FIXED.items()
        if headers.get(name) != value
    ]
    csp = parse_csp(headers.get("Content-Security-Policy", "none"))
    if csp != CSP:
        problems.append(f"{path}: Content-Security-Policy is {csp}, expected {CSP}")
    features = {
        feature.strip()
        for feature, _, allow in (
            entry.partition("=") for entry in headers.get("Permissions-Policy", "").split(",")
        )
        if allow.strip() == "()"
    }
    if DENIED_FEATURES - features:
        problems.append(f"{path}: Permissions-Policy denies only {sorted(features)}")
    cache = headers.get("Cache-Control", "")
    if static == ("no-store" in cache):
        want = "no no-store (a static file)" if static else "no-store"
        problems.append(f"{path}: Cache-Control is {cache!r}, expected {want}")
    if "Strict-Transport-Security" in headers:
        problems.append(f"{path}: HSTS sent over plain HTTP in the test configuration")
    return problems
