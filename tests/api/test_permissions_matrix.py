"""Who may call what: every route of the app, for every role, and the status they get.

ADDING A ROUTE OR A METHOD? `test_every_route_is_in_the_table` fails until EXPECTED
(tests/api/permission_table.py) has an entry for it. That is on purpose: whoever adds an
endpoint decides there, in one reviewed line, who may call it. An entry maps a principal
to the exact status code it gets; "*" stands for every principal not named:

    ("POST", "/api/v1/plans/<string:key>/versions"): {"anonymous": 401, "admin": 201,
                                                      "comp_admin": 201, "*": 403},

- Path parameters are filled from PATH_VALUES by name (add a filler when your route
  introduces a new parameter name); a filler gets the World of the test case (the
  session, the acting user) and returns the value.
- A route that needs objects in a given state (a submitted plan version to approve)
  names a function in PREPARE: it gets the World, creates what the call needs, and may
  put path values in `world.values`, which win over PATH_VALUES.
- A request body, query string or extra headers go in REQUESTS (kwargs of the Flask
  test client), or a function of the World returning them.
- API routes (under /api/) are called with a bearer token, pages with a real session
  from the login form; unsafe page requests carry a valid CSRF token, so the status
  says what authorization decided, not CSRF (tests/api/test_auth.py covers CSRF).
- Anonymous callers get 401 on every API route except the public ones in PUBLIC_API
  (checked below), and a redirect to the login page on pages that need a session.
- The rows name roles one by one instead of deriving them from
  governance/permissions.py, so that a change of a role's reach there shows up here as
  a failing, reviewed change.
- Every response also carries the security headers (tests/support/headers.py).
HEAD and OPTIONS are left out: Werkzeug answers HEAD with the GET view and Flask
answers OPTIONS itself.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlalchemy.orm import Session

from config import TestConfig
from governance.accounts import issue_token
from governance.auditing import anchors
from governance.committee import approval_rules
from governance.notifications.preferences import add_webhook
from governance.plans import lifecycle
from governance.plans import lookup as plans
from governance.plans.tally import voted_hash
from models import User, UserRole
from tests.api.permission_table import (
    CHANGE_PAGE,
    DISPUTE,
    DISPUTE_PAGE,
    EXCEPTION,
    EXCEPTION_PAGE,
    EXPECTED,
    NEW_DISPUTE_PAGE,
    PRINCIPALS,
    PUBLIC_API,
    RULES,
    RUN_CLOSE,
    RUN_PAGE,
    STATEMENT,
    STATEMENT_PAGE,
    USER,
    USER_PAGE,
    VERSION,
)
from tests.conftest import password_hash
from tests.support import disputes as dispute_data
from tests.support import statements
from tests.support.exceptions import matrix_exception
from tests.support.headers import header_problems
from tests.support.sessions import csrf_token, sign_in


@dataclass
class World:
    """What PREPARE, fillers and request builders may use: the session and who calls."""

    db: Session
    user: User | None  # None for the anonymous visitor
    password_hash: str
    values: dict = field(default_factory=dict)  # path values and facts PREPARE set up
    _n: itertools.count = field(default_factory=lambda: itertools.count(1))

    def person(self, principal: str) -> User:
        """Someone else, holding the roles of `principal` (the author of a plan, say)."""
        return _user(self.db, principal, f"other{next(self._n)}", self.password_hash)


PLAN_YAML = """\
policy: matrix-plan
title: Matrix plan
currency: USD
period: quarter
credit:
  - id: owner
    to: owner
    share: 1
rates:
  - id: default
    rate: 0.02
