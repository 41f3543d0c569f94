"""schemathesis against the real app, on each database: no 5xx and no answer off the schema.

The app's own OpenAPI document (the committed `openapi.json`, test_openapi.py keeps them
equal) drives schemathesis' engine, the run `st run` makes: the schema's examples, the
coverage phase, fuzzing, and the stateful phase over the links it infers from the
schema's paths and responses, against the app over WSGI. The database is a fresh one per
backend, migrated for real and holding a small demo organisation, so that ids exist and
most requests reach the code behind them. Requests carry the bearer token of a user
holding every role and committee function (so they get past authorization), then, in a
shorter run, a rep's. Revoking a token is fuzzed apart (with issuing and listing them), as a
user of its own, since it would otherwise revoke the token the run signs in with.

Checks: no 5xx; status codes, content types, bodies and headers as the schema declares;
a 405 with `Allow`; a method a path lacks answered 405; and no status an operation does
not list in its responses (schemathesis accepts those under `default`; this test not).
`ACCORD_FUZZ_EXAMPLES` raises the examples per operation for a deeper manual run, and
`ACCORD_FUZZ_REPORT=PREFIX` writes each run's figures and findings to PREFIX.*.txt (the
figures in docs/security.md, "API fuzzing"). CI runs the defaults, deterministically.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from sqlalchemy import select
from sqlalchemy.orm import Session

from config import TestConfig
from models import schema as db_schema
from models.engine import make_engine
from models.identity import FUNCTIONS, ROLES
from tests.conftest import PASSWORD

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("ACCORD_FUZZ_EXAMPLES", "8"))
REPORT = os.environ.get("ACCORD_FUZZ_REPORT")
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "allow_header_conformance",  # a 405 lists the methods the path has
    "unsupported_method",  # a method the path lacks is 405, not 404 or 200
)
REVOKE = {"method": "DELETE", "path": "/api/v1/me/tokens/{token_id}"}
TOKENS = {"path_regex": "^/api/v1/me/tokens"}  # issue, list, revoke: a sequence of its own
# Like revoking: these take access away from the very users the runs sign in as (a role
# change, a deactivation); tests/api/test_users_api.py and the permission matrix cover them.
DISARMING = {"path_regex": r"^/api/v1/users/\{user_id\}/(roles|deactivate)$"}


@dataclass
class Outcome:
    """What one engine run did: responses per status, and every failed check."""

    statuses: Counter = field(default_factory=Counter)
    per_phase: Counter = field(default_factory=Counter)
    # (method, path) -> statuses answered to requests of that operation's own method
    by_operation: dict = field(default_factory=dict)
    phases: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def record(self, recorder, phase: str) -> None:
        for interaction in recorder.interactions.values():
            if interaction.response is not None:
                self.statuses[interaction.response.status_code] += 1
                self.per_phase[phase] += 1
        for case_id, node in recorder.cases.items():
            case, response = node.value, recorder.find_response(case_id=case_id)
            if response is not None and case.method.upper() == case.operation.method.upper():
                key = (case.operation.method.lower(), case.operation.path)
                self.by_operation.setdefault(key, set()).add(response.status_code)
        for case_id, checks in recorder.checks.items():
            case = recorder.cases[case_id].value
            for check in checks:
                if check.failure_info is not None:
                    failure = check.failure_info.failure
                    self.failures.append(
                        f"{check.name}: {case.operation.label} ({case.formatted_path}): "
                        f"{failure.title}: {failure.message[:300]}"
                    )

    def summary(self) -> str:
        return (
            f"{self.requests} requests, {self.server_errors} x 5xx, "
            f"{len(self.failures)} failed checks; statuses {sorted(self.statuses.items())}; "
            f"per phase {sorted(self.per_phase.items())}"
        )


def fuzz(app, secret: str, examples: int, *, revoking: bool = False) -> Outcome:
    """One schemathesis run over every operation (or only the tokens') as `secret`."""
    config = SchemathesisConfig.from_dict(
        {
            "seed": 2026,
            "headers": {"Authorization": f"Bearer {secret}"},
            "generation": {
                "max-examples": examples,
                "deterministic": True,
                "database": "none",
                "with-security-parameters": False,
            },
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "phases": {"stateful": {"max-steps": max(examples, 5)}},
            "workers": 1,
        }
    )
    api = schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=config)
    api = api.include(**TOKENS) if revoking else api.exclude(**REVOKE).exclude(**DISARMING)
    outcome = Outcome()
    for event in from_schema(api).execute():
        if isinstance(event, events.ScenarioFinished):
            outcome.record(event.recorder, event.phase.value)
        elif isinstance(event, events.FuzzScenarioFinished):
            outcome.record(event.recorder, "fuzzing")
        elif isinstance(event, events.PhaseStarted) and event.payload is not None:
            outcome.phases.append(f"{event.phase.name} starts: {event.payload}")
        elif isinstance(event, events.PhaseFinished):
            outcome.phases.append(f"{event.phase.name}: {event.status} {event.payload!r}"[:300])
        elif isinstance(event, events.NonFatalError):
            outcome.errors.append(f"{event.label}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            raise event.exception
    return outcome


def _demo_rep(session: Session) -> str:
    """A token of the demo's Ana Silva, a rep whose statements, lines and disputes exist."""
    from governance.accounts import issue_token
    from models import User

    ana = session.scalars(select(User).where(User.participant_id == "ana-silva")).one()
    _token, secret = issue_token(session, ana, "schemathesis")
    return secret


def _user(session: Session, email: str, roles, functions=()) -> str:
    from governance.accounts import create_user, issue_token

    user = create_user(
        session,
        email=email,
        name=email.split("@")[0],
        password=PASSWORD,
        roles=list(roles),
        functions=list(functions),
    )
    _token, secret = issue_token(session, user, "schemathesis")
    return secret


@pytest.fixture(scope="module")
def fuzzed(backend, fresh_database_url):
    """The app on a fresh, migrated database holding a small demo organisation, and the
    tokens of a user with every role, a rep, and one for revocation."""
    from app import create_app
    from app.database import database
    from app.demo.loader import load_demo

    url = fresh_database_url(backend)
    db_schema.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        load_demo(session, deals=60)
        tokens = {
            "everyone": _user(session, "fuzz-all@example.test", ROLES, FUNCTIONS),
            "rep": _demo_rep(session),
            "revoking": _user(session, "fuzz-revoke@example.test", ["auditor"]),
        }
        session.commit()
    engine.dispose()
    app = create_app(TestConfig, {"DATABASE_URL": url})
    yield app, tokens, app.test_client().get("/api/openapi.json").get_json()
    with app.app_context():
        database().engine.dispose()


def undeclared(outcome: Outcome, spec: dict) -> list[str]:
    """Statuses an operation answered that its responses do not list (`default` aside:
    schemathesis accepts any status under it, the issue asks each to be declared)."""
    missing = []
    for (method, path), statuses in sorted(outcome.by_operation.items()):
        declared = spec["paths"][path][method]["responses"]
        missing += [
            f"{method.upper()} {path}: {s}" for s in sorted(statuses) if str(s) not in declared
        ]
    return missing


def _check(outcome: Outcome, spec: dict, backend: str, who: str) -> None:
    if REPORT:
        Path(f"{REPORT}.{backend}.{who}.txt").write_text(
            outcome.summary()
            + "\n"
            + "\n".join(outcome.phases)
            + "\n"
            + "\n".join(f"{k}: {sorted(v)}" for k, v in sorted(outcome.by_operation.items()))
            + "\nundeclared:\n"
            + "\n".join(undeclared(outcome, spec))
            + "\n"
            + "\n".join(sorted(set(outcome.failures)))
            + "\n"
        )
    print(f"\nschemathesis {backend} as {who}: {outcome.summary()}")
    assert outcome.errors == []
    assert outcome.server_errors == 0, "\n".join(sorted(set(outcome.failures)))
    assert outcome.failures == [], "\n".join(sorted(set(outcome.failures)))
    assert undeclared(outcome, spec) == []


def test_every_operation_as_a_user_with_every_role(fuzzed, backend):
    app, tokens, spec = fuzzed
    outcome = fuzz(app, tokens["everyone"], EXAMPLES)
    _check(outcome, spec, backend, "every-role")
    # Most requests got past authentication and reached the views (not all 401/403).
    assert outcome.requests > 1000
    assert outcome.statuses[401] + outcome.statuses[403] < outcome.requests / 4
    assert outcome.statuses[200] > 100
    # The stateful phase ran: sequences over the links schemathesis infers.
    assert outcome.per_phase["stateful"] > 0


def test_every_operation_as_a_rep(fuzzed, backend):
    app, tokens, spec = fuzzed
    outcome = fuzz(app, tokens["rep"], max(EXAMPLES // 2, 2))
    _check(outcome, spec, backend, "rep")
    assert outcome.statuses[403] > 0  # the rep is refused the committee's operations


def test_token_revocation(fuzzed, backend):
    app, tokens, spec = fuzzed
    outcome = fuzz(app, tokens["revoking"], EXAMPLES, revoking=True)
    _check(outcome, spec, backend, "revoking")
    # Tokens were issued and revoked (the stateful phase follows POST to DELETE).
    assert outcome.statuses[201] > 0 and outcome.statuses[204] > 0
