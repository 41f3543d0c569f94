"""Building a payout run's content: plan versions per deal, hashes, lines and statements.

The part of `payouts.runs` that writes nothing: `governing_versions` (the version
governing each close date of the period's deals, and the period's last day),
`evaluate_period` (exactly what `accord evaluate` prints, split per participant and
plan), `participant_slices` and `subset` (each participant's input hash and deals, for
incremental re-runs) and `statement_rows` (plain dicts for a bulk insert).

What a run evaluates and hashes: docs/payout-runs.md, "What a run evaluates" and
"States and re-runs".
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.audit import sha256_json
from governance.plans.lookup import plan_of
from models import PlanVersion
from rules.evaluate import evaluate
from rules.model import Data, Plan
from rules.period import Period

ZERO = Decimal("0")


def digest(document: Any) -> str:
    """`audit.sha256_json(document)`, the content hash of runs, statements and input
    slices, with orjson's encoder: its compact sorted output is byte for byte
    `canonical_text`'s (same separators, key order and escapes, UTF-8 kept; checked by
    tests/unit/test_payout_digest.py) at a fifth of the time. What orjson refuses (keys
    that are not text, ints beyond 64 bits, lone surrogates) goes to `sha256_json`. The
    documents hashed here hold no floats (numbers are text in the engine's output and in
    the section-3 input read from the database), the one type both spell differently."""
    try:
        text = orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return sha256_json(document)
    return "sha256:" + hashlib.sha256(text).hexdigest()


@dataclass
class VersionUse:
    """One plan version evaluated for the period, and the close dates it governs."""

    plan: Plan
    label: str
    days: set[date] = field(default_factory=set)
    period_end: bool = False  # also takes the lines without a deal of the period


def governing_versions(
    session: Session, period: Period, close_dates: Iterable[date]
) -> dict[str, list[VersionUse]]:
    """{plan key: [VersionUse]} for every plan with a version governing some day used."""
    days = sorted(set(close_dates) | {period.end})
    # `plans.lookup.version_governing(session, key, day)` for every day, in one query per
    # plan: the latest-recorded activation effective on or before the day.
    candidates: dict[str, list[PlanVersion]] = {}
    for version in session.scalars(
        select(PlanVersion)
        .where(
            PlanVersion.state.in_(("active", "superseded")),
            PlanVersion.effective_from <= days[-1],
        )
        .order_by(PlanVersion.recorded_at.desc(), PlanVersion.id.desc())
    ):
        candidates.setdefault(version.plan_key, []).append(version)
    out: dict[str, list[VersionUse]] = {}
    for key in sorted(candidates):
        uses: dict[str, VersionUse] = {}
        for day in days:
            version = next((v for v in candidates[key] if v.effective_from <= day), None)
            if version is None:
                continue
            use = uses.get(version.content_hash)
            if use is None:
                use = uses[version.content_hash] = VersionUse(plan_of(version), version.label)
            if day == period.end:
                use.period_end = True
            use.days.add(day)
        if uses:
            # The period-end version first: it is the one whose statement totals we keep.
            out[key] = sorted(uses.values(), key=lambda u: (not u.period_end, u.label))
    return out


def evaluate_period(
    data: Data, period: Period, versions: dict[str, list[VersionUse]], close_of: dict[str, date]
) -> dict[tuple[str, str], dict[str, Any]]:
    """{(participant, plan): section-5 statement} with each line tagged by its version."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for key, uses in versions.items():
        for use in uses:
            output = evaluate([use.plan], data, period.name)
            for st in output["statements"]:
                kept = [ln for ln in st["lines"] if _governs(use, ln, period, close_of)]
                for ln in kept:
                    ln["version"] = use.plan.version
                slot = (st["participant"], key)
                if slot not in out:
                    st["lines"] = kept
                    st["version"] = use.plan.version
                    out[slot] = st
                else:  # a second version of the plan in the same period
                    out[slot]["lines"].extend(kept)
                    out[slot]["merged"] = True
    return out


def _governs(use: VersionUse, line: dict[str, Any], period: Period, close_of: dict) -> bool:
    day = close_of.get(line["deal"]) if line["deal"] else None
    if day is None or not period.contains(day):
        return use.period_end
    return day in use.days


# ------------------------------------------------------------------ per-participant input


