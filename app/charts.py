"""Charts: numbers drawn as server-side SVG (pygal), each with its numbers beside it.

A page builds `Chart` values from numbers the domain computed (Decimal money, counts,
ratios) and renders them with the `chart` macro of templates/_chart.html: the SVG as an
`<img>` (a data: URI, so the page stays one request and the strict CSP holds: an image's
own styles are its own, its script never runs), a text alternative that states every
number, a table of the numbers and a link to them as CSV. `page_or_csv` answers that link
from the same view, so the CSV always holds the numbers the page shows.

The palette is Okabe-Ito (told apart with every common colour-vision deficiency). Pygal
draws with floats; the table, the alt text and the CSV print the Decimal values, so
no number a reader sees went through a float. See docs/decisions.md, "Charts".
"""

from __future__ import annotations

import base64
import csv
import io
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import pygal
from flask import Response, render_template, request
from pygal.style import Style

from governance.errors import NotFound

# pygal appends a legacy import hook for its optional map plugins (pygal.maps.*) that has
# no find_spec, so every later import through it warns (ImportWarning). No chart is a map.
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

# Okabe & Ito (2008), "Color Universal Design": distinguishable by colour-blind readers.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)
STYLE = Style(
    colors=PALETTE,
    background="white",
    plot_background="white",
    foreground="#222222",
    foreground_strong="#111111",
    foreground_subtle="#666666",
    font_family="system-ui, -apple-system, 'Segoe UI', sans-serif",
    value_font_size=11,
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=12,
    title_font_size=14,
)
KINDS: dict[str, Callable[..., pygal.graph.graph.Graph]] = {
    "bar": pygal.Bar,
    "hbar": pygal.HorizontalBar,
    "stacked": pygal.StackedBar,
    "hstacked": pygal.HorizontalStackedBar,
    "line": pygal.Line,
}
HORIZONTAL = {"hbar", "hstacked"}
Unit = Literal["money", "percent", "count"]
Number = Decimal | int | None


def format_number(value: Number, unit: Unit) -> str:
    """A value as a reader sees it: money to cents with separators, a ratio as a
    percentage (1.416 -> 141.6%), a count as an integer; no value is an em dash."""
    if value is None:
        return "—"
    if unit == "money":
        return f"{Decimal(value):,.2f}"
    if unit == "percent":  # half-up, as the pages' `percent` filter rounds
        return f"{(Decimal(value) * 100).quantize(Decimal('0.1'), ROUND_HALF_UP):,.1f}%"
    return f"{int(value):,}"


