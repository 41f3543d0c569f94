"""The demo organisation served for browser tests, and a walk through its pages.

    live_server = demo_live_server          # in a module: the demo organisation, served
    demo_user(email) -> LiveUser            # a demo login (one shared password)
    walk(page, check) -> [paths]            # every page reachable from home, `check`ed

The demo (500 deals, its whole history) is loaded once per backend for the session
(`demo_server`, tests/e2e/conftest.py) and shared by the modules that use it (tests/e2e/test_security_headers.py,
tests/e2e/test_accessibility.py); tests there change little (a vote), nothing they read.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from app.demo.users import DEMO_PASSWORD
from tests.e2e.conftest import LiveServer, LiveUser

MAX_PAGES = 40  # per person: every nav section and two pages of each kind it links to


@pytest.fixture(scope="module")
def demo_live_server(demo_server) -> LiveServer:
    """Bind as `live_server` in a module whose pages need the demo's data and people
    (`demo_server`: tests/e2e/conftest.py, once per backend)."""
    return demo_server


def demo_user(email: str) -> LiveUser:
    return LiveUser(id=0, email=email, name=email, password=DEMO_PASSWORD, roles=())


def walk(
    page, check: Callable[[object, str], None], max_pages: int = MAX_PAGES, per_kind: int = 2
) -> list[str]:
    """Visit the pages reachable from home through same-origin page links, breadth first,
    `per_kind` of each kind (`/statements/N`), up to `max_pages`; `check(response, path)`
    on each. The paths visited."""
    seen, queue, visited, kinds = {"/"}, ["/"], [], Counter()
    while queue and len(visited) < max_pages:
        path = queue.pop(0)
        response = page.goto(path)
        check(response, path)
        visited.append(path)
        for href in page.locator("a[href^='/']").evaluate_all("els => els.map(e => e.href)"):
            link = urlsplit(href)
            target = link.path + (f"?{link.query}" if link.query else "")
            # The API's downloads are checked elsewhere; /login would sign us out of nothing.
            kind = re.sub(r"\d+", "N", link.path)
            if link.path.startswith(("/api/", "/static/", "/login")) or target in seen:
                continue
            if kinds[kind] >= per_kind:
                continue
            kinds[kind] += 1
            seen.add(target)
            queue.append(target)
    return visited
