"""app/charts.py: every number a chart draws is also in its alt text, table and CSV,
formatted from the Decimal (not from pygal's float), and the SVG carries no script."""

from __future__ import annotations

import base64
import csv
import io
import re
from collections import OrderedDict
from decimal import Decimal

from app import charts
from app.charts import Chart, format_number

CHART = Chart(
    name="payable",
    title="Payable per period",
    labels=["2026-Q1", "2026-Q2", "2026-Q3"],
    series=[
        ("Payable", [Decimal("1234.5"), Decimal("0.10"), None]),
        ("Held", [Decimal("0"), Decimal("99999999999.99"), Decimal("7")]),
    ],
)


def test_numbers_are_formatted_from_decimals():
    assert format_number(Decimal("1234.5"), "money") == "1,234.50"
    assert format_number(Decimal("1.416"), "percent") == "141.6%"
    assert format_number(Decimal("0.0605"), "percent") == "6.1%"  # half-up, as `percent`
    assert format_number(12345, "count") == "12,345"
    assert format_number(None, "money") == "—"


def test_table_alt_and_csv_state_every_number():
    assert CHART.columns == ["Label", "Payable", "Held"]  # no empty header cell (axe)
    assert CHART.rows() == [
        ["2026-Q1", "1,234.50", "0.00"],
        ["2026-Q2", "0.10", "99,999,999,999.99"],
        ["2026-Q3", "—", "7.00"],
    ]
    assert CHART.alt() == (
        "Payable per period. 2026-Q1: Payable 1,234.50, Held 0.00; "
        "2026-Q2: Payable 0.10, Held 99,999,999,999.99; 2026-Q3: Payable —, Held 7.00"
    )
    rows = list(csv.reader(io.StringIO(CHART.csv())))
    assert rows == [
        ["label", "Payable", "Held"],
        ["2026-Q1", "1234.50", "0.00"],
        ["2026-Q2", "0.10", "99999999999.99"],
        ["2026-Q3", "", "7.00"],
    ]


def test_svg_draws_the_values_without_script_or_remote_resources():
    svg = CHART.svg()
    assert svg.startswith("<svg") and "Payable per period" in svg
    assert ">1,234.50<" in svg and ">7.00<" in svg  # value labels printed on the bars
    assert "http://kozea" not in svg and '<script type="text/javascript" src' not in svg
    decoded = base64.b64decode(CHART.data_uri().removeprefix("data:image/svg+xml;base64,"))
    assert decoded.decode().startswith("<svg") and b"Payable per period" in decoded


def test_an_empty_chart_says_so():
    empty = Chart(name="none", title="Nothing yet", labels=[], series=[("Payable", [])])
    assert empty.alt() == "Nothing yet. No data."
    assert "No data" in empty.svg()


def test_zeroes_left_unprinted_when_asked():
    """`options={"print_zeroes": False}`: a bar of zero (a stacked segment not reached)
    carries no "0.0%" label; the table still states it."""
    chart = Chart(
        "z", "Z", ["a"], [("x", [Decimal("0.5")]), ("y", [None])], kind="hstacked", unit="percent"
    )
    quiet = Chart(**{**chart.__dict__, "options": {"print_zeroes": False}})
    assert ">0.0%</text>" in chart.svg() and ">0.0%</text>" not in quiet.svg()
    assert quiet.rows() == [["a", "50.0%", "—"]]


def test_a_horizontal_chart_lists_its_first_label_on_top_as_the_table_does():

    chart = Chart(
        name="h",
        title="h",
        labels=["first", "second"],
        series=[("A", [Decimal(1), Decimal(2)])],
        kind="hbar",
        options={"print_values": False},  # options override the defaults
    )
    y = {
        m.group(2): float(m.group(1))
        for m in re.finditer(r'<text[^>]*y="([\d.]+)"[^>]*>(first|second)</text>', chart.svg())
    }
    assert y["first"] < y["second"]
    assert chart.rows() == [["first", "1.00"], ["second", "2.00"]]


def test_an_equal_chart_is_drawn_once_and_a_different_one_again(monkeypatch):
    drawn = []
    original = Chart.svg

    def counting(self):
        drawn.append(self.name)
        return original(self)

    monkeypatch.setattr(Chart, "svg", counting)
    monkeypatch.setattr(charts, "_DRAWN", OrderedDict())
    same = Chart(name="payable", title=CHART.title, labels=list(CHART.labels), series=CHART.series)
    first, again = CHART.data_uri(), same.data_uri()
    other = Chart(name="payable", title="Other", labels=CHART.labels, series=CHART.series)
    assert first == again and other.data_uri() != first
    assert drawn == ["payable", "payable"]  # CHART once (`same` is equal), `other` once
