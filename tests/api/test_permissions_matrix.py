"""Who may call what: every route of the app, for every role, and the status they get.

ADDING A ROUTE OR A METHOD? `test_every_route_is_in_the_table` fails until EXPECTED has
an entry for it. That is on purpose: whoever adds an endpoint decides here, in one
reviewed line, who may call it. An entry maps a principal to the exact status code it
gets; "*" stands for every principal not named:

    ("POST", "/api/v1/plans/<plan_id>/versions"): {"anonymous": 401, "admin": 201,
                                                   "comp_admin": 201, "*": 403},

- Path parameters are filled from PATH_VALUES by name (add a filler when your route
  introduces a new parameter name); a filler gets the World of the test case (the
  acting user, a database session) and returns the value.
- A request body or query string goes in REQUESTS (kwargs of the Flask test client).
- API routes (under /api/) are called with a bearer token, pages with a real session
  from the login form; unsafe page requests carry a valid CSRF token, so the status
  says what authorization decided, not CSRF (tests/api/test_auth.py covers CSRF).
- Anonymous callers get 401 on every API route except the public ones in PUBLIC_API
  (checked below), and a redirect to the login page on pages that need a session.
HEAD and OPTIONS are left out: Werkzeug answers HEAD with the GET view and Flask
answers OPTIONS itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from app.auth.accounts import issue_token
from models import User, UserRole
from tests.conftest import PASSWORD
from tests.support.sessions import csrf_token, sign_in

# Principal -> (roles, committee functions); None is the anonymous visitor.
PRINCIPALS: dict[str, tuple[tuple[str, ...], tuple[str, ...]] | None] = {
    "anonymous": None,
    "admin": (("admin",), ()),
    "comp_admin": (("comp_admin",), ()),
    "committee": (("committee",), ("finance",)),
    "deal_desk": (("deal_desk",), ()),
    "manager": (("manager",), ()),
    "rep": (("rep",), ()),
    "auditor": (("auditor",), ()),
    "no_role": ((), ()),  # signed in, but granted nothing
}

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    # Public
    ("GET", "/healthz"): {"*": 200},
    ("GET", "/api/openapi.json"): {"*": 200},
    ("GET", "/static/<path:filename>"): {"*": 200},
    # Identity pages
    ("GET", "/login"): {"*": 200},
    ("POST", "/login"): {"*": 401},  # REQUESTS sends wrong credentials
    ("POST", "/logout"): {"*": 302},
    ("GET", "/account/password"): {"anonymous": 302, "*": 200},
    ("POST", "/account/password"): {"anonymous": 302, "*": 400},  # wrong current password
    ("GET", "/"): {"anonymous": 302, "*": 200},
    # /api/v1/me
    ("GET", "/api/v1/me"): {"anonymous": 401, "*": 200},
    ("GET", "/api/v1/me/tokens"): {"anonymous": 401, "no_role": 403, "*": 200},
    ("POST", "/api/v1/me/tokens"): {"anonymous": 401, "no_role": 403, "*": 201},
    ("DELETE", "/api/v1/me/tokens/<int:token_id>"): {
        "anonymous": 401,
        "no_role": 403,
        "*": 204,
    },
    # Data
    ("POST", "/api/v1/imports"): {"anonymous": 401, "admin": 200, "comp_admin": 200, "*": 403},
}

# API routes anonymous callers may use; every other API route answers them 401.
PUBLIC_API = {("GET", "/api/openapi.json")}

REQUESTS: dict[tuple[str, str], dict] = {
    ("POST", "/login"): {"data": {"email": "nobody@example.test", "password": "wrong one"}},
    ("POST", "/account/password"): {
        "data": {"current": "not the password", "new": "x" * 12, "confirm": "x" * 12}
    },
    ("POST", "/api/v1/me/tokens"): {"json": {"name": "matrix"}},
    # A dry run of an empty batch: allowed callers get "nothing changed" and write nothing.
    ("POST", "/api/v1/imports"): {"json": {}, "query_string": {"dry_run": "true"}},
}


@dataclass
class World:
    """What a path-parameter filler may use: the session and who is calling."""

    db: Session
    user: User | None  # None for the anonymous visitor
    bystander: User  # someone else, for objects that must belong to somebody


PATH_VALUES = {
    "filename": lambda world: "accord.css",
    # The caller's own token (a bystander's for anonymous, who has none).
    "token_id": lambda world: issue_token(world.db, world.user or world.bystander, "m")[0].id,
}

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def expected_status(key: tuple[str, str], principal: str) -> int:
    entry = EXPECTED[key]
    return entry[principal] if principal in entry else entry["*"]


def app_routes(app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - IGNORED_METHODS
    }


def test_every_route_is_in_the_table(app):
    routes = app_routes(app)
    missing = sorted(routes - EXPECTED.keys())
    stale = sorted(EXPECTED.keys() - routes)
    assert not missing, f"add these routes to EXPECTED in {__file__}: {missing}"
    assert not stale, f"these EXPECTED entries match no route any more: {stale}"


def test_every_entry_covers_every_principal():
    for key, entry in EXPECTED.items():
        unknown = set(entry) - set(PRINCIPALS) - {"*"}
        assert not unknown, f"{key}: unknown principals {unknown}"
        uncovered = set(PRINCIPALS) - set(entry)
        assert "*" in entry or not uncovered, f"{key}: no status for {uncovered}"
        assert all(isinstance(s, int) and 100 <= s < 600 for s in entry.values()), key


def test_anonymous_gets_401_on_every_api_route_but_the_public_ones():
    for key in EXPECTED:
        if key[1].startswith("/api/") and key not in PUBLIC_API:
            assert expected_status(key, "anonymous") == 401, key
    for key in PUBLIC_API:
        assert expected_status(key, "anonymous") < 400, key


def _fill(rule: str, world: World) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1).rpartition(":")[2]
        if name not in PATH_VALUES:
            raise AssertionError(f"add a filler for <{name}> to PATH_VALUES")
        return str(PATH_VALUES[name](world))

    return re.sub(r"<([^>]+)>", value, rule)


def _user(db: Session, principal: str, n: int, password_hash: str) -> User:
    roles, functions = PRINCIPALS[principal]
    user = User(
        email=f"matrix{n}-{principal}@example.test",
        name=f"Matrix {principal}",
        password_hash=password_hash,
    )
    for role in roles:
        if role == "committee":
            user.roles.extend(UserRole(role=role, function=f) for f in functions)
        else:
            user.roles.append(UserRole(role=role))
    db.add(user)
    db.flush()
    return user


@pytest.fixture(scope="module")
def password_hash() -> str:
    # scrypt is slow on purpose; one hash (it carries its own salt) serves every user here.
    from app.auth.passwords import hash_password

    return hash_password(PASSWORD)


CASES = [(key, principal) for key in EXPECTED for principal in PRINCIPALS]


@pytest.mark.parametrize(
    ("key", "principal"), CASES, ids=[f"{m} {r} as {p}" for (m, r), p in CASES]
)
def test_status(app, db, password_hash, key, principal):
    method, rule = key
    world = World(
        db=db,
        user=None if principal == "anonymous" else _user(db, principal, 1, password_hash),
        bystander=_user(db, "rep", 2, password_hash),
    )
    path = _fill(rule, world)
    db.commit()

    client = app.test_client()
    kwargs = {k: (dict(v) if isinstance(v, dict) else v) for k, v in REQUESTS.get(key, {}).items()}
    headers = {}
    if rule.startswith("/api/"):
        if world.user is not None:
            _token, secret = issue_token(db, world.user, "matrix")
            db.commit()
            headers["Authorization"] = f"Bearer {secret}"
    else:
        if world.user is not None:
            assert sign_in(client, world.user.email).status_code == 302
        if method in UNSAFE:
            token = csrf_token(client)
            headers["X-CSRFToken"] = token
            if "data" in kwargs:
                kwargs["data"]["csrf_token"] = token

    # Closing the response closes a streamed file (static), or it leaks as a warning.
    with client.open(path, method=method, headers=headers, **kwargs) as response:
        got = response.status_code
    want = expected_status(key, principal)
    assert got == want, f"{method} {path} as {principal}: got {got}, the table says {want}"
