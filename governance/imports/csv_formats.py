"""CSV files in: columns, header aliases and cell syntax for each kind of record.

A CSV file holds one kind of record (participants, assignments, quotas, deals, events
or fx), named by the caller or recognised from the header. Each row becomes the section-3
mapping `rules.data.load_data` validates, so the CSV reader only translates: it never
judges amounts, dates or references itself (one source of truth). What only a CSV can
get wrong (an unknown or doubled column, a missing required column, a malformed
`ana:0.6` list entry) is reported here, located as `deals.csv row 7, column splits`.

Headers are matched case-insensitively with spaces, dashes and dots folded to `_`, so
`Close Date`, `close-date` and `CloseDate`'s alias `closedate` all name `close_date`.
Row numbers are the line numbers a spreadsheet shows: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from rules.problems import Problem

ATTR_PREFIX = "attr."
LIST_SEPARATOR = ";"

# field -> (aliases, cell syntax). The field name itself is always accepted.
# Cell syntax: text, list (a;b), pairs (p:share;...), team (p:role;...),
# touchpoints (p:date[:channel[:milestone]];...), ratio (0.42 or 42%).
COLUMNS: dict[str, dict[str, tuple[tuple[str, ...], str]]] = {
    "participants": {
        "id": (("participant_id", "participant", "employee_id", "user_id", "rep_id"), "text"),
        "name": (("full_name", "participant_name", "employee_name"), "text"),
        "hire_date": (("hired", "hired_on", "date_of_hire"), "text"),
        "region": (("territory", "sales_region"), "text"),
        "manager": (("manager_id", "reports_to", "reports_to_id"), "text"),
        "email": (("e_mail", "email_address", "work_email"), "text"),
        "crm_user_id": (("crm_id", "salesforce_user_id", "sfdc_user_id"), "text"),
    },
    "assignments": {
        "participant": (("participant_id", "id", "employee_id", "rep", "rep_id"), "text"),
        "plan": (("plan_key", "plan_id", "policy"), "text"),
        "role": (("job_role", "title"), "text"),
        "team": (("team_id", "sales_team"), "text"),
        "start": (("start_date", "effective_date", "from"), "text"),
        "end": (("end_date", "until", "to"), "text"),
    },
    "quotas": {
        "participant": (("participant_id", "employee_id", "rep", "rep_id", "owner"), "text"),
        "plan": (("plan_key", "plan_id", "policy"), "text"),
        "period": (("quota_period",), "text"),
        "amount": (("quota", "quota_amount", "target"), "text"),
    },
    "deals": {
        "id": (("opportunity_id", "opportunity", "opp_id", "deal_id", "record_id"), "text"),
        "account": (("account_name", "customer", "company"), "text"),
        "type": (("opportunity_type", "deal_type"), "text"),
        "amount": (("opportunity_amount", "deal_amount", "total_amount"), "text"),
        "currency": (("currency_code", "currencyisocode", "opportunity_currency"), "text"),
        "close_date": (("closedate", "closed_date", "close", "date_closed"), "text"),
        "gross_margin": (("margin", "gm"), "ratio"),
        "discount": (("discount_rate",), "ratio"),
        "term_months": (("term", "contract_term", "contract_term_months"), "text"),
        "region": (("territory", "sales_region"), "text"),
        "products": (("product", "product_name", "product_family"), "list"),
        "owner": (
            ("opportunity_owner", "deal_owner", "owner_id", "sales_rep", "rep", "rep_id"),
            "text",
        ),
        "splits": (("split", "opportunity_splits", "credit_splits"), "pairs"),
        "team": (("deal_team", "opportunity_team"), "team"),
        "touchpoints": (("touches", "marketing_touches"), "touchpoints"),
        "cash_collected_date": (("cash_date", "payment_date", "paid_date"), "text"),
    },
    "events": {
        "deal": (("deal_id", "opportunity_id", "opportunity"), "text"),
        "kind": (("event", "event_type", "type"), "text"),
        "date": (("event_date", "effective_date"), "text"),
        "amount": (("event_amount",), "text"),
    },
    "fx": {
        "pair": (("currency_pair",), "text"),
        "rate": (("fx_rate", "exchange_rate"), "text"),
        "from": (("effective_from", "effective_date", "valid_from", "rate_date"), "text"),
    },
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "participants": ("id",),
    "assignments": ("participant", "plan", "start"),
    "quotas": ("participant", "plan", "period", "amount"),
    "deals": ("id", "amount", "currency", "close_date", "owner"),
    "events": ("deal", "kind", "date"),
    "fx": ("pair", "rate"),
}
# Kinds whose records may carry `attr.<name>` columns.
WITH_ATTRIBUTES = ("participants", "deals")
KINDS = tuple(COLUMNS)
# Recognising a file by its header: the first kind whose signature columns are all there.
SIGNATURES = (
    ("deals", ("id", "amount", "close_date")),
    ("events", ("deal", "kind", "date")),
    ("quotas", ("participant", "plan", "period")),
    ("assignments", ("participant", "plan", "start")),
    ("fx", ("pair", "rate")),
    ("participants", ("id",)),
)

# Headers of a CRM stage column: without a mapping, such a file cannot tell won from lost.
STAGE_HEADERS = ("stage", "stagename", "stage_name", "opportunity_stage", "deal_stage")
_MALFORMED = object()  # a list cell with a malformed entry
_FOLD = re.compile(r"[\s\-.]+")
_NUMBER = re.compile(r"^[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]+)?|\.[0-9]+)$")


def fold(header: str) -> str:
    """`Close Date` -> `close_date`: the form headers and aliases are compared in."""
    return _FOLD.sub("_", header.strip().lower()).strip("_")


def _alias_table(kind: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for name, (aliases, _syntax) in COLUMNS[kind].items():
        table[fold(name)] = name
        for alias in aliases:
            table.setdefault(fold(alias), name)
    return table


ALIASES = {kind: _alias_table(kind) for kind in KINDS}


@dataclass
class CsvRecords:
    """The rows of one CSV file as section-3 mappings, with where each came from."""

    kind: str
    name: str
    records: list[dict[str, Any]] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # spreadsheet row of each record
    headers: dict[str, str] = field(default_factory=dict)  # field -> header as written
    problems: list[Problem] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # unknown columns skipped on request
    # Rows a CRM mapping left out (opportunities not won): count per stage class, and
    # (row, id, stage as written) of each, to warn about deals stored earlier.
    skipped: dict[str, int] = field(default_factory=dict)
    skipped_rows: list[tuple[int, str, str]] = field(default_factory=list)

    def where(self, index: int, field_name: str | None = None, entry: int | None = None) -> str:
        out = f"{self.name} row {self.rows[index]}"
        if field_name is not None:
            out += f", column {self.headers.get(field_name, field_name)}"
        if entry is not None:
            out += f" (entry {entry + 1})"
        return out


@dataclass
class CsvHooks:
    """How a CRM mapping (crm.py) takes part in reading a CSV file.

    `resolve(kind, header)`: (field, syntax), "" for a column to skip, None for the usual
    aliases. `start(out, header)`: once the header is mapped. `row(out, row, cells)`:
    may rewrite `cells` in place; False drops the row (a lost opportunity).
    `record(out, index, record)`: the record built from the row, to finish.
    `supplied(kind)`: required fields the mapping fills in when no column gives them.
    """

    resolve: Callable[[str, str], tuple[str, str] | str | None]
    start: Callable[[CsvRecords, list[str]], None]
    row: Callable[[CsvRecords, int, list[str]], bool]
    record: Callable[[CsvRecords, int, dict[str, Any]], None]
    supplied: Callable[[str], set[str]]


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def recognise(headers: list[str], hooks: CsvHooks | None = None) -> str | None:
    """The kind a header row describes, or None when it is not clear."""
    for kind, signature in SIGNATURES:
        names = {_field_of(kind, h, hooks) for h in headers}
        if all(column in names for column in signature):
            return kind
    return None


def _field_of(kind: str, header: str, hooks: CsvHooks | None) -> str | None:
    resolved = hooks.resolve(kind, header) if hooks is not None else None
    if resolved is None:
        return ALIASES[kind].get(fold(header))
    return resolved[0] if resolved else None


def read_csv(
    text: str,
    *,
    name: str,
    kind: str | None = None,
    ignore_unknown_columns: bool = False,
    hooks: CsvHooks | None = None,
) -> CsvRecords:
    """Parse CSV text into section-3 records of one kind (problems are collected, not raised)."""
    text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(first_line))
    try:
        header = next(reader)
    except StopIteration:
        header = []
    out = CsvRecords(kind=kind or "", name=name)
    if not any(h.strip() for h in header):
        out.problems.append(Problem(f"{name} row 1", "the file is empty: expected a header row"))
        return out
    if kind is None:
        kind = recognise(header, hooks)
        if kind is None:
            out.problems.append(
                Problem(
                    f"{name} row 1",
                    "cannot tell which kind of records this file holds from its header; "
                    f"name it (one of {', '.join(KINDS)})",
                )
            )
            return out
        out.kind = kind
    columns = _map_header(out, header, ignore_unknown_columns, hooks)
    if hooks is not None and not out.problems:
        hooks.start(out, header)
    if out.problems:
        return out
    line = reader.line_num
    for cells in reader:
        row = line + 1
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # blank line (often the last one)
        if hooks is not None and not hooks.row(out, row, cells):
            continue
        index = len(out.records)
        out.rows.append(row)
        if len(cells) > len(header):
            out.problems.append(
                Problem(
                    f"{name} row {row}",
                    f"{len(cells)} cells but the header has {len(header)} columns",
                )
            )
        out.records.append(_record(out, index, cells, columns))
        if hooks is not None:
            hooks.record(out, index, out.records[-1])
    return out


def _map_header(
    out: CsvRecords, header: list[str], ignore_unknown: bool, hooks: CsvHooks | None
) -> list[tuple]:
    """Per position: (field, syntax), ("attr", name), ("blank", number) or None (ignored)."""
    kind = out.kind
    columns: list[tuple | None] = []
    seen: dict[str, str] = {}
    for position, raw in enumerate(header):
        title = raw.strip()
        where = f"{out.name} row 1, column {title or position + 1}"
        if not title:  # spreadsheets often export trailing empty columns
            columns.append(("blank", position + 1))
            continue
        if title.lower().startswith(ATTR_PREFIX) and kind in WITH_ATTRIBUTES:
            attr = title[len(ATTR_PREFIX) :].strip()
            key = f"attributes.{attr}"
            if not attr:
                out.problems.append(Problem(where, "an attribute column needs a name: attr.NAME"))
            elif key in seen:
                out.problems.append(Problem(where, f"the attribute {attr!r} is given twice"))
            seen[key] = title
            columns.append(("attr", attr))
            continue
        resolved = hooks.resolve(kind, title) if hooks is not None else None
        if resolved == "":  # a CRM column the mapping skips
            columns.append(None)
            continue
        if hooks is None and kind == "deals" and fold(title) in STAGE_HEADERS:
            out.problems.append(
                Problem(
                    where,
                    f"a {title} column cannot be read without a CRM mapping, and ignoring it "
                    "would import lost and open opportunities as deals: name the mapping "
                    "(--mapping salesforce, ?mapping=salesforce) or drop the column",
                )
            )
            columns.append(None)
            continue
        name, syntax = resolved if resolved else (ALIASES[kind].get(fold(title)), None)
        if name is None:
            if ignore_unknown:
                out.ignored.append(title)
                columns.append(None)
                continue
            known = ", ".join(COLUMNS[kind])
            extra = f", attr.NAME for {kind} attributes" if kind in WITH_ATTRIBUTES else ""
            out.problems.append(
                Problem(where, f"unknown {kind} column {title!r} (known: {known}{extra})")
            )
            columns.append(None)
            continue
        if name in seen:
            out.problems.append(
                Problem(where, f"{title!r} and {seen[name]!r} both give the {kind} field {name}")
            )
        seen[name] = title
        out.headers[name] = title
        columns.append((name, syntax or COLUMNS[kind][name][1]))
    supplied = hooks.supplied(kind) if hooks is not None else set()
    for required in REQUIRED[kind]:
        if required not in seen and required not in supplied:
            out.problems.append(
                Problem(f"{out.name} row 1", f"missing required {kind} column {required!r}")
            )
    return columns


def _record(out: CsvRecords, index: int, cells: list[str], columns: list) -> dict[str, Any]:
    record: dict[str, Any] = {}
    attributes: dict[str, Any] | None = None
    for position, spec in enumerate(columns):
        if spec is None:
            continue
        cell = cells[position].strip() if position < len(cells) else ""
        if spec[0] == "blank":
            if cell:
                where = f"{out.name} row {out.rows[index]}, column {spec[1]}"
                out.problems.append(Problem(where, "a value in a column without a header"))
            continue
        if spec[0] == "attr":
            attributes = {} if attributes is None else attributes
            if cell:
                attributes[spec[1]] = attribute_value(cell)
            continue
        name, syntax = spec
        value = _cell(out, index, name, syntax, cell)
        if value is not _MALFORMED:  # reported already; leave the field out of the record
            record[name] = value
    if attributes is not None:
        record["attributes"] = attributes
    return record


def attribute_value(cell: str) -> Any:
    """Attribute cells: exact numbers, true/false, else the text itself."""
    if _NUMBER.match(cell):
        return Decimal(cell)
    if cell in ("true", "false"):
        return cell == "true"
    return cell


def _ratio(cell: str) -> Any:
    """`0.42` stays text for load_data; `42%` becomes the exact 0.42."""
    if cell.endswith("%"):
        try:
            return format(Decimal(cell[:-1].strip()) / 100, "f")
        except InvalidOperation:
            return cell
    return cell


def _cell(out: CsvRecords, index: int, name: str, syntax: str, cell: str) -> Any:
    if not cell:
        # An empty cell is null: it clears an optional field; a required one is reported
        # by load_data as "expected ..., got null".
        return [] if syntax == "list" else None
    if syntax == "text":
        return cell
    if syntax == "ratio":
        return _ratio(cell)
    entries = [e.strip() for e in cell.split(LIST_SEPARATOR)]
    entries = [e for e in entries if e]
    if syntax == "list":
        return entries
    parsed = []
    malformed = False
    for number, entry in enumerate(entries):
        parts = [p.strip() for p in entry.split(":")]
        if syntax == "pairs" and len(parts) == 2:
            parsed.append({"participant": parts[0], "share": _ratio(parts[1])})
        elif syntax == "team" and len(parts) == 2:
            parsed.append({"participant": parts[0], "role": parts[1]})
        elif syntax == "touchpoints" and 2 <= len(parts) <= 4:
            touch = {"participant": parts[0], "at": parts[1]}
            if len(parts) > 2 and parts[2]:
                touch["channel"] = parts[2]
            if len(parts) > 3 and parts[3]:
                touch["milestone"] = parts[3]
            parsed.append(touch)
        else:
            shape = {
                "pairs": "participant:share (ana:0.6)",
                "team": "participant:role (sam:SE)",
                "touchpoints": "participant:date[:channel[:milestone]] (mo:2026-03-02:webinar)",
            }[syntax]
            out.problems.append(
                Problem(out.where(index, name, number), f"{entry!r} is not {shape}")
            )
            malformed = True
    return _MALFORMED if malformed else parsed
