"""Rep statements over persisted payout runs: who may read which, and the drill-down.

A statement is one participant's totals under one plan in one payout run
(`models.payouts.Statement`); its lines are the run's `PayoutLine`s of that participant
and plan, each explained in plain words from its trace (`rules.explain`): statement ->
lines -> one line with its full trace. Visibility (`can_read_statement`, and
`sees_unpublished`: a rep sees only published runs) is decided here,
once for the API, the pages and the CLI. Reads only: nothing here writes, so nothing is
audited. Exports are in `statements.exports`.

Who sees which statements, and which run a period shows: docs/statements.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from governance import paging
from governance.engine_input import among

# One family of refusals for every workflow (governance/errors.py).
from governance.errors import GovernanceError, NotAllowed, NotFound
from governance.paging import Sort
from governance.permissions import Actor, has_permission
from models.deals import Deal
from models.payouts import HOLDING_STATES, PayoutLine, PayoutRun, Statement
from models.people import Participant
from rules.evaluation.numbers import fixed, money, plain
from rules.explain import deal_facts, explain_line

READ_ALL, READ_TEAM, READ_OWN = "statements.read_all", "statements.read_team", "statements.read_own"
FORMATS = ("json", "csv")

StatementError = GovernanceError  # the base every refusal here derives from


# --------------------------------------------------------------------------- visibility


def may_read_statements(actor: Actor) -> bool:
    return actor is None or any(has_permission(actor, p) for p in (READ_ALL, READ_TEAM, READ_OWN))


def team_of(session: Session, participant_id: str) -> set[str]:
    """Every participant below `participant_id` in the reporting line (not itself), in
    one recursive query (a query per level bound every id of the level below: ~8 ms for
    a line of 1,100 on PostgreSQL, against ~2). UNION, not UNION ALL: a row met again
    is dropped, so a cycle in the data ends."""
    below = (
        select(Participant.id).where(Participant.manager_id == participant_id).cte(recursive=True)
    )
    reports = select(Participant.id).join(below, Participant.manager_id == below.c.id)
    below = below.union(reports)
    return set(session.scalars(select(below.c.id))) - {participant_id}


def visible_participants(session: Session, actor: Actor) -> set[str] | None:
    """The participants whose statements the actor may read; None means everyone."""
    if actor is None or has_permission(actor, READ_ALL):
        return None
    mine = getattr(actor, "participant_id", None)
    if mine is None:
        return set()
    visible: set[str] = set()
    if _reads_own_statements(actor):
        visible.add(mine)
    if has_permission(actor, READ_TEAM):
        visible |= team_of(session, mine)
    return visible


def sees_unpublished(actor: Actor) -> bool:
    """Whether the actor reads runs not published yet (drafts, approved, locked): the
    system, and whoever reads more than their own (managers, comp admins, finance,
    auditors). A rep reads a run's statements once it is published (`close.publish_run`)."""
    return actor is None or has_permission(actor, READ_ALL) or has_permission(actor, READ_TEAM)


def _shown(stmt, actor: Actor):
    """`stmt` (over PayoutRun) narrowed to the runs the actor may see."""
    return stmt if sees_unpublished(actor) else stmt.where(PayoutRun.published_at.is_not(None))


def can_read_statement(session: Session, actor: Actor, participant_id: str) -> bool:
    """Whether `actor` may read the statements of `participant_id` (None: the system).
    One's own needs no walk of the reporting line."""
    if _reads_own(actor, participant_id):
        return True
    visible = visible_participants(session, actor)
    return visible is None or participant_id in visible


def _reads_own(actor: Actor, participant_id: str) -> bool:
    """Whether `participant_id` is the actor's own and the actor reads their own."""
    mine = getattr(actor, "participant_id", None) if actor is not None else None
    return mine is not None and mine == participant_id and _reads_own_statements(actor)


def _reads_own_statements(actor: Actor) -> bool:
    """Whether a participant reads their own statements: with the own or the team
    permission (a manager reads their own with their team's)."""
    return has_permission(actor, READ_OWN) or has_permission(actor, READ_TEAM)


def _require_reader(actor: Actor) -> None:
    if not may_read_statements(actor):
        raise NotAllowed("Reading statements needs a statements permission.")


# --------------------------------------------------------------------------- runs


def holding_run(session: Session, period: str) -> PayoutRun | None:
    """The run that holds `period` (draft, approved or locked), if any."""
    return session.scalars(
        select(PayoutRun).where(PayoutRun.period == period, PayoutRun.state.in_(HOLDING_STATES))
    ).first()