@dataclass(frozen=True)
class Chart:
    """One chart: `labels` along the category axis, one list of values per series (same
    length as `labels`; None where there is no value). `name` keys its CSV (`?csv=name`);
    `category` heads the labels' column of the table (screen readers need a header there:
    axe's empty-table-header)."""

    name: str
    title: str
    labels: Sequence[str]
    series: Sequence[tuple[str, Sequence[Number]]]
    kind: str = "bar"
    unit: Unit = "money"
    options: Mapping[str, object] = field(default_factory=dict)
    width: int = 640
    height: int = 320
    category: str = "Label"

    def rows(self) -> list[list[str]]:
        """The numbers as table rows: a label, then each series' value, formatted."""
        return [
            [label, *(format_number(values[i], self.unit) for _, values in self.series)]
            for i, label in enumerate(self.labels)
        ]

    @property
    def columns(self) -> list[str]:
        return [self.category, *(name for name, _ in self.series)]

    def alt(self) -> str:
        """The text alternative: the title and every number, in reading order."""
        parts = [
            f"{label}: "
            + ", ".join(
                f"{name} {format_number(values[i], self.unit)}" for name, values in self.series
            )
            for i, label in enumerate(self.labels)
        ]
        return f"{self.title}. " + ("; ".join(parts) if parts else "No data.")

    def svg(self) -> str:
        """The chart as an SVG document (pygal; its tooltip script left out). `options`
        override the defaults below. A horizontal chart lists its first label on top, as
        the table does (pygal draws the first at the bottom)."""
        settings = {
            "style": STYLE,
            "js": [],
            "disable_xml_declaration": True,
            "width": self.width,
            "height": self.height,
            "explicit_size": True,
            "print_values": len(self.labels) <= 12,
            "value_formatter": self._label,
            "legend_at_bottom": True,
            "show_legend": len(self.series) > 1,
            "no_data_text": "No data",
            "truncate_label": -1,
            **self.options,
        }
        chart = KINDS[self.kind](**settings)
        order = slice(None, None, -1 if self.kind in HORIZONTAL else 1)
        chart.title = self.title
        chart.x_labels = list(self.labels)[order]
        for name, values in self.series:
            chart.add(name, [None if v is None else float(v) for v in values][order])
        return chart.render(is_unicode=True)

    def _label(self, value: float) -> str:
        """A drawn value's label; with `options={"print_zeroes": False}` a zero is "0",
        which pygal leaves unprinted on the bars (it compares the label with "0")."""
        if value == 0 and not self.options.get("print_zeroes", True):
            return "0"
        return _short(value, self.unit)

    def data_uri(self) -> str:
        """The SVG as a data: URI; an equal chart drawn before is not drawn again (pygal
        takes ~8 ms a chart: a page of stored numbers, such as a change request's impact,
        is drawn once per process, not on every view)."""
        return _drawn(self)

    def key(self) -> tuple:
        """Everything the drawing depends on, hashable: equal keys draw the same SVG."""
        return (
            self.name,
            self.title,
            tuple(self.labels),
            tuple((name, tuple(values)) for name, values in self.series),
            self.kind,
            self.unit,
            repr(sorted(self.options.items())),
            self.width,
            self.height,
        )

    def csv(self) -> str:
        """The numbers as CSV: plain values (money to cents, ratios as decimals)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["label", *(name for name, _ in self.series)])
        for i, label in enumerate(self.labels):
            writer.writerow([label, *(_plain(values[i], self.unit) for _, values in self.series)])
        return out.getvalue()


_DRAWN: OrderedDict[tuple, str] = OrderedDict()
_DRAWN_LOCK = threading.Lock()  # gunicorn's threads share it
DRAWN_KEPT = 256  # data: URIs of a few KB each


def _drawn(chart: Chart) -> str:
    """`chart`'s data: URI, from the last DRAWN_KEPT drawn (least recently used out)."""
    key = chart.key()
    with _DRAWN_LOCK:
        found = _DRAWN.get(key)
        if found is not None:
            _DRAWN.move_to_end(key)
            return found
    found = "data:image/svg+xml;base64," + base64.b64encode(chart.svg().encode()).decode()
    with _DRAWN_LOCK:
        _DRAWN[key] = found
        if len(_DRAWN) > DRAWN_KEPT:
            _DRAWN.popitem(last=False)
    return found


def _short(value: float, unit: Unit) -> str:
    """A value label drawn on the chart: pygal hands back the float it drew; its shortest
    repr is the Decimal it came from, so the label reads as the table does."""
    return format_number(Decimal(repr(value)), unit)


def _plain(value: Number, unit: Unit) -> str:
    if value is None:
        return ""
    if unit == "money":
        return f"{Decimal(value):.2f}"
    return str(value)


def page_or_csv(template: str, charts: Mapping[str, Chart], **context) -> Response | str:
    """Render `template` with `charts`, or, for `?csv=<name>`, that chart's numbers as a
    CSV download (404 for a name the page does not have)."""
    wanted = request.args.get("csv")
    if wanted is not None:
        chart = charts.get(wanted)
        if chart is None:
            raise NotFound(f"no chart {wanted!r} on this page")
        return Response(
            chart.csv(),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{chart.name}.csv"'},
        )
    return render_template(template, charts=charts, **context)
