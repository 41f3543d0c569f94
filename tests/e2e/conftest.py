"""The browser harness: headless Chromium (Debian's package) against a live Accord server.

- `live_server`: a fresh database per backend (a new SQLite file; a new PostgreSQL
  database from `fresh_database_url`; with an external `ACCORD_TEST_PG_URL` server, a
  database of its own there, dropped at the end), migrated with Alembic, `create_app` served by
  werkzeug on 127.0.0.1 with a free port in a background thread; one per backend for the
  session. Unlike the API tests nothing is rolled back, so every test makes its own users
  (`live_server.make_user(...)`, unique e-mails) and never counts rows.
- `browser`: one Chromium for the session, driven by Playwright's sync API. Chromium
  comes from `apt-get install chromium` (`playwright install` needs the network, which
  this project's machines do not have). Without it the e2e tests are skipped locally
  and FAIL under `CI=true`, so CI cannot go green without them.
- `new_context()` / `page`: a fresh browser profile (cookies) per call, whose every
  request outside the live server is aborted and recorded; a test that tried to reach
  anything else fails at teardown, and so does one whose pages logged a Content
  Security Policy or Permissions-Policy message (`csp_violations`), and one whose last
  page in each browser tab has an axe-core violation (tests/e2e/axe.py).
- `sign_in(page, user)`: the login form, filled and submitted.

Mark browser tests `@pytest.mark.e2e`; `pytest -m "not e2e"` leaves them out.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from config import TestConfig
from models import User, schema
from tests.conftest import PASSWORD
from tests.e2e import axe

CHROMIUM = Path(os.environ.get("ACCORD_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # the tests may run as root in a container, where the sandbox cannot
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Belt and braces next to the request guard below: no host name but the loopback
    # address resolves, so nothing the page or Chromium itself asks for can leave.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
# Long enough for a slow CI machine, short enough that a wrong selector fails in seconds.
DEFAULT_TIMEOUT_MS = 15_000


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"{reason} (CI=true: the browser tests must run, not skip)", pytrace=False)
    pytest.skip(reason)


@dataclass(frozen=True)
class LiveUser:
    id: int
    email: str
    name: str
    password: str
    roles: tuple[str, ...]


@dataclass
class LiveServer:
    url: str
    app: object
    backend: str
    _count: Iterator[int] = field(default_factory=lambda: iter(range(1, 1_000_000)))

    def make_user(
        self, *roles: str, functions=(), name: str | None = None, password: str = PASSWORD
    ) -> LiveUser:
        """A committed user with a unique e-mail (the database outlives each test)."""
        from app.database import db_session
        from governance.accounts import create_user

        n = next(self._count)
        with self.app.app_context():
            session = db_session()
            user = create_user(
                session,
                email=f"e2e{n}-{'-'.join(roles) or 'none'}@example.test",
                name=name or f"E2E Person {n}",
                password=password,
                roles=list(roles),
                functions=list(functions),
            )
            session.commit()
            return LiveUser(user.id, user.email, user.name, password, tuple(sorted(roles)))

    def user_row(self, email: str) -> User:
        """The user as the database has it now (a detached copy), for checking effects."""
        from app.database import db_session

        with self.app.app_context():
            return db_session().scalars(select(User).where(User.email == email)).one()


@contextmanager
def serving(backend: str, fresh_database_url, prepare=None) -> Iterator[LiveServer]:
    """A migrated fresh database (given to `prepare(url)` first, when there is one)
    served on a free port until the block ends; then the database is dropped."""
    from app import create_app

    url = fresh_database_url(backend)
    cleanup = None
    if backend == "postgresql" and os.environ.get("ACCORD_TEST_PG_URL"):
        # An external server hands out one shared database, which the API tests use in
        # rolled-back transactions; the live server commits, so it gets its own.
        url, cleanup = _separate_postgres_database(url)
    schema.upgrade(url)
    if prepare is not None:
        prepare(url)
    # A live server serves many sign-ins, every browser at 127.0.0.1: the per-address sign-in
    # limit would count the whole suite's sign-ins (tests/api/test_signin_throttling.py
    # holds the limits themselves).
    overrides = {"DATABASE_URL": url, "SIGNIN_LIMIT_PER_ADDRESS": "10000 per minute"}
    app = create_app(TestConfig, overrides)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"live-{backend}", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app, backend=backend)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        app.extensions["accord.db"].engine.dispose()
        if cleanup is not None:
            cleanup()


@pytest.fixture(scope="session")
def live_server(backend, fresh_database_url) -> Iterator[LiveServer]:
    with serving(backend, fresh_database_url) as server:
        yield server


DEMO_DEALS = 500  # the smallest demo with a deal for every story (test_demo_history.py)


def _load_demo(url: str) -> None:
    from sqlalchemy.orm import Session

    from app.demo.loader import load_demo
    from models.engine import make_engine

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            load_demo(session, deals=DEMO_DEALS)
            session.commit()
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def demo_server(backend, fresh_database_url) -> Iterator[LiveServer]:
    """The demo organisation served, once per backend for the modules that read it
    (they bind it as their `live_server`: tests/e2e/demo.py)."""
    with serving(backend, fresh_database_url, prepare=_load_demo) as server:
        yield server


def _separate_postgres_database(shared_url: str):
    """A new database next to the shared one on an external server, and its dropper."""
    from sqlalchemy import create_engine, make_url, text

    name = f"accord_e2e_{secrets.token_hex(4)}"
    admin = create_engine(shared_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        pytest.fail(f"e2e needs CREATE DATABASE on ACCORD_TEST_PG_URL's server: {exc}")

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = make_url(shared_url).set(database=name).render_as_string(hide_password=False)
    return url, drop


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _unavailable(
            f"Chromium is not installed at {CHROMIUM}: `apt-get install chromium` "
            "(or set ACCORD_CHROMIUM to its path)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing: pip install -e '.[test]'")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
    except Exception as exc:
        playwright.stop()
        # Installed but not starting is a broken machine, locally too: fail, never skip.
        pytest.fail(f"Chromium at {CHROMIUM} did not start: {exc}", pytrace=False)
    yield chromium
    chromium.close()
    playwright.stop()


# Chromium logs every blocked inline style or script, frame and form target to the
# console; the listener reports each `securitypolicyviolation` event there as well.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => console.error(
  `securitypolicyviolation: ${e.effectiveDirective} blocked ${e.blockedURI || "inline"}`));
"""
POLICY_WORDS = ("Content Security Policy", "securitypolicyviolation", "Permissions-Policy")


