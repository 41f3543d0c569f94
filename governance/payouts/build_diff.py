"""What a re-run changed: the inputs named, the votes kept or voided, the payable moved.

    before = before_rebuild(session, run)          # None for a first build
    ... the run is rebuilt ...
    outcome = compare(session, run, inputs, before)
    audit.record(..., payload={..., **outcome.payload()})
    record_build(session, actor, run, inputs, outcome, audit_record_id)

A re-run whose plan versions, exceptions, input data and results hash as before keeps
the run's version, so its content hash and the votes on it; any difference is a new
version (a fresh ballot), and the votes on the old content are voided with a
`payout_run.votes_voided` audit record naming what changed. Each build is a
`PayoutBuild` row; each participant whose payable moved, a `PayoutBuildChange`.
Docs: docs/payout-close.md, "Re-runs and votes" and "Stale drafts".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, delete, func, insert, literal, select, tuple_, update
from sqlalchemy.orm import Session

from governance import audit
from governance.bulk_insert import insert_rows
from governance.errors import NotFound
from governance.paging import page
from governance.payouts.content import run_content_hash
from governance.payouts.inputs import PeriodInputs
from governance.payouts.staleness import (
    exception_changes,
    exception_items,
    imports_since,
    latest_build,
    names,
    plan_changes,
    plan_labels,
)
from governance.permissions import Actor
from models.approvals import Vote
from models.payout_builds import PayoutBuild, PayoutBuildChange, ReplacedLine, ReplacedStatement
from models.payouts import PayoutLine, PayoutRun, Statement

CENT = Decimal("0.01")
Slot = tuple[str, str]  # (participant, currency)


@dataclass
class Before:
    """A draft as it was before its re-run."""

    version: int
    content_hash: str
    hashes: tuple[Any, ...]  # plan versions, exceptions, input data, result
    plan_versions: dict[str, list[str]]
    input_hashes: dict[str, str]
    statements: set[tuple[str, str]]  # (participant, plan)
    payable: dict[Slot, Decimal]
    build: PayoutBuild | None
    votes: list[Vote]


@dataclass
class Outcome:
    number: int
    identical: bool
    changes: list[dict[str, Any]] = field(default_factory=list)
    moved: list[tuple[str, str, Decimal | None, Decimal | None]] = field(default_factory=list)
    added: list[tuple[str, str]] = field(default_factory=list)  # statements (participant, plan)
    votes_kept: int = 0
    voided: list[Vote] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return {
            "build": self.number,
            "identical": self.identical,
            "changes": [c["text"] for c in self.changes],
            "payable_moved": len(self.moved),
            "votes_kept": self.votes_kept,
            "votes_voided": len(self.voided),
        }


def _hashes(run: PayoutRun) -> tuple[Any, ...]:
    return (run.plan_versions, run.exceptions_hash, run.input_data_hash, run.result_hash)


def payable_of(session: Session, run: PayoutRun) -> dict[Slot, Decimal]:
    """{(participant, currency): payable over the participant's statements}."""
    rows = session.execute(
        select(Statement.participant_id, Statement.currency, func.sum(Statement.payable))
        .where(Statement.run_id == run.id)
        .group_by(Statement.participant_id, Statement.currency)
    )
    # SQLite may return floats for SUM over NUMERIC; money is Decimal at the cent.
    return {(p, c): Decimal(str(v or 0)).quantize(CENT) for p, c, v in rows}


def before_rebuild(session: Session, run: PayoutRun | None) -> Before | None:
    if run is None:
        return None
    content = run_content_hash(run)
    votes = session.scalars(
        select(Vote)
        .where(Vote.payout_run_id == run.id, Vote.content_hash == content)
        .order_by(Vote.id)
    ).all()
    inputs = session.execute(
        select(Statement.participant_id, Statement.plan_key, Statement.input_hash).where(
            Statement.run_id == run.id
        )
    ).all()
    return Before(
        version=run.version,
        content_hash=content,
        hashes=_hashes(run),
        plan_versions=dict(run.plan_versions or {}),
        input_hashes={p: h for p, _k, h in inputs},
        statements={(p, k) for p, k, _h in inputs},
        payable=payable_of(session, run),
        build=latest_build(session, run),
        votes=list(votes),
    )


def compare(
    session: Session, run: PayoutRun, inputs: PeriodInputs, before: Before | None
) -> Outcome:
    """The rebuilt `run` against `before`; keeps the run's version when nothing changed."""
    number = 1 if before is None else (before.build.number if before.build else before.version) + 1
    if before is None:
        return Outcome(number, identical=False)
    if _hashes(run) == before.hashes:
        run.version = before.version  # the same content: the votes on it stand
        return Outcome(number, identical=True, votes_kept=len(before.votes))
    changes = plan_changes(
        plan_labels(session, before.plan_versions), plan_labels(session, run.plan_versions)
    )
    if run.exceptions_hash != before.hashes[1]:
        old = before.build.exceptions if before.build else None
        changes += exception_changes(old, exception_items(inputs.exceptions))
    imported = imports_since(session, before.build.audit_record_id) if before.build else []
    if imported or not changes:
        # Each participant's input hash includes the plan versions: after a plan change
        # every one differs, which names nothing; list them when data changed too.
        changes += imported + _input_changes(session, run, before)
    if not changes:
        text = "the results changed with the same inputs (prior-period adjustments)"
        changes.append({"kind": "results", "text": text})
    after = payable_of(session, run)
    moved = [
        (p, c, before.payable.get((p, c)), after.get((p, c)))
        for p, c in sorted(set(before.payable) | set(after))
        if before.payable.get((p, c)) != after.get((p, c))
    ]
    now = session.execute(
        select(Statement.participant_id, Statement.plan_key).where(Statement.run_id == run.id)
    )
    added = sorted({(p, k) for p, k in now} - before.statements)
    return Outcome(number, False, changes, moved, added, voided=before.votes)


def _input_changes(session: Session, run: PayoutRun, before: Before) -> list[dict[str, Any]]:
    now = dict(
        session.execute(
            select(Statement.participant_id, Statement.input_hash).where(Statement.run_id == run.id)
        ).all()
    )
    old = before.input_hashes
    out = []
    for word, ids in (
        ("input data changed for", sorted(p for p in set(now) & set(old) if now[p] != old[p])),
        ("participants added:", sorted(set(now) - set(old))),
        ("participants removed:", sorted(set(old) - set(now))),
    ):
        if ids:
            count = f"{len(ids)} participant{'s' * (len(ids) != 1)}: " if "for" in word else ""
            out.append(
                {
                    "kind": "input_data",
                    "participants": ids[:100],
                    "text": f"{word} {count}{names(ids)}",
                }
            )
    return out


def record_build(
    session: Session,
    actor: Actor,
    run: PayoutRun,
    inputs: PeriodInputs,
    outcome: Outcome,
    audit_record_id: int,
) -> PayoutBuild:
    """The build's row and its payable changes; the audit record of voided votes."""
    build = PayoutBuild(
        run_id=run.id,
        number=outcome.number,
        run_version=run.version,
        built_by_id=getattr(actor, "id", None),
        audit_record_id=audit_record_id,
        plan_versions={
            key: [
                {"label": u.label, "number": _number(u.label), "hash": u.plan.version} for u in uses
            ]
            for key, uses in inputs.versions.items()
        },
        exceptions=exception_items(inputs.exceptions),
        input_data_hash=run.input_data_hash,
        exceptions_hash=run.exceptions_hash,
        result_hash=run.result_hash,
        changes=outcome.changes,
        identical=outcome.identical,
        votes_kept=outcome.votes_kept,
        votes_voided=len(outcome.voided),
        kept_replaced=True,
    )
    session.add(build)
    session.flush()
    _keep_for(session, run, build, outcome.added)
    insert_rows(
        session,
        PayoutBuildChange,
        [
            {"build_id": build.id, "participant_id": p, "currency": c, "before": b, "after": a}
            for p, c, b, a in outcome.moved
        ],
    )
    if outcome.voided:
        decisions: dict[str, list[int]] = defaultdict(list)
        for vote in outcome.voided:
            decisions[vote.decision].append(vote.voter_id)
        audit.record(
            session,
            actor,
            "payout_run.votes_voided",
            "payout_run",
            run.label,
            before=outcome.voided[0].content_hash,
            after=run_content_hash(run),
            payload={
                "period": run.period,
                "build": outcome.number,
                "approvals_by": decisions.get("approve", []),
                "rejections_by": decisions.get("reject", []),
                "changes": [c["text"] for c in outcome.changes],
                "note": "the re-run changed the run: its votes are on other content",
            },
        )
    return build


# --------------------------------------------------------------------------- replaced

# What a kept line copies from its `PayoutLine`: every column of `ReplacedLine` but its own.
_LINE_COLUMNS = tuple(
    c.name for c in ReplacedLine.__table__.columns if c.name not in ("id", "statement_id")
)


def keep_replaced(session: Session, run: PayoutRun, slots: list[tuple[str, str]]) -> None:
    """Copy `run`'s statements of `slots` (participant, plan) and their lines, which a
    re-run is about to delete, as the pending build's replaced ones (INSERT ... SELECT:
    nothing is read into Python)."""
    if not slots:
        return
    kept = ReplacedStatement
    session.execute(
        insert(kept).from_select(
            ["run_id", "participant_id", "plan_key", "change"]
            + ["plan_version_hash", "currency", "payable"],
            select(
                Statement.run_id,
                Statement.participant_id,
                Statement.plan_key,
                literal("replaced"),
                Statement.plan_version_hash,
                Statement.currency,
                Statement.payable,
            ).where(
                Statement.run_id == run.id,
                tuple_(Statement.participant_id, Statement.plan_key).in_(slots),
            ),
        )
    )
    line = PayoutLine
    session.execute(
        insert(ReplacedLine).from_select(
            ["statement_id", *_LINE_COLUMNS],
            select(kept.id, *(getattr(line, c) for c in _LINE_COLUMNS))
            .join(
                kept,
                and_(
                    kept.run_id == line.run_id,
                    kept.participant_id == line.participant_id,
                    kept.plan_key == line.plan_key,
                    kept.build_id.is_(None),
                ),
            )
            .where(
                line.run_id == run.id,
                tuple_(line.participant_id, line.plan_key).in_(slots),
            )
            .order_by(line.participant_id, line.plan_key, line.position),
        )
    )


def _keep_for(
    session: Session, run: PayoutRun, build: PayoutBuild, added: list[tuple[str, str]]
) -> None:
    """The pending replaced statements become `build`'s, the added ones are marked, and
    the run's earlier builds' are deleted: only the latest build is compared."""
    kept = ReplacedStatement
    session.execute(
        update(kept)
        .where(kept.run_id == run.id, kept.build_id.is_(None))
        .values(build_id=build.id)
        .execution_options(synchronize_session=False)
    )
    insert_rows(
        session,
        kept,
        [{"participant_id": p, "plan_key": k, "change": "added"} for p, k in added],
        same={"run_id": run.id, "build_id": build.id},
    )
    older = select(kept.id).where(kept.run_id == run.id, kept.build_id != build.id)
    session.execute(delete(ReplacedLine).where(ReplacedLine.statement_id.in_(older)))
    session.execute(
        delete(kept)
        .where(kept.run_id == run.id, kept.build_id != build.id)
        .execution_options(synchronize_session=False)
    )


def _number(label: str) -> int | None:
    tail = label.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


# --------------------------------------------------------------------------- reading


def build_of(session: Session, run: PayoutRun, number: int | None = None) -> PayoutBuild | None:
    """The run's build `number` (NotFound if it has none such), or its latest (None for a
    run built before builds were recorded)."""
    if number is None:
        return latest_build(session, run)
    stmt = select(PayoutBuild).where(PayoutBuild.run_id == run.id, PayoutBuild.number == number)
    build = session.scalars(stmt).first()
    if build is None:
        raise NotFound(f"{run.label} has no build {number}.")
    return build


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(CENT)


def payable_changes(
    session: Session, build: PayoutBuild, *, offset: int = 0, limit: int = 50
) -> tuple[list[dict[str, Any]], int]:
    """The participants whose payable the build moved, the largest moves first."""
    moved = func.coalesce(PayoutBuildChange.after, 0) - func.coalesce(PayoutBuildChange.before, 0)
    stmt = select(PayoutBuildChange).where(PayoutBuildChange.build_id == build.id)
    rows, total = page(
        session,
        stmt.order_by(func.abs(moved).desc(), PayoutBuildChange.participant_id),
        offset=offset,
        limit=limit,
    )
    return [_change(r.participant_id, r.currency, r.before, r.after) for r in rows], total


def _change(participant: str, currency: str, before: Any, after: Any) -> dict[str, Any]:
    b, a = _money(before), _money(after)
    return {
        "participant": participant,
        "currency": currency,
        "before": b,
        "after": a,
        "change": (a or Decimal(0)) - (b or Decimal(0)),
    }


def change_totals(session: Session, build: PayoutBuild) -> list[dict[str, Any]]:
    """Per currency: participants moved, payable before and after over them, the change."""
    rows = session.execute(
        select(
            PayoutBuildChange.currency,
            func.count(),
            func.coalesce(func.sum(PayoutBuildChange.before), 0),
            func.coalesce(func.sum(PayoutBuildChange.after), 0),
        )
        .where(PayoutBuildChange.build_id == build.id)
        .group_by(PayoutBuildChange.currency)
        .order_by(PayoutBuildChange.currency)
    )
    out = []
    for currency, count, before, after in rows:
        entry = _change("", currency, before, after)
        del entry["participant"]
        out.append({**entry, "participants": count})
    return out