"""
YAML = {"Content-Type": "application/yaml"}


def plan_version(state: str) -> Callable[[World], None]:
    """PREPARE: version 1 of a plan, written by a comp_admin and brought to `state`."""

    def prepare(world: World) -> None:
        db, author = world.db, world.person("comp_admin")
        lifecycle.create_draft(db, author, PLAN_YAML)
        if state != "draft":
            lifecycle.submit(db, author, "matrix-plan", 1, effective_from=date(2026, 1, 1))
        if state in ("approved", "active"):
            # The committee's votes are tested in test_changes_api; here, the system.
            lifecycle.approve(db, None, "matrix-plan", 1)
        if state == "active":
            lifecycle.activate(db, author, "matrix-plan", 1)
        db.flush()
        revision = plans.get_plan(db, "matrix-plan").revision
        content_hash = voted_hash(db, plans.get_version(db, "matrix-plan", 1))
        world.values.update(
            key="matrix-plan", number=1, revision=revision, content_hash=content_hash
        )

    return prepare


def why_world(world: World) -> None:
    """PREPARE: a submitted plan version and a participant (no deals: nothing to compare)."""
    plan_version("submitted")(world)
    statements.minimal_run(world.db, "matrix-why")
    world.values.update(participant="matrix-why")


def rules_proposal(world: World) -> None:
    """PREPARE: approval rules version 2, proposed by a comp_admin (1 is the default)."""
    current = approval_rules.active_rule_set(world.db)
    rules = approval_rules.document_of(current)
    rules["impact"] = {"periods": 2, "top": 5}
    proposal = approval_rules.propose(world.db, world.person("comp_admin"), rules)
    world.values.update(number=proposal.number, content_hash=proposal.content_hash)


def statement_run(world: World) -> None:
    """PREPARE: a locked 2026-Q3 run with one statement and line of a participant that
    is not the caller."""
    world.values.update(statements.minimal_run(world.db, "matrix-payee"))


def dispute_world(*, filed: bool = True) -> Callable[[World], None]:
    """PREPARE: a locked run with a line of a payee whose manager is another participant;
    a rep caller becomes the payee, a manager caller the payee's manager; with `filed`, the
    line is disputed (by the system)."""

    def prepare(world: World) -> None:
        from governance.disputes import workflow as disputes

        n = next(world._n)
        manager, payee, other = dispute_data.participants(world.db, suffix=f"-m{n}")
        lines = dispute_data.run_with_lines(world.db, payee, other)
        roles = world.user.role_names if world.user else frozenset()
        if "rep" in roles:
            world.user.participant_id = payee
        elif "manager" in roles:
            world.user.participant_id = manager
        world.db.flush()
        world.values.update(line_id=lines.ana.id)
        if filed:
            dispute = disputes.file(world.db, None, lines.ana.id, reason="matrix")
            world.values.update(dispute_id=dispute.id)

    return prepare


def vote(world: World) -> dict:
    return {"json": {"decision": "approve", "content_hash": world.values["content_hash"]}}


def form_vote(world: World) -> dict:
    """The same approval as `vote`, posted as a page form."""
    return {"data": {"decision": "approve", "content_hash": world.values["content_hash"]}}


def payout_run(state: str) -> Callable[[World], None]:
    """PREPARE: a payout run in `state`, started by a comp_admin (not the caller)."""

    def prepare(world: World) -> None:
        from governance.payouts.close import run_content_hash
        from tests.support.payout_close import approve_by_vote, make_run

        run = make_run(world.db, world.person("comp_admin"))
        if state in ("approved", "locked"):
            approve_by_vote(world.db, run)
        if state == "locked":
            from governance.payouts.close import lock_run

            lock_run(world.db, world.person("comp_admin"), run.id)
        world.values.update(run_id=run.id, content_hash=run_content_hash(run))

    return prepare


def runnable_period(world: World) -> None:
    """PREPARE: a plan in force and a small organisation, so 2026-Q3 can be run."""
    from tests.integration.payout_support import activate_plan, load

    activate_plan(world.db)
    load(world.db)


def payout_job(world: World) -> None:
    """PREPARE: a failed build job of 2026-Q3 (app/jobs.py)."""
    from models import PayoutRunJob

    job = PayoutRunJob(period="2026-Q3", state="failed", message="matrix", problems=[])
    world.db.add(job)
    world.db.flush()
    world.values.update(job_id=job.id)


def background_job(kind: str) -> Callable[[World], None]:
    """PREPARE: a finished background job of `kind` (app/background/), queued by a
    comp_admin (not the caller); an export's with its file."""

    def prepare(world: World) -> None:
        from models import Job

        job = Job(kind=kind, state="done", requested_by_id=world.person("comp_admin").id,
                  parameters={}, result={}, problems=[])  # fmt: skip
        if kind == "statement_export":
            job.output, job.output_name, job.output_type = b"{}", "matrix.json", "application/json"
        world.db.add(job)
        world.db.flush()
        world.values.update(job_id=job.id)

    return prepare


