"""A statement compared with the previous period's or with its run's previous build.

    changes = statement_changes(session, actor, statement_id, against="previous-period")

- `previous-period`: the same participant's statement under the same plan in the run
  holding the period before (one the actor may read: a rep, published runs only), line by
  line with `pay_changes.compare_lines`; a plan version that differs is diffed
  (`governance.plans.diff`) so a rule change is named with its field. No such statement:
  every line is new.
- `previous-build`: the statement against what the run's latest re-run replaced
  (`models.payout_builds`: a re-run keeps the statements it replaces, with their lines),
  line by line with `compare_lines`, plus the build's recorded changes that concern it
  (their plan's versions, the exceptions in force, imports, their input data). A
  statement the re-run did not touch is unchanged; one it added has every line new.
  Builds recorded before revision 0034 kept no lines: those compare per statement (the
  payable before and after).

Visibility is the statement's own (`read._load`): a statement the actor may not read is a
404, drafts are never shown to reps. Reads only. Docs: docs/statements.md, "What changed".
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.errors import Invalid
from governance.payouts.staleness import latest_build, plan_labels
from governance.permissions import Actor
from governance.plans.diff import PlanDiff, diff_documents
from governance.plans.lookup import plan_of
from governance.statements.pay_causes import Cause
from governance.statements.pay_changes import compare_lines
from governance.statements.read import _lines, _load, _shown, statement_dict
from models import PlanVersion
from models.payout_builds import PayoutBuild, PayoutBuildChange, ReplacedLine, ReplacedStatement
from models.payouts import HOLDING_STATES, PayoutLine, PayoutRun, Statement
from rules.period import Period

AGAINST = ("previous-period", "previous-build")
CENT = Decimal("0.01")


def line_input(line: PayoutLine | ReplacedLine) -> dict[str, Any]:
    """A stored line in the shape `compare_lines` reads."""
    return {
        "kind": line.kind,
        "deal": line.deal_id,
        "rule": line.rule,
        "status": line.status,
        "amount": line.amount,
        "currency": line.currency,
        "trace": line.trace or [],
        "plan": line.plan_key,
        "plan_version": line.plan_version_hash,
        "adjusts_period": line.adjusts_period,
        "reason": line.reason,
    }


def statement_changes(
    session: Session, actor: Actor, statement_id: int, *, against: str = "previous-period"
) -> dict[str, Any]:
    """What changed in a statement against `against` (one of AGAINST), explained."""
    if against not in AGAINST:
        raise Invalid(f"against must be one of {', '.join(AGAINST)}, not {against!r}.")
    st, run, person = _load(session, actor, statement_id)
    out: dict[str, Any] = {"statement": statement_dict(st, run, person.name), "against": against}
    if against == "previous-period":
        out.update(_previous_period(session, actor, st, run))
    else:
        out.update(_previous_build(session, st, run))
    return out


# --------------------------------------------------------------------------- periods


def previous_statement(
    session: Session, actor: Actor, st: Statement, run: PayoutRun
) -> tuple[Statement, PayoutRun] | None:
    """The participant's statement under the same plan in the period before, if the
    actor may read it."""
    period = Period.parse(run.period).previous().name
    stmt = (
        select(Statement, PayoutRun)
        .join(PayoutRun, PayoutRun.id == Statement.run_id)
        .where(
            PayoutRun.period == period,
            PayoutRun.state.in_(HOLDING_STATES),
            Statement.participant_id == st.participant_id,
            Statement.plan_key == st.plan_key,
        )
    )
    row = session.execute(_shown(stmt, actor)).first()
    return None if row is None else (row[0], row[1])


def _version(session: Session, plan_key: str, content_hash: str) -> PlanVersion | None:
    stmt = select(PlanVersion).where(
        PlanVersion.plan_key == plan_key, PlanVersion.content_hash == content_hash
    )
    return session.scalars(stmt.order_by(PlanVersion.number.desc()).limit(1)).first()


def plan_diff_between(
    session: Session, plan_key: str, before: str, after: str
) -> tuple[PlanDiff | None, tuple[str | None, str | None]]:
    """The diff of two versions of a plan by content hash, and their labels."""
    labels = plan_labels(session, {plan_key: [before, after]})[plan_key]
    if before == after:
        return None, (labels[0], labels[1])
    old, new = _version(session, plan_key, before), _version(session, plan_key, after)
    if old is None or new is None:
        return None, (labels[0], labels[1])
    return diff_documents(plan_of(old).document, plan_of(new).document), (labels[0], labels[1])


def _previous_period(session: Session, actor: Actor, st: Statement, run: PayoutRun) -> dict:
    period = Period.parse(run.period).previous().name
    found = previous_statement(session, actor, st, run)
    after = [line_input(ln) for ln in _lines(session, st)]
    if found is None:
        result = compare_lines([], after, labels=(period, run.period), same_period=False)
        note = f"No statement of {st.participant_id} under {st.plan_key} for {period}."
        return {
            "compared_with": None,
            "line_level": True,
            "note": note,
            "causes": [],
            **result.as_dict(),
        }
    prev, prev_run = found
    diff, versions = plan_diff_between(
        session, st.plan_key, prev.plan_version_hash, st.plan_version_hash
    )
    before = [line_input(ln) for ln in _lines(session, prev)]
    result = compare_lines(
        before,
        after,
        labels=(period, run.period),
        versions=versions,
        plan_diff=diff,
        same_period=False,
    )
    compared = {
        "label": period,
        "period": period,
        "statement_id": prev.id,
        "run_id": prev_run.id,
        "build": None,
        "plan_versions": list(versions),
    }
    return {
        "compared_with": compared,
        "line_level": True,
        "note": None,
        "causes": [],
        **result.as_dict(),
    }


# --------------------------------------------------------------------------- builds


def _previous_build(session: Session, st: Statement, run: PayoutRun) -> dict:
    build = latest_build(session, run)
    payable = Decimal(str(st.payable)).quantize(CENT)
    empty = {"changes": [], "by_cause": [], "unchanged_lines": st.line_count, "causes": []}
    if build is None or build.number == 1:
        note = f"{run.label} was built once: there is no previous build to compare with."
        zero = Decimal("0.00")
        totals = [{"currency": st.currency, "before": payable, "after": payable, "delta": zero}]
        return {"compared_with": None, "line_level": False, "note": note, "totals": totals, **empty}
    if build.kept_replaced:
        return _replaced(session, st, run, build)
    row = session.scalars(
        select(PayoutBuildChange).where(
            PayoutBuildChange.build_id == build.id,
            PayoutBuildChange.participant_id == st.participant_id,
            PayoutBuildChange.currency == st.currency,
        )
    ).first()
    before = payable if row is None else _money(row.before)
    after = payable if row is None else _money(row.after)
    compared = _earlier_build(run, build, [])
    causes = [c.as_dict() for c in build_causes(build.changes or [], st)]
    delta = after - before
    note = (
        f"Build {build.number} of {run.label} (re-run {build.built_at:%Y-%m-%d %H:%M} UTC) "
        "replaced the lines it recomputed, so the lines of build "
        f"{build.number - 1} are not kept: the payable before and after and the causes the "
        "run recorded are shown."
    )
    if build.identical:
        note = (
            f"Build {build.number} found the same inputs and results as build {build.number - 1}."
        )
    totals = [{"currency": st.currency, "before": before, "after": after, "delta": delta}]
    return {
        "compared_with": compared,
        "line_level": False,
        "note": note,
        "totals": totals,
        **empty,
        "causes": causes,
    }


def _replaced(session: Session, st: Statement, run: PayoutRun, build: PayoutBuild) -> dict:
    """The statement against what build `build` replaced, line by line."""
    kept = session.scalars(
        select(ReplacedStatement).where(
            ReplacedStatement.build_id == build.id,
            ReplacedStatement.participant_id == st.participant_id,
            ReplacedStatement.plan_key == st.plan_key,
        )
    ).first()
    after = [line_input(ln) for ln in _lines(session, st)]
    n = build.number
    if kept is None:
        before, note = after, f"Build {n} of {run.label} did not change this statement."
        if build.identical:
            note = f"Build {n} found the same inputs and results as build {n - 1}."
    elif kept.change == "added":
        before, note = [], f"This statement is new in build {n}: every line is new."
    else:
        rows = session.scalars(
            select(ReplacedLine)
            .where(ReplacedLine.statement_id == kept.id)
            .order_by(ReplacedLine.position, ReplacedLine.id)
        )
        before, note = [line_input(ln) for ln in rows], None
    old_version = kept.plan_version_hash if kept is not None else None
    diff, versions = plan_diff_between(
        session, st.plan_key, old_version or st.plan_version_hash, st.plan_version_hash
    )
    result = compare_lines(
        before, after, labels=(f"build {n - 1}", f"build {n}"), versions=versions, plan_diff=diff
    )
    compared = _earlier_build(run, build, list(versions))
    causes = [] if kept is None else [c.as_dict() for c in build_causes(build.changes or [], st)]
    return {
        "compared_with": compared,
        "line_level": True,
        "note": note,
        "causes": causes,
        **result.as_dict(),
    }


def _earlier_build(run: PayoutRun, build: PayoutBuild, versions: list[Any]) -> dict[str, Any]:
    """`compared_with` for the build before `build`."""
    return {
        "label": f"build {build.number - 1}",
        "period": run.period,
        "statement_id": None,
        "run_id": run.id,
        "build": build.number - 1,
        "plan_versions": versions,
    }


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def build_causes(changes: list[dict[str, Any]], st: Statement) -> list[Cause]:
    """The recorded changes of a build that concern this statement, as causes."""
    out: list[Cause] = []
    for change in changes:
        kind, text = change.get("kind"), str(change.get("text") or "")
        if kind == "plan_versions" and change.get("plan") == st.plan_key:
            before, after = change.get("before") or [], change.get("after") or []
            out.append(
                Cause("plan", f"Plan versions {text}.", "plan", ", ".join(before), ", ".join(after))
            )
        elif kind == "exceptions":
            out.append(Cause("exception", f"Exceptions: {text.removeprefix('exceptions ')}."))
        elif kind == "data":
            changed = change.get("changed") or []
            cause = "fx" if changed == ["fx"] else "deal"
            out.append(Cause(cause, f"{text[:1].upper()}{text[1:]}.", ",".join(changed)))
        elif kind == "input_data" and st.participant_id in (change.get("participants") or []):
            word = "added" if "added" in text else "changed"
            out.append(
                Cause("deal", f"Your input data {word} (deals, events, quota or assignments).")
            )
        elif kind == "results":
            out.append(Cause("adjustment", f"{text[:1].upper()}{text[1:]}."))
    return out