def periods(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The periods with a run the actor has statements in, newest first."""
    _require_reader(actor)
    visible = visible_participants(session, actor)
    stmt = (
        select(PayoutRun.id, PayoutRun.period, PayoutRun.state)
        .where(PayoutRun.state.in_(HOLDING_STATES))
        .order_by(PayoutRun.period_start.desc())
    )
    if visible is not None:
        stmt = stmt.where(
            PayoutRun.id.in_(
                select(Statement.run_id).where(among(session, Statement.participant_id, visible))
            )
        )
    return [
        {"period": p, "run_id": i, "run_state": s}
        for i, p, s in session.execute(_shown(stmt, actor))
    ]


# --------------------------------------------------------------------------- reading


def statement_dict(st: Statement, run: PayoutRun, name: str | None) -> dict[str, Any]:
    return {
        "id": st.id,
        "run_id": run.id,
        "period": run.period,
        "run_state": run.state,
        "run_published": run.published_at is not None,
        "participant": st.participant_id,
        "participant_name": name,
        "plan": st.plan_key,
        "plan_version": st.plan_version_hash,
        "currency": st.currency,
        "quota": money(st.quota),
        "credited": money(st.credited),
        "attainment": fixed(st.attainment, 4),
        "earned": money(st.earned),
        "held": money(st.held),
        "released": money(st.released),
        "clawed_back": money(st.clawed_back),
        "draw": money(st.draw),
        "draw_balance": money(st.draw_balance),
        "payable": money(st.payable),
        "line_count": st.line_count,
    }


def list_statements(
    session: Session,
    actor: Actor,
    *,
    period: str | None = None,
    run_id: int | None = None,
    participant: str | None = None,
) -> list[dict[str, Any]]:
    """The statements the actor may read, of one period's holding run (or of `run_id`;
    of every holding run when neither is given), by participant and plan; a rep's, of
    published runs only."""
    _require_reader(actor)
    if participant is None:
        visible = visible_participants(session, actor)
    elif can_read_statement(session, actor, participant):
        visible = None  # one participant's, readable: no list of everyone visible to bind
    else:
        return []
    stmt = (
        select(Statement, PayoutRun, Participant.name)
        .join(PayoutRun, PayoutRun.id == Statement.run_id)
        .join(Participant, Participant.id == Statement.participant_id)
        .where(PayoutRun.state.in_(HOLDING_STATES))
    )
    if run_id is not None:
        stmt = stmt.where(PayoutRun.id == run_id)
    if period is not None:
        stmt = stmt.where(PayoutRun.period == period)
    if participant is not None:
        stmt = stmt.where(Statement.participant_id == participant)
    if visible is not None:
        stmt = stmt.where(among(session, Statement.participant_id, visible))
    stmt = _shown(stmt, actor).order_by(
        PayoutRun.period_start.desc(), Statement.participant_id, Statement.plan_key
    )
    return [statement_dict(st, run, name) for st, run, name in session.execute(stmt)]


STATEMENT_COLUMNS = {
    "participant": func.lower(Participant.name),
    "plan": Statement.plan_key,
    "attainment": Statement.attainment,
    "payable": Statement.payable,
    "held": Statement.held,
    "currency": Statement.currency,
}
DEFAULT_SORT = Sort("participant")


def page_statements(
    session: Session,
    actor: Actor,
    *,
    period: str,
    search: str = "",
    participant: str | None = None,
    sort: Sort = DEFAULT_SORT,
    offset: int = 0,
    limit: int = 100,
) -> dict[str, Any]:
    """One page of a period's statements the actor may read, in SQL (never the whole
    period's statements): `search` matches the participant's name or id (any part,
    any case); `sort` one of STATEMENT_COLUMNS, then participant and plan (stable).
    With the rows: how many match and their totals per currency (payable, held)."""
    _require_reader(actor)
    visible = visible_participants(session, actor)
    where = [PayoutRun.state.in_(HOLDING_STATES), PayoutRun.period == period]
    if participant:
        where.append(Statement.participant_id == participant)
    if search:
        where.append(paging.matching(search, Participant.name, Statement.participant_id))
    if visible is not None:
        where.append(among(session, Statement.participant_id, visible))

    def over(*columns):
        stmt = (
            select(*columns)
            .join(PayoutRun, PayoutRun.id == Statement.run_id)
            .join(Participant, Participant.id == Statement.participant_id)
            .where(*where)
        )
        return _shown(stmt, actor)

    totals: dict[str, dict[str, Any]] = {}
    count = 0
    # Exact Decimal sums of two narrow columns (SQLite would sum floats).
    for currency, payable, held in session.execute(
        over(Statement.currency, Statement.payable, Statement.held)
    ):
        count += 1
        entry = totals.setdefault(currency, {"count": 0, "p": Decimal(0), "h": Decimal(0)})
        entry["count"] += 1
        entry["p"] += payable or 0
        entry["h"] += held or 0
    stmt = paging.ordered(
        over(Statement, Participant.name),
        sort,
        STATEMENT_COLUMNS,
        Statement.participant_id,
        Statement.plan_key,
    )
    rows = session.execute(stmt.offset(offset).limit(limit)).all()
    # The run is read once, not sorted along with every row (its JSON columns are large).
    runs = {run_id: session.get(PayoutRun, run_id) for run_id in {st.run_id for st, _ in rows}}
    return {
        "items": [statement_dict(st, runs[st.run_id], name) for st, name in rows],
        "total": count,
        "totals": [
            {"currency": c, "count": t["count"], "payable": money(t["p"]), "held": money(t["h"])}
            for c, t in sorted(totals.items())
        ],
    }


def _load(session: Session, actor: Actor, statement_id: int):
    _require_reader(actor)
    stmt = (
        select(Statement, PayoutRun, Participant)
        .join(PayoutRun, PayoutRun.id == Statement.run_id)
        .join(Participant, Participant.id == Statement.participant_id)
        .where(Statement.id == statement_id, PayoutRun.state.in_(HOLDING_STATES))
    )
    row = session.execute(_shown(stmt, actor)).first()
    if row is None or not can_read_statement(session, actor, row[0].participant_id):
        raise NotFound(f"No statement {statement_id}.")
    return row


def _lines(session: Session, st: Statement) -> list[PayoutLine]:
    return list(
        session.scalars(
            select(PayoutLine)
            .where(
                PayoutLine.run_id == st.run_id,
                PayoutLine.participant_id == st.participant_id,
                PayoutLine.plan_key == st.plan_key,
            )
            .order_by(PayoutLine.position, PayoutLine.id)
        )
    )


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite gives naive datetimes back; every stored time is UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def deal_facts_map(session: Session, run: PayoutRun, deal_ids) -> dict[str, dict[str, Any]]:
    """Condition values for the explanations, from the deals as they are now, but only
    those unchanged since the run was built: a later edit (handled by prior-period
    adjustments) must not be shown as what the run saw; the condition text, which the
    trace records, is shown instead."""
    built = _aware(run.finished_at or run.started_at)
    deals: dict[str, dict[str, Any]] = {}
    ids = {d for d in deal_ids if d}
    if ids:
        for deal in session.scalars(select(Deal).where(among(session, Deal.id, ids))):
            if built is not None and _aware(deal.updated_at) > built:
                continue
            deals[deal.id] = {
                "id": deal.id,
                "account": deal.account,
                "type": deal.type,
                "amount": deal.amount,
                "currency": deal.currency,
                "close_date": deal.close_date,
                "gross_margin": deal.gross_margin,
                "discount": deal.discount,
                "term_months": deal.term_months,
                "region": deal.region,
                "products": list(deal.products or []),
                "owner": deal.owner_id,
                "cash_collected_date": deal.cash_collected_date,
                "attributes": dict(deal.attributes or {}),
            }
    return deals


def person_facts(run: PayoutRun, participant: Participant) -> dict[str, Any] | None:
    """The participant's condition values, under the same rule as the deals'."""
    built = _aware(run.finished_at or run.started_at)
    if built is not None and _aware(participant.updated_at) > built:
        return None
    return {
        "id": participant.id,
        "hire_date": participant.hire_date,
        "region": participant.region,
        "attributes": dict(participant.attributes or {}),
    }


def fx_used(trace: list | None) -> dict[str, Any] | None:
    """The FX rate a converted line used (pair, rate, from: null means from the
    beginning) and how to say it, from its trace; None when the deal needed none."""
    for step in trace or ():
        if isinstance(step, dict) and step.get("step") == "fx" and step.get("pair"):
            since = step.get("from")
            text = f"{step['pair']} {step['rate']} from {since or 'the beginning'}"
            return {"pair": step["pair"], "rate": step["rate"], "from": since, "text": text}
    return None


def line_dict(line: PayoutLine, facts: dict[str, Any] | None, *, trace: bool) -> dict[str, Any]:
    out = {
        "id": line.id,
        "line_key": line.line_key,
        "position": line.position,
        "kind": line.kind,
        "deal": line.deal_id,
        "rule": line.rule,
        "status": line.status,
        "share": plain(line.share),
        "credit": money(line.credit),
        "rate": plain(line.rate),
        "amount": money(line.amount),
        "currency": line.currency,
        "plan": line.plan_key,
        "adjusts_period": line.adjusts_period,
        "reason": line.reason,
        "fx": fx_used(line.trace),
    }
    explained = explain_line(
        {**out, "trace": line.trace or []}, currency=line.currency, facts=facts
    )
    out["explanation"] = explained.to_dict()
    if trace:
        out["trace"] = line.trace or []
    return out


def line_dicts(
    lines: list[PayoutLine],
    deals: dict[str, dict[str, Any]],
    person: dict[str, Any] | None,
    *,
    trace: bool,
) -> list[dict[str, Any]]:
    return [line_dict(ln, deal_facts(deals.get(ln.deal_id), person), trace=trace) for ln in lines]


def _line_dicts(session, run, person_row, lines, *, trace: bool) -> list[dict[str, Any]]:
    deals = deal_facts_map(session, run, (ln.deal_id for ln in lines))
    return line_dicts(lines, deals, person_facts(run, person_row), trace=trace)


def get_statement(
    session: Session, actor: Actor, statement_id: int, *, traces: bool = False
) -> dict[str, Any]:
    """A statement with every line and its explanation (`traces`: the traces too)."""
    st, run, person = _load(session, actor, statement_id)
    out = statement_dict(st, run, person.name)
    out["lines"] = _line_dicts(session, run, person, _lines(session, st), trace=traces)
    return out


def get_line(session: Session, actor: Actor, statement_id: int, line_id: int) -> dict[str, Any]:
    """One line of a statement, with its explanation and its full trace."""
    st, run, person = _load(session, actor, statement_id)
    line = session.get(PayoutLine, line_id)
    if (
        line is None
        or line.run_id != st.run_id
        or line.participant_id != st.participant_id
        or line.plan_key != st.plan_key
    ):
        raise NotFound(f"No line {line_id} in statement {statement_id}.")
    out = _line_dicts(session, run, person, [line], trace=True)[0]
    out["statement"] = statement_dict(st, run, person.name)
    return out


LINE_COLUMNS = {
    "position": PayoutLine.position,
    "deal": PayoutLine.deal_id,
    "rule": PayoutLine.rule,
    "kind": PayoutLine.kind,
    "status": PayoutLine.status,
    "amount": PayoutLine.amount,
}
LINE_SORT = Sort("position")


def statement_lines_page(
    session: Session,
    actor: Actor,
    statement_id: int,
    *,
    search: str = "",
    status: str = "",
    sort: Sort = LINE_SORT,
    offset: int = 0,
    limit: int = 50,
) -> dict[str, Any]:
    """A statement with one page of its lines (explained), filtered and sorted in SQL:
    `search` matches a line's deal, rule, kind or reason; `status` its status. Also the
    statuses its lines have (the filter's choices) and how many lines match."""
    st, run, person = _load(session, actor, statement_id)
    stmt = select(PayoutLine).where(
        PayoutLine.run_id == st.run_id,
        PayoutLine.participant_id == st.participant_id,
        PayoutLine.plan_key == st.plan_key,
    )
    statuses = sorted(set(session.scalars(stmt.with_only_columns(PayoutLine.status).distinct())))
    if status:
        stmt = stmt.where(PayoutLine.status == status)
    if search:
        stmt = stmt.where(
            paging.matching(
                search, PayoutLine.deal_id, PayoutLine.rule, PayoutLine.kind, PayoutLine.reason
            )
        )
    stmt = paging.ordered(stmt, sort, LINE_COLUMNS, PayoutLine.position, PayoutLine.id)
    lines, total = paging.page(session, stmt, offset=offset, limit=limit)
    out = statement_dict(st, run, person.name)
    out["lines"] = _line_dicts(session, run, person, lines, trace=True)
    out["lines_matching"] = total
    out["statuses"] = statuses
    return out