PREPARE: dict[tuple[str, str], Callable[[World], None]] = {
    ("GET", "/api/v1/jobs/<int:job_id>"): background_job("import"),
    ("GET", "/api/v1/jobs/<int:job_id>/download"): background_job("statement_export"),
    ("GET", "/api/v1/disputes"): dispute_world(),
    ("POST", "/api/v1/disputes"): dispute_world(filed=False),
    ("GET", DISPUTE): dispute_world(),
    ("POST", DISPUTE + "/review"): dispute_world(),
    ("POST", DISPUTE + "/accept"): dispute_world(),
    ("POST", DISPUTE + "/reject"): dispute_world(),
    ("POST", DISPUTE + "/comments"): dispute_world(),
    ("GET", "/disputes"): dispute_world(),
    ("GET", DISPUTE_PAGE): dispute_world(),
    ("GET", NEW_DISPUTE_PAGE): dispute_world(filed=False),
    ("POST", NEW_DISPUTE_PAGE): dispute_world(filed=False),
    ("POST", DISPUTE_PAGE + "/review"): dispute_world(),
    ("POST", DISPUTE_PAGE + "/accept"): dispute_world(),
    ("POST", DISPUTE_PAGE + "/reject"): dispute_world(),
    ("POST", DISPUTE_PAGE + "/comment"): dispute_world(),
    ("GET", RUN_CLOSE + "/tally"): payout_run("draft"),
    ("POST", RUN_CLOSE + "/votes"): payout_run("draft"),
    ("POST", RUN_CLOSE + "/lock"): payout_run("approved"),
    ("POST", RUN_CLOSE + "/discard"): payout_run("draft"),
    ("POST", RUN_CLOSE + "/publish"): payout_run("locked"),
    ("POST", "/api/v1/payout-runs"): runnable_period,
    ("GET", "/api/v1/payout-runs/jobs"): payout_job,
    ("GET", "/api/v1/payout-runs/jobs/<int:job_id>"): payout_job,
    ("GET", "/payout-runs/jobs/<int:job_id>"): payout_job,
    ("GET", RUN_CLOSE): payout_run("draft"),
    ("GET", RUN_CLOSE + "/lines"): payout_run("draft"),
    ("GET", RUN_CLOSE + "/changes"): payout_run("draft"),
    ("GET", RUN_CLOSE + "/figures"): payout_run("draft"),
    ("POST", "/payout-runs"): runnable_period,
    ("GET", RUN_PAGE): payout_run("draft"),
    ("POST", RUN_PAGE + "/vote"): payout_run("draft"),
    ("POST", RUN_PAGE + "/lock"): payout_run("approved"),
    ("POST", RUN_PAGE + "/discard"): payout_run("draft"),
    ("POST", RUN_PAGE + "/publish"): payout_run("locked"),
    ("GET", "/api/v1/statements"): statement_run,
    ("GET", "/api/v1/statements/export"): statement_run,
    ("GET", STATEMENT): statement_run,
    ("GET", STATEMENT + "/lines/<int:line_id>"): statement_run,
    ("GET", STATEMENT + "/changes"): statement_run,
    ("GET", "/api/v1/statements/runs/<int:run_id>/payroll"): statement_run,
    ("GET", "/statements"): statement_run,
    ("GET", STATEMENT_PAGE): statement_run,
    ("GET", STATEMENT_PAGE + "/lines/<int:line_id>"): statement_run,
    ("GET", STATEMENT_PAGE + "/changes"): statement_run,
    ("GET", "/api/v1/plans/<string:key>"): plan_version("active"),
    ("GET", VERSION): plan_version("active"),
    ("PUT", VERSION): plan_version("draft"),
    ("GET", VERSION + "/export"): plan_version("active"),
    ("POST", VERSION + "/submit"): plan_version("draft"),
    ("POST", VERSION + "/approve"): plan_version("submitted"),
    ("POST", VERSION + "/reject"): plan_version("submitted"),
    ("POST", VERSION + "/activate"): plan_version("approved"),
    ("POST", VERSION + "/withdraw"): plan_version("draft"),
    ("GET", "/api/v1/plans/<string:key>/diff"): plan_version("active"),
    ("GET", "/api/v1/plans/<string:key>/governing"): plan_version("active"),
    ("GET", VERSION + "/votes"): plan_version("submitted"),
    ("POST", VERSION + "/votes"): plan_version("submitted"),
    ("GET", VERSION + "/impact"): plan_version("submitted"),
    ("POST", VERSION + "/impact"): plan_version("submitted"),
    ("GET", RULES + "/<int:number>"): lambda world: world.values.update(number=1),
    ("POST", RULES + "/<int:number>/votes"): rules_proposal,
    ("POST", RULES + "/<int:number>/withdraw"): rules_proposal,
    ("GET", CHANGE_PAGE): plan_version("submitted"),
    ("GET", CHANGE_PAGE + "/why/<string:participant>"): why_world,
    ("POST", CHANGE_PAGE + "/vote"): plan_version("submitted"),
    ("POST", CHANGE_PAGE + "/impact"): plan_version("submitted"),
    ("POST", "/committee/approval-rules/<int:number>/vote"): rules_proposal,
    ("GET", "/plans/<string:key>"): plan_version("active"),
    ("GET", "/plans/<string:key>/<int:number>"): plan_version("active"),
    ("POST", "/plans/<string:key>/<int:number>/submit"): plan_version("draft"),
    ("GET", "/plans/<string:key>/diff"): plan_version("active"),
    ("POST", "/plans/<string:key>/draft"): plan_version("active"),
    ("GET", "/plans/<string:key>/<int:number>/edit"): plan_version("draft"),
    ("POST", "/plans/<string:key>/<int:number>/edit"): plan_version("draft"),
    ("POST", "/plans/<string:key>/<int:number>/check"): plan_version("draft"),
    ("POST", "/plans/<string:key>/<int:number>/approve"): plan_version("submitted"),
    ("POST", "/plans/<string:key>/<int:number>/activate"): plan_version("approved"),
    ("POST", "/my-plan/acknowledge"): plan_version("active"),
    ("POST", "/api/v1/me/plan-acknowledgements"): plan_version("active"),
    ("GET", EXCEPTION): matrix_exception,
    ("POST", EXCEPTION + "/votes"): matrix_exception,
    ("POST", EXCEPTION + "/withdraw"): matrix_exception,
    ("GET", EXCEPTION_PAGE): matrix_exception,
    ("POST", EXCEPTION_PAGE + "/vote"): matrix_exception,
    ("POST", EXCEPTION_PAGE + "/withdraw"): matrix_exception,
}

