"""The rep's block of the home page (templates/pages/_home_rep.html): attainment against
quota now with the plan's tier bands, payable and held per period this year, and the
estimator ("a deal of X closing on D would pay Y").

    rep = home_rep.context(session, current_user, request.args)   # {"rep": ..., "charts": ...}

The numbers come from `governance.reps` (the engine, the statements the rep may read);
this module turns them into charts (app/charts.py) and text. The estimator form is a GET
on the home page itself: an estimate saves nothing, so it needs no CSRF token and its
answer can be bookmarked.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session
from werkzeug.exceptions import TooManyRequests

from app.auth.throttle import limit_what_if
from app.charts import Chart, format_number
from governance import periods
from governance.errors import Invalid
from governance.permissions import Actor
from governance.reps import estimate, standing
from governance.reps.standing import Band, Standing
from governance.statements.read import may_read_statements

FIELDS = ("amount", "close_date", "type", "gross_margin", "discount", "cash_collected_date")
DEAL_TYPES = ("new", "expansion", "renewal")
LABELS = {
    "$.amount": "Amount",
    "$.close_date": "Close date",
    "$.type": "Deal type",
    "$.gross_margin": "Gross margin",
    "$.discount": "Discount",
    "$.cash_collected_date": "Cash collected on",
    "$.currency": "Currency",
    "$.term_months": "Term",
}


def context(session: Session, user: Actor, args: Mapping[str, str]) -> dict[str, Any]:
    """{"rep": the block's numbers and text (None for someone who is not a participant
    reading their statements), "charts": {name: Chart}} for `page_or_csv`."""
    if not getattr(user, "participant_id", None) or not may_read_statements(user):
        return {"rep": None, "charts": {}}
    today = periods.today()
    slices: standing.Slices = {}  # the rep's data, read once for the standing and estimate
    rows = standing.now(session, user, on=today, slices=slices)
    pay = standing.pay_by_period(session, user, year=today.year)
    charts: dict[str, Chart] = {}
    standings = []
    for row in rows:
        chart = None if row.problem else attainment_chart(row)
        if chart is not None:
            charts[chart.name] = chart
        standings.append({"text": standing_text(row), "chart": chart, "row": row})
    pay_chart = pay_by_period_chart(pay, today.year) if pay else None
    if pay_chart is not None:
        charts[pay_chart.name] = pay_chart
    form = {name: args.get(name, "") for name in FIELDS}
    form["close_date"] = form["close_date"] or today.isoformat()
    form["type"] = form["type"] or "new"
    result, problems, retry_after = None, [], None
    if args.get("amount") is not None:
        try:
            deal = estimate.hypothetical_deal({k: v for k, v in form.items() if v != ""})
            limit_what_if(user.id)
            result = estimate_text(estimate.estimate(session, user, deal, slices=slices))
        except Invalid as refusal:
            problems = [
                {"where": LABELS.get(p.path, p.path), "message": p.message}
                for p in refusal.problems
            ] or [{"where": "", "message": refusal.message}]
        except TooManyRequests as refused:  # the page, with the refusal in the form
            problems = [{"where": "", "message": refused.description}]
            retry_after = refused.retry_after
    return {
        "rep": {
            "today": today,
            "standings": standings,
            "pay_chart": pay_chart,
            "year": today.year,
            "form": form,
            "deal_types": DEAL_TYPES,
            "estimate": result,
            "problems": problems,
            "retry_after": retry_after,  # seconds: the estimate was refused (429)
        },
        "charts": charts,
    }


def _unit(row: Standing) -> str:
    return "money" if row.on_credit else "percent"


def attainment_chart(row: Standing) -> Chart:
    """The plan's tier bands as one stacked bar and the rep's position under them as
    another, each band in its own colour: how far into which band the rep has come."""
    bands, unit = row.scale, _unit(row)
    position = row.position or Decimal(0)
    last = bands[-1]
    width = (last.lower - bands[-2].lower) if len(bands) > 1 else (last.lower or Decimal(1))
    end = max(last.lower + width, position)
    series = []
    for band in bands:
        upper = band.upper if band.upper is not None else end
        reached = min(max(position - band.lower, Decimal(0)), upper - band.lower)
        name = _band_name(band, unit)
        series.append((name, [reached if reached > 0 else None, upper - band.lower]))
    return Chart(
        name=f"attainment-{row.plan}",
        title=f"{row.plan} {row.period}: your {'credit' if unit == 'money' else 'attainment'} "
        f"({format_number(position, unit)}) against the tier bands",
        labels=["You", "Tier bands"],
        series=series,
        kind="hstacked",
        unit=unit,
        options={"print_zeroes": False},
        height=220,
    )


def _band_name(band: Band, unit: str) -> str:
    lower = format_number(band.lower, unit)
    if band.upper is None:
        return f"{band.id} (from {lower})"
    return f"{band.id} ({lower} to {format_number(band.upper, unit)})"


def standing_text(row: Standing) -> dict[str, str | None]:
    """The standing's numbers as the page prints them."""
    unit, tier, nxt = _unit(row), row.tier, row.next_band
    return {
        "plan": row.plan,
        "version": row.version,
        "period": row.period,
        "currency": row.currency,
        "problem": row.problem,
        "attainment": format_number(row.attainment, "percent"),
        "quota": format_number(row.quota, "money"),
        "credited": format_number(row.credited, "money"),
        "tier": None if tier is None else _band_name(tier, unit),
        "next": None if nxt is None else _band_name(nxt, unit),
        "next_starts": None if nxt is None else format_number(nxt.lower, unit),
        "to_next": None if row.to_next is None else format_number(row.to_next, "money"),
        "tiered": "yes" if row.bands else None,
    }


def pay_by_period_chart(pay: list[dict[str, Any]], year: int) -> Chart:
    """Payable and held per period as stacked bars (a period label names its currency
    when the statements are in more than one)."""
    several = len({p["currency"] for p in pay}) > 1
    labels = [f"{p['period']} {p['currency']}" if several else p["period"] for p in pay]
    currency = "" if several else f" ({pay[0]['currency']})"
    return Chart(
        name="pay-by-period",
        title=f"Payable and held per period, {year}{currency}",
        labels=labels,
        series=[("Payable", [p["payable"] for p in pay]), ("Held", [p["held"] for p in pay])],
        kind="stacked",
    )


def estimate_text(result: dict[str, Any]) -> dict[str, Any]:
    """The estimate as the page prints it."""
    money = lambda v: format_number(v, "money")  # noqa: E731
    return {
        "payable": money(result["payable"]) if result["payable"] is not None else None,
        "held": money(result["held"]) if result["held"] is not None else None,
        "currency": result["currency"],
        "deal": result["deal"],
        "amount": money(result["deal"]["amount"]),
        "plans": [
            {
                **p,
                "payable_text": money(p["payable"]),
                "held_text": money(p["held"]),
                "attainment_before_text": format_number(p["attainment_before"], "percent"),
                "attainment_after_text": format_number(p["attainment_after"], "percent"),
                "lines": [
                    {
                        **ln,
                        "amount_text": money(ln["amount"]),
                        "before_text": money(ln["before"]),
                    }
                    for ln in p["lines"]
                ],
            }
            for p in result["plans"]
        ],
    }
