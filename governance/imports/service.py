"""The import service: validate everything, upsert by key, report what changed.

    report = import_data(session, payload, source="demo")   # a section-3 mapping
    report = import_batch(session, batch)                    # files merged by sources.py

Each section is handled in chunks of `CHUNK`: validated (validate.py) and, while no
problem has been found anywhere, written (writer.py). After a problem, validation goes
on so that every problem is listed, then `InvalidData` is raised and the caller rolls
back. The service never commits. An accepted import appends one audit record
(`auditing.data_changes`).

Upsert rules, validation, transactions and throughput: docs/imports.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from governance.auditing import data_changes
from governance.imports import fx_locks
from governance.imports.sources import Batch
from governance.imports.validate import Validator, ids_in
from governance.imports.writer import KINDS, Counts, Writer
from governance.permissions import Actor
from models import Deal
from rules.problems import InvalidData, Problem

CHUNK = 2000
# pg_advisory_xact_lock key taken by every import ("accord imports" in ASCII, as an int).
IMPORT_LOCK_KEY = 0x61636364696D70

Progress = Callable[[int], None]  # called with the number of records just handled


@dataclass
class ImportReport:
    sources: list[str]
    counts: dict[str, Counts]
    warnings: list[Problem] = field(default_factory=list)
    # Rows a CRM mapping did not import, per kind and stage class: {"deals": {"lost": 2}}.
    skipped: dict[str, dict[str, int]] = field(default_factory=dict)
    correction: bool = False
    fx_changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated for c in self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "sources": self.sources,
            "changed": self.changed,
            "counts": {
                kind: {"created": c.created, "updated": c.updated, "unchanged": c.unchanged}
                for kind, c in self.counts.items()
            },
            "skipped": self.skipped,
            "warnings": [w.as_dict() for w in self.warnings],
            "correction": self.correction,
            "fx_changes": self.fx_changes,
        }

    def summary_lines(self) -> list[str]:
        lines = [
            f"{kind:<13}{c.created:>8} created{c.updated:>8} updated{c.unchanged:>8} unchanged"
            for kind, c in self.counts.items()
            if c.created or c.updated or c.unchanged
        ]
        lines += [
            f"{kind:<13}{sum(by.values()):>8} skipped ("
            + ", ".join(f"{n} {stage}" for stage, n in sorted(by.items()))
            + "; only won opportunities are imported)"
            for kind, by in self.skipped.items()
        ]
        return lines or ["nothing to import"]


def import_data(
    session: Session,
    payload: Any,
    *,
    source: str = "",
    progress: Progress | None = None,
    actor: Actor = None,
    correction: bool = False,
) -> ImportReport:
    """Import one section-3 mapping (exceptions refused); raises `InvalidData`."""
    batch = Batch()
    batch.add_json(payload, source)
    return import_batch(session, batch, progress=progress, actor=actor, correction=correction)


def import_batch(
    session: Session,
    batch: Batch,
    *,
    progress: Progress | None = None,
    actor: Actor = None,
    correction: bool = False,
) -> ImportReport:
    """Validate and upsert every record of `batch`; raises `InvalidData` listing all problems.

    `actor`: the user importing (None: the system, e.g. the operator at the CLI), audited.
    `correction`: FX rates may change the rate of a locked period (fx_locks.py), audited
    with the rates they change; without it such a rate is a located problem.
    """
    _one_import_at_a_time(session)
    before = data_changes.data_state(session)  # after the lock: no other import in between
    problems: list[Problem] = list(batch.problems)
    validator = Validator(session, batch)
    writer = Writer(session)
    fx_changes: list[fx_locks.FxChange] = []
    write = {
        "participants": lambda typed: writer.participants(typed, validator.in_db["participants"]),
        "assignments": writer.assignments,
        "quotas": writer.quotas,
        "deals": writer.deals,
        "events": writer.events,
        "fx": writer.fx,
    }
    for section in KINDS:
        records = batch.sections[section]
        for offset in range(0, len(records), CHUNK):
            chunk = records[offset : offset + CHUNK]
            typed, found = validator.check(section, offset, chunk)
            problems.extend(found)
            if section == "fx" and not problems:
                changes = fx_locks.fx_changes(session, typed, offset)
                fx_changes.extend(changes)
                if not correction:
                    problems.extend(fx_locks.refusals(batch, changes))
            if not problems:
                write[section](typed)
            if progress is not None:
                progress(len(chunk))
        if section == "participants" and not problems:
            writer.finish_participants()
    if problems:
        raise InvalidData(problems)
    session.flush()
    changed_rates = [c.as_dict() for c in fx_changes]
    data_changes.record_import(
        session,
        actor,
        sources=batch.names,
        counts=writer.counts,
        before=before,
        fx_changes=changed_rates,
        correction=correction,
    )
    return ImportReport(
        sources=batch.names,
        counts=writer.counts,
        warnings=batch.warnings + _stored_but_not_won(session, batch),
        skipped=batch.skipped,
        correction=correction,
        fx_changes=changed_rates,
    )


def _stored_but_not_won(session: Session, batch: Batch) -> list[Problem]:
    """A skipped (lost or open) opportunity already stored as a deal is left as it is,
    and said so: nothing is deleted by an import, and its pay stays until an event."""
    stored = ids_in(session, Deal.id, {deal for _where, deal, _stage in batch.skipped_rows})
    return [
        Problem(
            where,
            f"{deal!r} is {stage!r} here but is stored as a deal from an earlier import; it "
            "is left unchanged (record a cancellation event if it should not pay)",
            severity="warning",
        )
        for where, deal, stage in batch.skipped_rows
        if deal in stored
    ]


def _one_import_at_a_time(session: Session) -> None:
    """Two concurrent imports would both find a new key missing and both insert it.

    On PostgreSQL the second import waits (a transaction-scoped advisory lock) until the
    first commits or rolls back, then compares against what the first wrote. SQLite
    serialises writers itself; a second import fails there with "database is locked"
    after the busy timeout rather than waiting for the whole first import.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK_KEY})