@pytest.fixture
def csp_violations() -> list[str]:
    """Console messages about the page's security policies, from every page of the test."""
    return []


@pytest.fixture
def new_context(browser, live_server, csp_violations) -> Iterator[Callable[[], object]]:
    """new_context() -> a fresh Playwright BrowserContext (its own cookies) on the server."""
    allowed = urlsplit(live_server.url).netloc
    contexts, escaped = [], []

    def guard(route):
        url = route.request.url
        if urlsplit(url).netloc == allowed:
            route.continue_()
        else:
            escaped.append(url)
            route.abort("blockedbyclient")

    def console(message):
        if any(word in message.text for word in POLICY_WORDS):
            csp_violations.append(f"{message.page.url if message.page else '?'}: {message.text}")

    def make():
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.route("**/*", guard)
        context.add_init_script(REPORT_VIOLATIONS)
        context.on("console", console)
        contexts.append(context)
        return context

    yield make
    # Every browser test is also an accessibility check of the pages it ends on.
    inaccessible = []
    for context in contexts:
        for page in context.pages:
            if page.url.startswith(live_server.url) and not page.is_closed():
                inaccessible += axe.describe(axe.violations(page), axe.where(page))
    for context in contexts:
        context.close()
    assert not escaped, f"the browser tried to leave the live server: {escaped}"
    # Every browser test is also a check of the CSP (app/headers.py): nothing refused.
    assert not csp_violations, f"the pages broke their security policy: {csp_violations}"
    assert not inaccessible, "axe-core found violations:\n" + "\n".join(inaccessible)


@pytest.fixture
def page(new_context):
    return new_context().new_page()


@pytest.fixture
def sign_in(live_server):
    """sign_in(page, user, password=None, next=None) -> the Response the form led to."""

    def submit(page, user: LiveUser, password: str | None = None, next: str | None = None):
        page.goto("/login" if next is None else f"/login?next={quote(next, safe='')}")
        page.get_by_label("E-mail").fill(user.email)
        page.get_by_label("Password").fill(user.password if password is None else password)
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name="Sign in").click()
        return navigation.value  # the POST's response: 302 is followed, 401 is not

    return submit
