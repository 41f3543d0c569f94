"""A payout run's figures and finance's figures per period, as SQL aggregates.

    figures = run_figures(session, run)     # by plan, by team, payables in buckets, and
                                            # the change against the previous period's run
    rows = finance_periods(session)         # locked runs: earned, held, released,
                                            # clawed back, paid, held outstanding

Every sum is a GROUP BY over statements (or held lines), never a period's lines loaded
into Python; money comes back as Decimal at the cent. What each finance column means,
and the buckets: docs/decisions.md, "Run figures and the finance view".
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from models.payouts import HOLDING_STATES, PayoutLine, PayoutRun, Statement
from models.people import Assignment

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
NO_TEAM = "(no team)"
# Upper bounds of the payable buckets (a statement's payable, in its own currency): the
# first bucket is everything below 0 (clawed back more than paid), the second exactly 0.
BUCKET_EDGES = (Decimal(1000), Decimal(5000), Decimal(10000), Decimal(25000), Decimal(50000))
FINANCE_FIELDS = ("earned", "held", "released", "clawed_back", "payable")


def money(value: Any) -> Decimal:
    """A SUM as Decimal at the cent (SQLite may hand back a float for NUMERIC sums)."""
    return Decimal(str(value or 0)).quantize(CENT)


def bucket_labels() -> list[str]:
    """The payable buckets' labels, in order: below 0, 0, up to 1k, 1k to 5k, ... over 50k
    (a bucket holds its upper bound: "1k to 5k" is over 1,000.00 up to 5,000.00)."""
    labels, low = ["below 0", "0"], ""
    for edge in BUCKET_EDGES:
        high = f"{edge / 1000:g}k"
        labels.append(f"{low} to {high}" if low else f"up to {high}")
        low = high
    return [*labels, f"over {low}"]


def _bucket(amount) -> Any:
    """The bucket index of a payable, as SQL (0: below 0, 1: exactly 0, 2..: by edge);
    a value on an edge belongs to the lower bucket ("up to 1k" holds 1,000.00)."""
    whens = [(amount < 0, 0), (amount == 0, 1)]
    whens += [(amount <= edge, i + 2) for i, edge in enumerate(BUCKET_EDGES)]
    return case(*whens, else_=len(BUCKET_EDGES) + 2)


def _team(run: PayoutRun) -> Any:
    """The team of a statement's participant under its plan: the assignment overlapping
    the run's period that started last (as the engine credits, `plan-language.md`)."""
    return (
        select(Assignment.team)
        .where(
            Assignment.participant_id == Statement.participant_id,
            Assignment.plan_key == Statement.plan_key,
            Assignment.start_date <= run.period_end,
            or_(Assignment.end_date.is_(None), Assignment.end_date >= run.period_start),
        )
        .order_by(Assignment.start_date.desc(), Assignment.id.desc())
        .limit(1)
        .correlate(Statement)
        .scalar_subquery()
    )


def _totals(session: Session, run_id: int, key) -> list[dict[str, Any]]:
    """Statements and payable of a run per `key` and currency, by key (None: NO_TEAM)."""
    inner = (
        select(key.label("key"), Statement.currency, Statement.payable)
        .where(Statement.run_id == run_id)
        .subquery()
    )
    stmt = select(inner.c.key, inner.c.currency, func.count(), func.sum(inner.c.payable)).group_by(
        inner.c.key, inner.c.currency
    )
    rows = [
        {"key": NO_TEAM if k is None else k, "currency": c, "statements": n, "payable": money(s)}
        for k, c, n, s in session.execute(stmt)
    ]
    # Sorted here: the databases order NULL and text differently (a key may be NULL).
    return sorted(rows, key=lambda r: (r["key"], r["currency"]))


