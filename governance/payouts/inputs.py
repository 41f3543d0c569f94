"""What evaluating a period over the database reads: once per period, then per batch.

    inputs = period_inputs(session, period)
    for item in batch_inputs(session, inputs):
        changed = item.changed(known)           # whose input hash differs
        data, problems = item.load()            # validated (or the problems)
        statements = evaluate_people(data, item, changed, inputs)
    run.input_data_hash = input_data_hash(inputs, hashes)

One reader for the payout run (`payouts.runs`) and the close's re-check of locked periods
(`payouts.recheck`), so both read, validate, hash and evaluate alike. Batches and input
hashes: docs/payout-runs.md, "Batches".
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from governance import changes
from governance.engine_input import among, organisation_json
from governance.exceptions.workflow import approved_exceptions
from governance.payouts.batches import Batch, plan_batches, read_batch
from governance.payouts.build import (
    VersionUse,
    digest,
    evaluate_period,
    exception_people,
    governing_versions,
    participant_slices,
    subset,
)
from models import Deal, Participant, PayoutRun
from rules.data import load_data
from rules.model import Data
from rules.period import Period
from rules.problems import InvalidData, Problem
from rules.yamlload import MAX_DEPTH, too_deep


@dataclass
class PeriodInputs:
    """What every batch of a period shares."""

    period: Period
    versions: dict[str, list[VersionUse]]  # empty: no plan version governs the period
    exceptions: list[dict[str, Any]]
    organisation: dict[str, Any]
    deal_count: int
    plan_versions: dict[str, list[str]] = field(init=False)
    exceptions_hash: str = field(init=False)

    def __post_init__(self) -> None:
        self.plan_versions = {
            k: [u.plan.version for u in uses] for k, uses in self.versions.items()
        }
        self.exceptions_hash = digest(self.exceptions)

    @property
    def participant_count(self) -> int:
        return len(self.organisation["participants"])

    @property
    def shared(self) -> dict[str, Any]:
        """The part of every participant's input hash that is the same for all."""
        return {
            "period": self.period.name,
            "plans": self.plan_versions,
            "fx": self.organisation["fx"],
        }


def period_inputs(session: Session, period: Period) -> PeriodInputs:
    in_period = Deal.close_date.between(period.start, period.end)
    days = session.scalars(select(Deal.close_date).where(in_period).distinct()).all()
    return PeriodInputs(
        period=period,
        versions=governing_versions(session, period, days),
        exceptions=approved_exceptions(session, as_of=period.end),
        organisation=organisation_json(session, up_to=period.end),
        deal_count=session.scalar(select(func.count()).select_from(Deal).where(in_period)) or 0,
    )


@dataclass
class BatchInput:
    """One batch, read and hashed; `load()` validates it into the engine's `Data`."""

    batch: Batch
    raw: dict[str, Any] | None
    hashes: dict[str, str]  # the input hash of each of the batch's people
    deals_of: dict[str, set[str]]  # participant -> ids of the deals of their slice

    def changed(self, known: Mapping[str, str], also: Collection[str] = ()) -> set[str]:
        """The batch's people whose input hash is not the one `known` holds for them (a
        build's statements), and those of `also` (who must be evaluated regardless)."""
        people = self.batch.people
        return {p for p in people if known.get(p) != self.hashes.get(p)} | (people & set(also))

    def load(self) -> tuple[Data | None, list[Problem]]:
        """(Data, []) or (None, the problems located by id); drops the raw input."""
        raw, self.raw = self.raw, None
        if raw is None:
            raise RuntimeError("a batch is loaded once")  # pragma: no cover - a misuse
        try:
            return load_data(raw, depth_checked=not free_form_too_deep(raw)), []
        except InvalidData as exc:
            return None, located(exc.problems, raw)


def free_form_too_deep(raw: Mapping[str, Any]) -> bool:
    """Whether a free-form part of a batch's input (attributes, products, exceptions) may
    nest beyond `MAX_DEPTH`: the rest has the read's fixed shape (`engine_input`, five
    levels at most), so `load_data` need not walk every deal again (0.3 CPU s at 100,000
    deals); when one may, it checks the whole input and reports it."""
    limit = MAX_DEPTH - 3  # $ > section > record > the value
    for section in ("participants", "deals"):
        for record in raw[section]:
            for key in ("attributes", "products"):
                value = record.get(key)
                if value and too_deep(value, limit):
                    return True
    return too_deep(raw["exceptions"], MAX_DEPTH - 1)


def batch_inputs(
    session: Session, inputs: PeriodInputs, *, deals_per_batch: int | None = None
) -> Iterator[BatchInput]:
    """Every participant batch of the period, read and hashed (not yet validated: a
    batch whose people's hashes are unchanged since a build that validated it needs no
    validation again). Drop each item before asking for the next: the generator holds
    only the batch it is reading."""
    end = inputs.period.end
    for batch in plan_batches(session, end, inputs.exceptions, deals_per_batch=deals_per_batch):
        item = batch_input(session, inputs, batch)
        yield item
        del item


