"""What changed in the engine's inputs since a revision: read from the change journal.

    at = revision(session)                    # before a build reads its inputs
    ...
    found = changes_since(session, at)        # None: unknown or too much (read everything)
    people = people_reached(session, found, exceptions)

The journal (`models.InputChange`) is written by database triggers on every input table
(revision 0025), in the writing transaction: no writer can skip it. A revision is the
journal's last id on SQLite (one writer at a time) and the transaction snapshot on
PostgreSQL (a change is "since" when its transaction is not visible in the snapshot, or
is the revision's own transaction writing after it: its last id and transaction id).
When in doubt the answer is None and the caller reads and hashes everything.
Why and what it costs: docs/decisions.md, "Incremental re-runs: the change journal".
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, case, delete, func, or_, select, text
from sqlalchemy.orm import Session

from governance.engine_input import among
from governance.payouts.build import exception_people
from models import (
    Deal,
    DealSplit,
    DealTeamMember,
    DealTouchpoint,
    InputChange,
    Participant,
    PayoutRun,
    PayoutRunJob,
)
from models.payout_jobs import ACTIVE_STATES

# Past this many journal rows since a revision, reading everything costs less than
# mapping each change to its people (a bulk import).
MAX_CHANGES = 50_000
# Kinds that reach every participant: the run reads and hashes everything.
EVERYONE = frozenset({"fx"})
# Kinds the caller compares by hash (plan versions, exceptions in force): no people here.
COMPARED = frozenset({"plan", "exception"})
# pg_advisory_xact_lock key: shared by a transaction taking a revision, exclusive by
# `compact` (docs/decisions.md, "The change journal, compacted").
COMPACTION_LOCK = 8015


@dataclass
class Changes:
    """The journal since a revision: the kinds seen, the deals and the participants named."""

    kinds: set[str] = field(default_factory=set)
    deals: set[str] = field(default_factory=set)
    people: set[str] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return not self.kinds

    @property
    def everyone(self) -> bool:
        return bool(self.kinds & EVERYONE)


def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def revision(session: Session) -> str:
    """The journal's revision now: take it before reading the inputs it stands for (a
    change committed in between is then seen as a change since: read again, never missed).
    On PostgreSQL it holds COMPACTION_LOCK (shared) to the end of the transaction, which
    stores it: `compact` never runs between a revision being taken and being stored."""
    if _postgresql(session):  # before the statement whose snapshot is the revision
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": COMPACTION_LOCK})
    last = session.scalar(select(func.max(InputChange.id))) or 0
    if _postgresql(session):
        snap, mine = session.execute(
            text("SELECT pg_current_snapshot()::text, pg_current_xact_id_if_assigned()::text")
        ).one()
        return f"snapshot:{snap};{mine or 0};{last}"
    return f"id:{last}"


def _since(session: Session, since: str | None, tag: str = "") -> Any:
    """The SQL condition "this journal row is after the revision `since`" (bind names
    suffixed with `tag`, so several can share a statement), or None when `since` is
    unknown or of the other database."""
    if not since:
        return None
    kind, _, value = since.partition(":")
    if kind == "snapshot" and _postgresql(session) and value.count(";") == 2:
        # Not visible in the snapshot (committed after it, or in progress); or written
        # later by the transaction that took it (its own writes are visible to it).
        snap, mine, last = value.split(";")
        return text(
            f"((input_changes.txid >= pg_snapshot_xmin(CAST(:snap{tag} AS pg_snapshot))"
            f"::text::bigint AND input_changes.txid != :mine{tag} AND NOT pg_visible_in_snapshot("
            f"CAST(CAST(input_changes.txid AS text) AS xid8), CAST(:snap{tag} AS pg_snapshot)))"
            f" OR (input_changes.txid = :mine{tag} AND input_changes.id > :last{tag}))"
        ).bindparams(**{f"snap{tag}": snap, f"mine{tag}": int(mine), f"last{tag}": int(last)})
    if kind == "id" and not _postgresql(session) and value.isdigit():
        return InputChange.id > int(value)
    return None


def changes_since(
    session: Session, since: str | None, *, up_to: date | None = None
) -> Changes | None:
    """The journal's rows after `since` (a `revision`), or None when `since` is unknown,
    of the other database, or followed by more than `MAX_CHANGES` rows. `up_to`: only
    the rows a run of a period ending then reads (not a deal closed, or an event dated,
    after it, nor a child of such a deal: `InputChange.day`)."""
    where = _since(session, since)
    if where is None:
        return None
    if up_to is not None:
        where = and_(where, or_(InputChange.day.is_(None), InputChange.day <= up_to))
    rows = session.execute(
        select(InputChange.kind, InputChange.deal_id, InputChange.participant_id)
        .where(where)
        .limit(MAX_CHANGES + 1)
    ).all()
    if len(rows) > MAX_CHANGES:
        return None
    found = Changes()
    for kind_, deal, person in rows:
        found.kinds.add(kind_)
        if kind_ in COMPARED:
            continue
        if deal:
            found.deals.add(deal)
        if person:
            found.people.add(person)
    return found


def people_reached(
    session: Session, changes: Changes, exceptions: Iterable[Mapping[str, Any]]
) -> set[str]:
    """Every participant whose input a change may have reached: those named (before and
    after: the triggers journal old and new rows), everyone a changed deal credits now
    (owner, split, team, touchpoint, an exception on it), and the managers of all of
    them (manager credit). `changes.everyone` is the caller's to check first."""
    people = set(changes.people)
    if changes.deals:
        people |= credited(session, changes.deals)
        for x in exceptions:
            if x.get("deal") in changes.deals:
                people |= exception_people(x)
    if people:
        people |= set(
            session.scalars(
                select(Participant.manager_id).where(
                    among(session, Participant.id, people), Participant.manager_id.is_not(None)
                )
            )
        )
    return people


