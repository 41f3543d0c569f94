"""axe-core in the browser tests: run Deque's accessibility engine on a page and report
its violations (rule id, impact, the nodes' CSS targets and what is wrong with each).

axe comes from the PyPI package `axe-playwright-python` (a test extra), which ships
axe-core's `axe.min.js` (MPL-2.0); we use only that file. It is injected with
`page.evaluate`, which runs through the DevTools protocol and so is not subject to the
pages' Content-Security-Policy (`script-src 'self'`): no `bypass_csp`, and the policy the
tests check is the one users get. docs/decisions.md, "Accessibility checks (axe-core)".

    assert_accessible(page)          # fails with every violation found
    violations(page) -> list[dict]   # axe's violations, for tests that want them
"""

from __future__ import annotations

from importlib.resources import files
from urllib.parse import urlsplit

AXE_SOURCE = (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
# The WCAG 2.x A and AA rules and axe's best practices: what "0 violations" is held to.
RUN = """() => axe.run(document, {
  runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa",
                                  "best-practice"]},
  resultTypes: ["violations"],
})"""


def violations(page) -> list[dict]:
    """axe's violations on the page as it is now (axe injected once per document). A page
    still navigating (a form just sent) is checked once its next document has loaded."""
    from playwright.sync_api import Error

    page.wait_for_load_state()
    try:
        return _run(page)
    except Error as exc:  # the document went away under axe: "context was destroyed", or
        # "null (reading 'documentElement')" between two documents; check the next one
        if "context was destroyed" not in str(exc) and "documentElement" not in str(exc):
            raise
        page.wait_for_load_state()
        return _run(page)


def _run(page) -> list[dict]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    return page.evaluate(RUN)["violations"]


def describe(found: list[dict], where: str) -> list[str]:
    """One line per violation and node: `path: rule (impact) at target: summary`."""
    lines = []
    for rule in found:
        for node in rule["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            summary = (node.get("failureSummary") or rule["help"]).replace("\n", " ")
            lines.append(f"{where}: {rule['id']} ({rule['impact']}) at {target}: {summary}")
    return lines


def where(page) -> str:
    parts = urlsplit(page.url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def assert_accessible(page) -> None:
    found = violations(page)
    assert not found, "axe-core found violations:\n" + "\n".join(describe(found, where(page)))
