"""Exports of statements (CSV, JSON) and the payroll file of a locked run.

`export_statements`: the statements the actor may read (selected as
`read.list_statements` selects them), each with every line and its explanation;
`export_payroll` / `payroll_rows`: one row per participant and currency of a LOCKED run
(`Conflict` otherwise). Statements are read a chunk at a time (a few queries per chunk,
never one per statement), so a large period exports in a bounded number of queries.

The formats and who may export: docs/statements.md, "API".
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.errors import Conflict, Invalid, NotAllowed, NotFound
from governance.permissions import Actor, has_permission
from governance.statements.read import (
    FORMATS,
    READ_ALL,
    deal_facts_map,
    line_dicts,
    list_statements,
    person_facts,
)
from models.payouts import BUILDING, PayoutLine, PayoutRun, Statement
from models.people import Participant
from rules.evaluation.numbers import fixed
from rules.problems import Problem

CHUNK = 200  # statements per round of queries

STATEMENT_COLUMNS = (
    "period",
    "run_state",
    "participant",
    "participant_name",
    "plan",
    "currency",
    "quota",
    "credited",
    "attainment",
    "payable",
    "held",
    "draw_balance",
)
LINE_COLUMNS = ("kind", "deal", "rule", "status", "share", "credit", "rate", "amount")
PAYROLL_COLUMNS = ("participant", "name", "amount_payable", "currency", "period")


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise Invalid(
            f"Unknown format {fmt!r}.", [Problem("format", f"one of {', '.join(FORMATS)}")]
        )


def explained_statements(
    session: Session, items: list[dict[str, Any]], *, traces: bool
) -> Iterator[dict[str, Any]]:
    """`items` (statement dicts the caller may read, from `list_statements`) with their
    explained lines, in the same order, a chunk at a time."""
    runs: dict[int, PayoutRun] = {}
    for offset in range(0, len(items), CHUNK):
        chunk = items[offset : offset + CHUNK]
        lines: dict[tuple[int, str, str], list[PayoutLine]] = {}
        people: dict[str, Participant] = {}
        for run_id in sorted({st["run_id"] for st in chunk}):
            runs.setdefault(run_id, session.get(PayoutRun, run_id))
            ids = sorted({st["participant"] for st in chunk if st["run_id"] == run_id})
            for line in session.scalars(
                select(PayoutLine)
                .where(PayoutLine.run_id == run_id, PayoutLine.participant_id.in_(ids))
                .order_by(PayoutLine.position, PayoutLine.id)
            ):
                key = (run_id, line.participant_id, line.plan_key)
                lines.setdefault(key, []).append(line)
            for person in session.scalars(select(Participant).where(Participant.id.in_(ids))):
                people[person.id] = person
        deals = {
            run_id: deal_facts_map(
                session,
                runs[run_id],
                (ln.deal_id for key, group in lines.items() if key[0] == run_id for ln in group),
            )
            for run_id in {st["run_id"] for st in chunk}
        }
        for st in chunk:
            run = runs[st["run_id"]]
            own = lines.get((run.id, st["participant"], st["plan"]), [])
            person = person_facts(run, people[st["participant"]])
            yield {**st, "lines": line_dicts(own, deals[run.id], person, trace=traces)}


def export_statements(
    session: Session,
    actor: Actor,
    fmt: str,
    *,
    period: str | None = None,
    run_id: int | None = None,
    participant: str | None = None,
) -> str:
    """The actor's visible statements (as `list_statements` selects them) as JSON or CSV."""
    _check_format(fmt)
    items = list_statements(session, actor, period=period, run_id=run_id, participant=participant)
    full = explained_statements(session, items, traces=fmt == "json")
    if fmt == "json":
        return json.dumps({"statements": list(full)}, ensure_ascii=False, indent=2) + "\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow((*STATEMENT_COLUMNS, *LINE_COLUMNS, "fx_rate", "explanation"))
    for st in full:
        head = tuple(_cell(st[c]) for c in STATEMENT_COLUMNS)
        if not st["lines"]:
            writer.writerow((*head, *("" for _ in LINE_COLUMNS), "", "(no lines)"))
        for line in st["lines"]:
            words = " ".join((line["explanation"]["summary"], *line["explanation"]["steps"]))
            cells = (_cell(line[c]) for c in LINE_COLUMNS)
            fx = _cell(line["fx"]["text"] if line["fx"] else None)
            writer.writerow((*head, *cells, fx, _cell(words)))
    return buffer.getvalue()


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    """A CSV cell. Text that a spreadsheet would run as a formula (a participant named
    "=HYPERLINK(...)") is quoted with a leading apostrophe; numbers, such as a negative
    amount, are left as they are."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA):
        try:
            Decimal(text)
        except ArithmeticError:
            return "'" + text
    return text


def payroll_rows(session: Session, actor: Actor, run_id: int) -> list[dict[str, str]]:
    """One row per participant and currency of a LOCKED run: what payroll pays."""
    if actor is not None and not has_permission(actor, READ_ALL):
        raise NotAllowed("The payroll export needs the permission 'statements.read_all'.")
    run = session.get(PayoutRun, run_id)
    if run is None or run.state == BUILDING:
        raise NotFound(f"No payout run {run_id}.")
    if run.state != "locked":
        raise Conflict(
            f"Payout run {run_id} ({run.period}) is {run.state}: payroll is exported from "
            "locked runs only.",
            [Problem("run", f"state {run.state}, needs locked")],
        )
    totals: dict[tuple[str, str], Decimal] = {}
    names: dict[str, str | None] = {}
    rows = session.execute(
        select(Statement.participant_id, Statement.currency, Statement.payable, Participant.name)
        .join(Participant, Participant.id == Statement.participant_id)
        .where(Statement.run_id == run.id)
    )
    for participant, currency, payable, name in rows:
        key = (participant, currency)
        totals[key] = totals.get(key, Decimal(0)) + (payable or Decimal(0))
        names[participant] = name
    return [
        {
            "participant": participant,
            "name": names[participant] or "",
            "amount_payable": fixed(amount, 2),
            "currency": currency,
            "period": run.period,
        }
        for (participant, currency), amount in sorted(totals.items())
    ]


def export_payroll(session: Session, actor: Actor, run_id: int, fmt: str = "csv") -> str:
    _check_format(fmt)
    rows = payroll_rows(session, actor, run_id)
    if fmt == "json":
        return json.dumps({"run_id": run_id, "rows": rows}, ensure_ascii=False, indent=2) + "\n"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=PAYROLL_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    return buffer.getvalue()
