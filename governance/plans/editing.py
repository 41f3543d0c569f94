"""Editing a draft in the browser: start one from the plan's current version, and check
a text as submission would, each problem at its line.

Nothing here is a second workflow: a draft is `lifecycle.create_draft`, a save is
`lifecycle.update_draft` (the pages call them), and `check` runs the same submission
checks (`gates.SUBMISSION_CHECKS`: lint errors, the embedded tests) plus lint's warnings,
on a text that is not stored. Lines come from `rules.locate`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from governance.errors import DocumentRejected, NotFound
from governance.permissions import Actor
from governance.plans import gates, lifecycle
from governance.plans.lookup import export_yaml, get_plan, get_version, parse_document
from models.policy import PlanVersion
from rules.lint import lint_plan
from rules.locate import lines_of
from rules.problems import Problem


@dataclass(frozen=True)
class LocatedProblem:
    """A problem with the line of the text it points at (None: not in the text)."""

    line: int | None
    problem: Problem

    def as_dict(self) -> dict:
        return {"line": self.line, **self.problem.as_dict()}


def current_version(session: Session, key: str) -> PlanVersion:
    """The version a new draft starts from: the active one, else the latest."""
    plan = get_plan(session, key)
    number = plan.active_number or plan.latest_number
    if not number:
        raise NotFound(f"Plan {key!r} has no version yet.")
    return get_version(session, key, number)


def starting_text(version: PlanVersion) -> str:
    """The text as its author wrote it (comments kept) when it stands alone, else the
    canonical YAML (a text naming test data files beside it does not load here)."""
    try:
        if parse_document(version.document).version == version.content_hash:
            return version.document
    except DocumentRejected:
        pass
    return export_yaml(version)


def draft_from_current(session: Session, actor: Actor, key: str) -> PlanVersion:
    """A new draft whose text is the current version's (`lifecycle.create_draft`)."""
    base = current_version(session, key)
    return lifecycle.create_draft(
        session,
        actor,
        starting_text(base),
        source=f"{key} version {base.number}",
        note=f"drafted in the browser from version {base.number}",
    )


def locate(text: str, problems: list[Problem] | tuple[Problem, ...]) -> list[LocatedProblem]:
    """Each problem with its line, in the order of the text (unplaced ones last)."""
    lines = lines_of(text, [p.path for p in problems])
    located = [LocatedProblem(line, p) for line, p in zip(lines, problems, strict=True)]
    return sorted(located, key=lambda lp: lp.line if lp.line is not None else 1 << 30)


def check(session: Session, version: PlanVersion, text: str) -> list[LocatedProblem]:
    """What submitting `text` as `version` would report, and lint's warnings; nothing is
    written. Empty: the text would pass the submission checks (the date aside)."""
    try:
        plan = parse_document(text, source=version.label)
    except DocumentRejected as refused:
        return locate(text, refused.problems)
    problems = [p for p in lint_plan(plan) if p.severity != "error"]
    if plan.policy != version.plan_key:
        problems.append(
            Problem(path="$.policy", message=f"this is a version of {version.plan_key!r}")
        )
    problems += [p for gate in gates.SUBMISSION_CHECKS for p in gate(session, version, plan)]
    return locate(text, list(dict.fromkeys(problems)))


def blocking(problems: list[LocatedProblem]) -> bool:
    return any(lp.problem.severity == "error" for lp in problems)
