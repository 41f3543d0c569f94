"""The finance view: per period of the locked runs, earned, held (new and outstanding:
the liability), released, clawed back and paid (governance.payouts.figures), as a chart
and a table per currency; `?csv=finance-<CUR>` gives the table's numbers.

    GET /finance        statements.read_all (whoever reads every statement and run)
"""

from __future__ import annotations

from flask import Blueprint

from app import charts
from app.auth.decorators import permission_required
from app.charts import Chart
from app.database import db_session
from governance.payouts import figures as payout_figures
from governance.payouts import overview as payout_overview

bp = Blueprint("finance_pages", __name__, url_prefix="/finance")

# (field, column heading) in the order the table and the chart show them.
COLUMNS = (
    ("earned", "Earned"),
    ("held", "Held this period"),
    ("released", "Released"),
    ("clawed_back", "Clawed back"),
    ("paid", "Paid"),
    ("held_outstanding", "Held outstanding"),
)


def finance_charts(rows: list[dict]) -> dict[str, Chart]:
    """One chart per currency, periods oldest first."""
    out = {}
    for currency in sorted({r["currency"] for r in rows}):
        mine = [r for r in rows if r["currency"] == currency]
        name = f"finance-{currency}"
        out[name] = Chart(
            name=name,
            title=f"Per period, {currency} (locked runs)",
            labels=[r["period"] for r in mine],
            series=[(heading, [r[f] for r in mine]) for f, heading in COLUMNS],
            category="Period",
            options={"print_values": False},  # six series: the table above has them
            width=760,
            height=360,
        )
    return out


@bp.get("")
@permission_required(payout_overview.READ)
def index():
    rows = payout_figures.finance_periods(db_session())
    return charts.page_or_csv("payouts/finance.html", finance_charts(rows), rows=rows)