REQUESTS: dict[tuple[str, str], dict | Callable[[World], dict]] = {
    ("POST", "/api/v1/disputes"): lambda world: {
        "json": {"line_id": world.values["line_id"], "reason": "matrix"}
    },
    ("POST", DISPUTE + "/accept"): {"json": {}},  # no amount claimed, none given: 422
    ("POST", DISPUTE + "/reject"): {"json": {"resolution": "matrix says no"}},
    ("POST", DISPUTE + "/comments"): {"json": {"comment": "matrix"}},
    ("POST", NEW_DISPUTE_PAGE): {"data": {"reason": "matrix"}},
    ("POST", DISPUTE_PAGE + "/accept"): {"data": {}},  # no amount claimed, none given: 422
    ("POST", DISPUTE_PAGE + "/reject"): {"data": {"resolution": "matrix says no"}},
    ("POST", DISPUTE_PAGE + "/comment"): {"data": {"comment": "matrix"}},
    ("POST", DISPUTE_PAGE + "/review"): {"data": {}},
    ("POST", RUN_CLOSE + "/votes"): vote,
    ("POST", RUN_CLOSE + "/lock"): {"json": {"note": "matrix"}},
    ("POST", RUN_CLOSE + "/discard"): {"json": {"reason": "matrix"}},
    ("POST", RUN_CLOSE + "/publish"): {"json": {}},
    ("POST", RUN_PAGE + "/discard"): {"data": {"reason": "matrix"}},
    ("POST", "/api/v1/payout-runs"): {"json": {"period": "2026-Q3"}},
    ("POST", "/payout-runs"): {"data": {"period": "2026-Q3"}},
    ("POST", RUN_PAGE + "/vote"): form_vote,
    ("POST", "/login"): {"data": {"email": "nobody@example.test", "password": "wrong one"}},
    ("POST", "/account/password"): {
        "data": {"current": "not the password", "new": "x" * 12, "confirm": "x" * 12}
    },
    ("POST", "/api/v1/me/tokens"): {"json": {"name": "matrix"}},
    ("PUT", "/api/v1/me/notification-preferences"): {"json": {"email": {"run_locked": False}}},
    ("POST", "/api/v1/webhooks"): {"json": {"name": "matrix", "url": "https://h.example.test/"}},
    # A dry run of an empty batch: allowed callers get "nothing changed" and write nothing.
    ("POST", "/api/v1/imports"): {"json": {}, "query_string": {"dry_run": "true"}},
    ("POST", "/api/v1/plans"): {"data": PLAN_YAML, "headers": YAML},
    ("PUT", VERSION): lambda world: {
        "data": PLAN_YAML.replace("0.02", "0.03"),
        "headers": YAML,
        "query_string": {"expected_revision": world.values["revision"]},
    },
    ("POST", VERSION + "/submit"): {"json": {"note": "matrix", "effective_from": "2026-01-01"}},
    ("POST", "/plans/<string:key>/<int:number>/submit"): {"data": {"effective_from": "2026-01-01"}},
    ("POST", "/plans/<string:key>/<int:number>/edit"): {
        "data": {"action": "check", "document": PLAN_YAML}
    },
    ("POST", "/plans/<string:key>/<int:number>/check"): {"json": {"document": PLAN_YAML}},
    ("POST", "/my-plan/acknowledge"): lambda world: {
        "data": {"plan": "matrix-plan", "version": 1, "content_hash": world.values["content_hash"]}
    },
    ("POST", "/api/v1/me/plan-acknowledgements"): lambda world: {
        "json": {"plan": "matrix-plan", "version": 1, "content_hash": world.values["content_hash"]}
    },
    ("POST", "/api/v1/me/estimate"): {"json": {"amount": "1000", "close_date": "2026-06-01"}},
    ("POST", VERSION + "/approve"): {"json": {"note": "matrix"}},
    ("POST", VERSION + "/reject"): {"json": {"note": "matrix says no"}},
    ("POST", VERSION + "/activate"): {"json": {"note": "matrix"}},
    ("POST", VERSION + "/withdraw"): {"json": {"note": "matrix"}},
    ("GET", "/api/v1/plans/<string:key>/diff"): {"query_string": {"from": 1, "to": 1}},
    ("GET", "/api/v1/plans/<string:key>/governing"): {"query_string": {"on": "2026-06-01"}},
    ("GET", "/api/v1/audit/export"): {"query_string": {"format": "csv"}},
    ("POST", "/api/v1/audit/verify"): lambda world: {
        "json": {"anchors": [anchors.take(world.db, anchors.anchor_key(TestConfig.finalize()))]}
    },
    ("GET", "/api/v1/statements/export"): {"query_string": {"format": "csv", "period": "2026-Q3"}},
    ("POST", "/api/v1/statements/exports"): {"json": {"format": "csv", "period": "2026-Q3"}},
    ("POST", VERSION + "/votes"): vote,
    ("POST", RULES): lambda world: {
        "json": {"rules": dict(approval_rules.DEFAULT_RULES, impact={"periods": 3, "top": 10})}
    },
    ("POST", RULES + "/<int:number>/votes"): vote,
    ("POST", RULES + "/<int:number>/withdraw"): {"json": {"note": "matrix"}},
    ("POST", CHANGE_PAGE + "/vote"): form_vote,
    ("POST", "/committee/approval-rules/<int:number>/vote"): form_vote,
    ("POST", "/api/v1/exceptions"): {
        "json": {"kind": "waive_gate", "plan": "no-plan", "deal": "D-0", "rule": "g"}
    },
    ("POST", EXCEPTION + "/votes"): vote,
    ("POST", EXCEPTION + "/withdraw"): {"json": {"note": "matrix", "version": 1}},
    ("POST", "/exceptions/new"): {
        "data": {"kind": "waive_gate", "plan": "no-plan", "deal": "D-0", "rule": "g"}
    },
    ("POST", "/desk/deals/<deal_id>/exceptions"): {
        "data": {"kind": "waive_gate", "rule": "no-plan|g", "justification": "matrix"}
    },
    ("GET", "/api/v1/deals"): {"query_string": {"q": "M-"}},
    ("GET", "/api/v1/participants"): {"query_string": {"q": "matrix"}},
    ("POST", EXCEPTION_PAGE + "/vote"): form_vote,
    ("POST", EXCEPTION_PAGE + "/withdraw"): {"data": {"version": "1"}},
    ("POST", "/api/v1/users"): lambda world: {
        "json": {"email": f"invited-{id(world)}@example.test", "name": "I", "roles": ["rep"]}
    },
    ("PUT", USER + "/roles"): {"json": {"roles": ["rep", "manager"]}},
    ("POST", "/admin/users/new"): lambda world: {
        "data": {"email": f"invited-{id(world)}@example.test", "name": "I", "roles": ["rep"]}
    },
    ("POST", USER_PAGE + "/roles"): {"data": {"roles": ["rep", "manager"]}},
    ("POST", "/admin/webhooks/new"): lambda world: {
        "data": {"name": f"page-{id(world)}", "url": "https://h.example.test/", "format": "json"}
    },
    ("POST", "/password-reset/<token>"): {"data": {"new": "x" * 12, "confirm": "x" * 12}},
}