def previous_run(session: Session, run: PayoutRun) -> PayoutRun | None:
    """The run holding the latest period that ended before `run`'s began (draft,
    approved or locked), if any."""
    stmt = (
        select(PayoutRun)
        .where(PayoutRun.state.in_(HOLDING_STATES), PayoutRun.period_end < run.period_start)
        .order_by(PayoutRun.period_end.desc(), PayoutRun.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def distribution(session: Session, run_id: int) -> list[dict[str, Any]]:
    """How many statements fall in each payable bucket, per currency (every bucket
    listed, empty ones with 0)."""
    inner = (
        select(_bucket(Statement.payable).label("bucket"), Statement.currency)
        .where(Statement.run_id == run_id)
        .subquery()
    )
    stmt = select(inner.c.currency, inner.c.bucket, func.count()).group_by(
        inner.c.currency, inner.c.bucket
    )
    counts: dict[str, dict[int, int]] = defaultdict(dict)
    for currency, bucket, n in session.execute(stmt):
        counts[currency][int(bucket)] = n
    labels = bucket_labels()
    return [
        {"currency": currency, "bucket": label, "statements": counts[currency].get(i, 0)}
        for currency in sorted(counts)
        for i, label in enumerate(labels)
    ]


def change_by_plan(now: list[dict[str, Any]], before: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Payable per plan and currency now and before (`_totals` rows by plan), and the
    change (a plan in only one of them counts 0 in the other)."""
    this = {(r["key"], r["currency"]): r["payable"] for r in now}
    that = {(r["key"], r["currency"]): r["payable"] for r in before}
    return [
        {
            "plan": plan,
            "currency": currency,
            "payable": this.get((plan, currency), ZERO),
            "previous": that.get((plan, currency), ZERO),
            "change": this.get((plan, currency), ZERO) - that.get((plan, currency), ZERO),
        }
        for plan, currency in sorted(this.keys() | that.keys())
    ]


def change_totals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The per-plan changes summed per currency."""
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        fields = {"payable": ZERO, "previous": ZERO, "change": ZERO}
        total = out.setdefault(r["currency"], {"currency": r["currency"], **fields})
        for f in fields:
            total[f] += r[f]
    return [out[c] for c in sorted(out)]


def _named(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return [
        {
            key: r["key"],
            "currency": r["currency"],
            "statements": r["statements"],
            "payable": r["payable"],
        }
        for r in rows
    ]


def run_figures(session: Session, run: PayoutRun) -> dict[str, Any]:
    """What the run's page charts: payable by plan and by team, the statements per
    payable bucket, and the change against the previous period's run."""
    previous = previous_run(session, run)
    by_plan = _totals(session, run.id, Statement.plan_key)
    changes = (
        change_by_plan(by_plan, _totals(session, previous.id, Statement.plan_key))
        if previous
        else []
    )
    return {
        "run_id": run.id,
        "period": run.period,
        "by_plan": _named(by_plan, "plan"),
        "by_team": _named(_totals(session, run.id, _team(run)), "team"),
        "distribution": distribution(session, run.id),
        "previous": (
            {"run_id": previous.id, "period": previous.period, "state": previous.state}
            if previous
            else None
        ),
        "change_by_plan": changes,
        "change_totals": change_totals(changes),
    }


# --------------------------------------------------------------------------- finance


def _locked_ids() -> Any:
    """The locked runs' ids: `line.run_id IN (...)` reads their lines by the run index
    (SQLite scans every run's lines for a join filtered on the run's state)."""
    return select(PayoutRun.id).where(PayoutRun.state == "locked")


def _closers(kind: str, *keys) -> Any:
    """The locked runs' `kind` lines (release, forfeit) grouped by `keys`, with the start
    of the first period holding one: when a held line with those keys ended."""
    run = aliased(PayoutRun)
    return (
        select(*keys, func.min(run.period_start).label("at"))
        .select_from(run)
        .join(PayoutLine, PayoutLine.run_id == run.id)
        .where(PayoutLine.run_id.in_(_locked_ids()), PayoutLine.kind == kind)
        .group_by(*keys)
        .subquery()
    )


def _held_outstanding(session: Session) -> dict[tuple[str, str], Decimal]:
    """Per (period of a locked run, currency): the held lines of locked runs up to and
    including it that no locked run up to it released or forfeited, at their held
    amounts. A release names its held line's rule and deal; a forfeit ends every line
    of that participant's still held on the deal (plan-language.md, "Releases").

    The releases and forfeits are grouped first (one row per position), so each held
    line meets at most one of each (an index-free equality join on both databases)."""
    line = PayoutLine
    keys = (line.participant_id, line.plan_key, line.deal_id)
    released, forfeited = _closers("release", *keys, line.rule), _closers("forfeit", *keys)
    held_run = aliased(PayoutRun)

    def same(closer, *extra):
        return and_(
            closer.c.participant_id == line.participant_id,
            closer.c.plan_key == line.plan_key,
            closer.c.deal_id == line.deal_id,
            closer.c.at > held_run.period_start,
            *extra,
        )

    inner = (
        select(
            held_run.period_start.label("held_from"),
            released.c.at.label("released"),
            forfeited.c.at.label("forfeited"),
            line.currency,
            line.amount,
        )
        .select_from(held_run)
        .join(line, line.run_id == held_run.id)
        .outerjoin(released, same(released, released.c.rule == line.rule))
        .outerjoin(forfeited, same(forfeited))
        .where(line.run_id.in_(_locked_ids()), line.status == "held")
        .subquery()
    )
    groups = session.execute(
        select(
            inner.c.held_from,
            inner.c.released,
            inner.c.forfeited,
            inner.c.currency,
            func.sum(inner.c.amount),
        ).group_by(inner.c.held_from, inner.c.released, inner.c.forfeited, inner.c.currency)
    ).all()
    locked = session.execute(
        select(PayoutRun.period, PayoutRun.period_start).where(PayoutRun.state == "locked")
    ).all()
    out: dict[tuple[str, str], Decimal] = {}
    for period, start in locked:
        day = _day(start)
        for held_from, released_at, forfeited_at, currency, amount in groups:
            ended = [_day(d) for d in (released_at, forfeited_at) if d is not None]
            if _day(held_from) <= day and not (ended and min(ended) <= day):
                key = (period, currency)
                out[key] = out.get(key, ZERO) + money(amount)
    return out


def _day(value) -> str:
    """A date column as ISO text (SQLite hands back text from a scalar subquery)."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)[:10]


def finance_periods(session: Session) -> list[dict[str, Any]]:
    """Per locked run (oldest period first) and currency: earned, held (new this period),
    released, clawed back, paid (payable) from its statements, and the held amount
    outstanding at the period's end (the liability)."""
    stmt = (
        select(
            PayoutRun.id,
            PayoutRun.period,
            PayoutRun.published_at.is_not(None),
            Statement.currency,
            *[func.sum(getattr(Statement, f)) for f in FINANCE_FIELDS],
        )
        .join(Statement, Statement.run_id == PayoutRun.id)
        .where(PayoutRun.state == "locked")
        .group_by(
            PayoutRun.id,
            PayoutRun.period,
            PayoutRun.period_start,
            PayoutRun.published_at,
            Statement.currency,
        )
        .order_by(PayoutRun.period_start, Statement.currency)
    )
    outstanding = _held_outstanding(session)
    rows = []
    for run_id, period, published, currency, *sums in session.execute(stmt):
        row = {
            "run_id": run_id,
            "period": period,
            "published": bool(published),
            "currency": currency,
        }
        row.update({f: money(v) for f, v in zip(FINANCE_FIELDS, sums, strict=True)})
        row["paid"] = row.pop("payable")
        row["held_outstanding"] = outstanding.get((period, currency), ZERO)
        rows.append(row)
    return rows
