"""The demo organisation served for browser tests, and a walk through its pages.

    demo_user(email) -> LiveUser            # a demo login (one shared password)
    walk(page, check) -> [paths]            # every page reachable from home, `check`ed

The demo itself is `demo_server` (tests/e2e/conftest.py), served once per backend; a
module whose pages need it makes it its `live_server` (test_security_headers.py,
test_accessibility.py). Tests there change little (a vote), nothing the others read.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlsplit

from app.demo.users import DEMO_PASSWORD
from tests.e2e.conftest import LiveUser

MAX_PAGES = 40  # per person: every nav section and two pages of each kind it links to


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