PATH_VALUES: dict[str, Callable[[World], object]] = {
    "filename": lambda world: "accord.css",
    # The caller's own token (someone else's for anonymous, who has none).
    "token_id": lambda world: issue_token(world.db, world.user or world.person("rep"), "m")[0].id,
    "webhook_id": lambda world: (
        add_webhook(world.db, None, name=f"matrix-{id(world)}", url="https://h.example.test/").id
    ),
    "user_id": lambda world: world.person("rep").id,  # someone else, to administer
    "token": lambda world: "1.not-a-reset-link",
    "deal_id": lambda world: matrix_deal(world),
    "upload_id": lambda world: matrix_upload(world),
}


def matrix_deal(world: World) -> str:
    """A deal of a participant of its own (no plan: a waiver filed on it is a 422)."""
    from models import Deal, Participant

    n = next(world._n)
    world.db.add(Participant(id=f"matrix-owner-{n}", name="Matrix Owner"))
    world.db.flush()
    deal = Deal(id=f"M-{n}", amount=1000, currency="USD", close_date=date(2026, 7, 1),
                owner_id=f"matrix-owner-{n}")  # fmt: skip
    world.db.add(deal)
    world.db.flush()
    return deal.id


def matrix_upload(world: World) -> int:
    """An upload previewed on the imports page (by the system)."""
    from governance.imports import uploads

    params = {"format": "file", "name": "m.csv", "kind": None, "mapping": None}
    staged = uploads.stage(world.db, None, name="m.csv", body=b"id\n", parameters=params,
                           preview={"counts": {}})  # fmt: skip
    return staged.id


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
        if name in world.values:
            return str(world.values[name])
        if name not in PATH_VALUES:
            raise AssertionError(f"add a filler for <{name}> to PATH_VALUES (or a PREPARE)")
        return str(PATH_VALUES[name](world))

    return re.sub(r"<([^>]+)>", value, rule)