def participant_slices(
    raw: Mapping[str, Any], shared: Mapping[str, Any], only: Collection[str] | None = None
) -> tuple[dict[str, str], dict[str, set[str]]]:
    """Every participant's input hash (their slice: docs/payout-runs.md, "States and
    re-runs"; or only those of `only`: a batch's people, whose slices the batch holds
    whole) and the ids of their deals."""
    manager = {p["id"]: p.get("manager") for p in raw["participants"]}
    quotas: dict[str, list] = defaultdict(list)
    for q in raw["quotas"]:
        quotas[q["participant"]].append(q)
    events: dict[str, list] = defaultdict(list)
    for e in raw["events"]:
        events[e["deal"]].append(e)
    by_deal_exc: dict[str, list] = defaultdict(list)
    slices: dict[str, list] = defaultdict(list)
    deals_of: dict[str, set[str]] = defaultdict(set)
    for x in raw["exceptions"]:
        if x.get("deal"):
            by_deal_exc[x["deal"]].append(x)
        for who in exception_people(x):
            slices[who].append(("exception", x))
    for d in raw["deals"]:
        ident, owner = d["id"], d["owner"]
        on_deal = by_deal_exc.get(ident, ())
        splits, team, touchpoints = d.get("splits"), d.get("team"), d.get("touchpoints")
        people: Collection[str]
        if splits or team or touchpoints or on_deal:
            people = {owner}
            people.update(s["participant"] for s in splits or ())
            people.update(t["participant"] for t in team or ())
            people.update(t["participant"] for t in touchpoints or ())
            for x in on_deal:
                people.update(exception_people(x))
            # Manager credit (credit to: manager_of): a report's deal is the manager's input.
            people.update(m for who in list(people) if (m := manager.get(who)))
        else:  # the owner and their manager: most deals, without building a set
            boss = manager.get(owner)
            people = (owner, boss) if boss and boss != owner else (owner,)
        item = ("deal", d, events.get(ident, ()), on_deal)
        for who in people:
            slices[who].append(item)
            deals_of[who].add(ident)
    common = digest(shared)
    hashes = {
        p["id"]: digest([common, p, quotas.get(p["id"], ()), slices.get(p["id"], ())])
        for p in raw["participants"]
        if only is None or p["id"] in only
    }
    return hashes, deals_of


def subset(data: Data, people: set[str], deals_of: Mapping[str, set[str]]) -> Data:
    """The loaded input restricted to `people`'s deals (their events and exceptions): what
    their statements depend on. Every participant record, quota and FX rate stays, so
    the kept deals' references resolve; but only `people` keep their plan assignments,
    so the engine computes no lines or statements for the others (a split partner in
    another batch, say): nobody's lines depend on another participant's assignment."""
    keep: set[str] = set()
    for who in people:
        keep |= deals_of.get(who, set())
    return replace(
        data,
        participants=tuple(
            p if p.id in people or not p.assignments else replace(p, assignments=())
            for p in data.participants
        ),
        deals=tuple(d for d in data.deals if d.id in keep),
        events=tuple(e for e in data.events if e.deal in keep),
        exceptions=tuple(
            x for x in data.exceptions if (x.deal in keep if x.deal else x.participant in people)
        ),
    )


def exception_people(x: Mapping[str, Any]) -> set[str]:
    """The participants an exception names (its participant and its credits)."""
    people = {x["participant"]} if x.get("participant") else set()
    people.update(c["participant"] for c in x.get("credits") or () if "participant" in c)
    return people


# ------------------------------------------------------------------------- rows


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _line_key(plan: str, participant: str, line: dict[str, Any], seen: dict) -> str:
    base = f"{plan}|{participant}|{line['kind']}|{line['deal'] or '-'}|{line['rule'] or '-'}"
    n = seen.get(base, 0)
    seen[base] = n + 1
    key = f"{base}|{n}"
    if len(key) > 400:  # pragma: no cover - ids are at most 64 characters
        key = digest(key)
    return key


def _hashed_line(line: dict[str, Any]) -> dict[str, Any]:
    """The line as its statement's result hash has it: `version` as `v` (keys are sorted
    when hashed, so their order here does not matter)."""
    out = line.copy()
    out["v"] = out.pop("version")
    return out


def statement_rows(
    slot: tuple[str, str], st: dict[str, Any], input_hash: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The statement row and its line rows (plain dicts for a bulk insert), without
    their run id (`insert_rows(..., same={"run_id": ...})` adds it)."""
    participant, plan = slot
    currency = st["currency"]
    seen: dict[str, int] = {}
    lines = []
    totals = defaultdict(lambda: ZERO)
    for position, ln in enumerate(st["lines"]):
        amount = Decimal(ln["amount"])
        status = ln["status"]
        if status == "payable":
            totals["payable"] += amount
            totals[ln["kind"]] += amount
        elif status == "held":
            totals["held"] += amount
        lines.append(
            {
                "line_key": _line_key(plan, participant, ln, seen),
                "participant_id": participant,
                "deal_id": ln["deal"],
                "plan_key": plan,
                "plan_version_hash": ln["version"],
                "kind": ln["kind"],
                "rule": ln["rule"],
                "status": status,
                "share": _dec(ln["share"]),
                "credit": _dec(ln["credit"]),
                "rate": _dec(ln["rate"]),
                "amount": amount,
                "currency": currency,
                "position": position,
                "trace": ln["trace"],
            }
        )
    result_hash = digest(
        [_hashed_line(ln) for ln in st["lines"]] + [st["quota"], st["credited"], st["draw_balance"]]
    )
    quota, credited = _dec(st["quota"]), Decimal(st["credited"])
    statement = {
        "participant_id": participant,
        "plan_key": plan,
        "plan_version_hash": st["version"],
        "currency": currency,
        "quota": quota,
        "credited": credited,
        "attainment": (credited / quota).quantize(Decimal("1e-12")) if quota else None,
        "earned": totals["commission"] + totals["spif"],
        # The engine's figure (lines created held and not released since); summed from the
        # kept lines when two versions of the plan share the period.
        "held": totals["held"] if st.get("merged") else Decimal(st["held"]),
        "released": totals["release"],
        "clawed_back": totals["clawback"] + totals["forfeit"],
        "draw": totals["draw"] + totals["draw_recovery"],
        "draw_balance": Decimal(st["draw_balance"]),
        "payable": totals["payable"],
        "line_count": len(lines),
        "input_hash": input_hash,
        "result_hash": result_hash,
    }
    return statement, lines