def credited(session: Session, deals: Collection[str]) -> set[str]:
    """The participants the deals `deals` name today (owner, split, team, touchpoint)."""
    people = set(session.scalars(select(Deal.owner_id).where(among(session, Deal.id, deals))))
    for model in (DealSplit, DealTeamMember, DealTouchpoint):
        table = model.__table__
        people.update(
            session.scalars(
                select(table.c.participant_id).where(among(session, table.c.deal_id, deals))
            )
        )
    return people


# --------------------------------------------------------------------------- compaction


def revisions_in_use(session: Session) -> set[str]:
    """The revisions something will ask "what changed since?" about: every payout run's
    (drafts are re-run, locked periods re-checked by the close) and every active
    fanned-out build's (its finalizer)."""
    found = set(
        session.scalars(
            select(PayoutRun.input_revision).where(PayoutRun.input_revision.is_not(None)).distinct()
        )
    )
    for plan in session.scalars(
        select(PayoutRunJob.plan).where(PayoutRunJob.state.in_(ACTIVE_STATES))
    ):
        found.add((plan or {}).get("revision"))
    return {r for r in found if r}


def compact(session: Session, revisions: Collection[str] | None = None) -> int | None:
    """Delete the journal rows that tell nothing another row does not: rows naming the
    same (kind, deal, participant, day) that are on the same side of every revision in use
    keep only their latest. `changes_since` then answers the same for each of those
    revisions, and for any later one (every row it reads is older than it), so no re-run
    or re-check changes. `revisions`: those in use (default: `revisions_in_use`). The
    number of rows deleted; None when a transaction holds a revision it has not stored
    yet (PostgreSQL: try again later). The caller commits."""
    if _postgresql(session):
        taken = session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": COMPACTION_LOCK})
        if not taken:
            return None
    sides = []
    in_use = revisions_in_use(session) if revisions is None else set(revisions)
    for n, at in enumerate(sorted(in_use)):
        since = _since(session, at, tag=f"_{n}")
        if since is not None:  # a foreign revision reads everything: no side to keep
            sides.append(case((since, 1), else_=0).label(f"after_{n}"))
    marked = select(
        InputChange.id,
        InputChange.kind,
        InputChange.deal_id,
        InputChange.participant_id,
        InputChange.day,
        *sides,
    ).subquery()
    group = [marked.c.kind, marked.c.deal_id, marked.c.participant_id, marked.c.day]
    group += [marked.c[f"after_{n}"] for n in range(len(sides))]
    latest = select(
        marked.c.id, func.max(marked.c.id).over(partition_by=group).label("latest")
    ).subquery()
    redundant = select(latest.c.id).where(latest.c.id < latest.c.latest)
    result = session.execute(delete(InputChange).where(InputChange.id.in_(redundant)))
    return result.rowcount or 0