def _user(db: Session, principal: str, n: int | str, password_hash: str) -> User:
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
def matrix_app(database_url):
    """One app per database for the whole matrix: building an app took 0.15 of a case's
    0.22 s (docs/decisions.md, "The permission matrix shares one app per database")."""
    from app import create_app
    from app.database import database

    flask_app = create_app(TestConfig, {"DATABASE_URL": database_url})
    yield flask_app
    with flask_app.app_context():
        database().engine.dispose()


@pytest.fixture
def app(matrix_app, connection):
    """The matrix's app on this case's rolled-back transaction, its throttles empty, as a
    new app would be."""
    from app.auth import throttle
    from app.database import database

    with matrix_app.app_context():
        database().bind_to(connection)
        for name in (throttle.EXTENSION, throttle.WHAT_IF):
            matrix_app.extensions[name].reset()
    return matrix_app


CASES = [(key, principal) for key in EXPECTED for principal in PRINCIPALS]


@pytest.mark.parametrize(
    ("key", "principal"), CASES, ids=[f"{m} {r} as {p}" for (m, r), p in CASES]
)
def test_status(app, db, key, principal):
    method, rule = key
    hashed = password_hash()
    user = None if principal == "anonymous" else _user(db, principal, 0, hashed)
    world = World(db=db, user=user, password_hash=hashed)
    if key in PREPARE:
        PREPARE[key](world)
    path = _fill(rule, world)
    db.commit()

    request = REQUESTS.get(key, {})
    request = request(world) if callable(request) else request
    kwargs = {k: (dict(v) if isinstance(v, dict) else v) for k, v in request.items()}
    headers = kwargs.pop("headers", {})
    client = app.test_client()
    if rule.startswith("/api/"):
        if user is not None:
            _token, secret = issue_token(db, user, "matrix")
            db.commit()
            headers["Authorization"] = f"Bearer {secret}"
    else:
        if user is not None:
            assert sign_in(client, user.email).status_code == 302
        if method in UNSAFE:
            token = csrf_token(client)
            headers["X-CSRFToken"] = token
            if "data" in kwargs:
                kwargs["data"]["csrf_token"] = token

    # Closing the response closes a streamed file (static), or it leaks as a warning.
    with client.open(path, method=method, headers=headers, **kwargs) as response:
        got = response.status_code
        body = response.get_data(as_text=True)[:300]
        headers = response.headers
    want = expected_status(key, principal)
    assert got == want, f"{method} {path} as {principal}: got {got} ({body}), table says {want}"
    assert not header_problems(f"{method} {path}", headers, static=rule.startswith("/static/"))