# An incremental pass reads at most this share of the participants (or one batch of them);
# past it, reading and hashing every batch costs about the same and is the proven path.
INCREMENTAL_SHARE = 0.25
# People per batch of an incremental pass (the benchmark's ~100 deals each: ~20,000 deals).
PEOPLE_PER_CHANGED_BATCH = 200


def changed_people(
    session: Session,
    run: PayoutRun,
    inputs: PeriodInputs,
    found: changes.Changes | None = None,
) -> set[str] | None:
    """Who must be evaluated again since `run`'s build read its inputs, from the change
    journal (`found`: already read), or None: not known, or everyone (FX rates, another
    plan version or other exceptions in force, too many changes): read and hash every
    batch. Those not returned have the input hash the run recorded for them."""
    if run.plan_versions != inputs.plan_versions or run.exceptions_hash != inputs.exceptions_hash:
        return None
    if found is None:  # a run reads the deals closed and events dated by its end
        found = changes.changes_since(session, run.input_revision, up_to=run.period_end)
    if found is None or found.everyone:
        return None
    people = changes.people_reached(session, found, inputs.exceptions)
    if len(people) > max(INCREMENTAL_SHARE * inputs.participant_count, PEOPLE_PER_CHANGED_BATCH):
        return None
    return people


def people_batches(session: Session, people: Collection[str], inputs: PeriodInputs) -> list[Batch]:
    """Batches of just `people` (those still in the data), as `plan_batches` forms them:
    each person with their direct reports (manager credit) and the deals an exception
    credits to them."""
    present = sorted(
        session.scalars(select(Participant.id).where(among(session, Participant.id, people)))
    )
    out = []
    for start in range(0, len(present), PEOPLE_PER_CHANGED_BATCH):
        chunk = present[start : start + PEOPLE_PER_CHANGED_BATCH]
        credited = set(chunk) | set(
            session.scalars(
                select(Participant.id).where(among(session, Participant.manager_id, chunk))
            )
        )
        extra = {
            x["deal"] for x in inputs.exceptions if x.get("deal") and exception_people(x) & credited
        }
        out.append(Batch(frozenset(chunk), frozenset(credited), frozenset(extra)))
    return out


def batch_input(
    session: Session, inputs: PeriodInputs, batch: Batch, rows: Mapping[str, list] | None = None
) -> BatchInput:
    """One batch of the period, read and hashed (a fanned-out run's batch task reads
    the batch its planner recorded). `rows`: its `batches.batch_rows`, read already."""
    end, organisation = inputs.period.end, inputs.organisation
    raw = read_batch(session, batch, end, organisation, inputs.exceptions, rows)
    # Only the batch's people's quotas: theirs are the only statements evaluated
    # (`evaluate_people`: everyone else keeps no assignment), and their input hashes hold
    # only their own. Validating every quota of the organisation in every batch made a
    # one-person re-check grow with the length of the history (docs/decisions.md,
    # "Re-runs read only the lines they change").
    raw["quotas"] = [q for q in raw["quotas"] if q["participant"] in batch.people]
    hashes, deals_of = participant_slices(raw, inputs.shared, only=batch.people)
    return BatchInput(batch, raw, hashes, deals_of)


def evaluate_people(
    data: Data, item: BatchInput, people: set[str], inputs: PeriodInputs
) -> dict[tuple[str, str], dict[str, Any]]:
    """`people`'s statements ({(participant, plan): statement}), evaluated over their own
    deals of the loaded batch; raises `EvaluationError`. Split partners, teams... of
    `people` would appear in the engine's output with a partial view of their deals:
    only `people`'s statements are returned."""
    mine = subset(data, people, item.deals_of)
    close_of = {d.id: d.close_date for d in mine.deals}
    results = evaluate_period(mine, inputs.period, inputs.versions, close_of)
    return {slot: st for slot, st in results.items() if slot[0] in people}


def input_data_hash(inputs: PeriodInputs, hashes: Mapping[str, str]) -> str:
    """The run's `input_data_hash`. Every record of the input is in some participant's
    slice (a deal has an owner; an event or exception belongs to a deal or a participant):
    hashing the slices' hashes covers it all without serialising the input a second time."""
    return digest([inputs.shared, inputs.exceptions_hash, sorted(hashes.items())])


def located(problems: Sequence[Problem], raw: Mapping[str, Any]) -> list[Problem]:
    """Problems of a batch's input with their list positions replaced by ids: a batch's
    positions mean nothing outside it (`$.deals[3].amount` -> `$.deals[id=D-17].amount`)."""
    out = []
    for problem in problems:
        match = _INDEXED.match(problem.path)
        if match:
            section, index = match.group(1), int(match.group(2))
            items = raw.get(section) or []
            if index < len(items) and isinstance(items[index], Mapping):
                item = items[index]
                key = f"deal={item.get('deal')}" if section == "events" else f"id={item.get('id')}"
                problem = replace(problem, path=f"$.{section}[{key}]{problem.path[match.end() :]}")
        out.append(problem)
    return out


_INDEXED = re.compile(r"^\$\.(deals|events|exceptions|participants|quotas)\[(\d+)\]")


def unique(problems: list[Problem]) -> list[Problem]:
    """A deal read by two batches reports its problems twice: keep each once."""
    return list(dict.fromkeys(problems))
