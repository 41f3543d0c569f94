"""Reading a CRM export through a mapping (mapping.py): rows, stages, values, owners.

    read_mapped_csv(text, name="opportunities.csv", mapping=load_mapping("salesforce"))

The mapping's columns come first, then its ignored columns, then Accord's own aliases.
Row by row: the stage decides whether the row is a deal at all (won) or is skipped and
counted (lost, open); only won rows are read further. Picklist values (type) are
translated, money (`$120,000.00`) and dates (`11/14/2026`) read in the declared format,
and an owner given by e-mail or CRM user id becomes an `OwnerRef` that the validator
resolves to a participant. A value the mapping does not know is a problem naming the
row, the column and the value, with the known values: never a default.
"""

from __future__ import annotations

from typing import Any

from governance.imports.crm_values import CellError, OwnerRef, fold_value
from governance.imports.csv_formats import (
    ALIASES,
    COLUMNS,
    CsvHooks,
    CsvRecords,
    fold,
    read_csv,
)
from governance.imports.mapping import (
    DATE_FIELDS,
    MONEY_FIELDS,
    OWNER_BY,
    KindMapping,
    Mapping,
)
from rules.problems import Problem

# Stand-ins for a cell already reported, so that `rules.data` does not report it again.
_PLACEHOLDER = {"amount": "0", "date": "2000-01-01"}


def read_mapped_csv(
    text: str,
    *,
    name: str,
    mapping: Mapping,
    kind: str | None = None,
    ignore_unknown_columns: bool = False,
) -> CsvRecords:
    """Parse a CRM export into section-3 records; non-won rows counted in `skipped`."""
    reader = _MappedReader(mapping)
    hooks = CsvHooks(
        resolve=reader.resolve,
        start=reader.start,
        row=reader.row,
        record=reader.record,
        supplied=reader.supplied,
    )
    return read_csv(
        text, name=name, kind=kind, ignore_unknown_columns=ignore_unknown_columns, hooks=hooks
    )


class _MappedReader:
    """The state of one file: where each mapped field is, and the current row's findings."""

    def __init__(self, mapping: Mapping):
        self.mapping = mapping
        self.kind: KindMapping | None = None
        self.positions: dict[str, int] = {}  # field -> column position
        self.titles: dict[str, str] = {}  # field -> header as written
        self.owner_by = "id"
        self.row_currency: str | None = None  # a currency code written in the amount

    # ------------------------------------------------------------------ header
    def resolve(self, kind: str, header: str) -> tuple[str, str] | str | None:
        mapped = self.mapping.kinds.get(kind)
        target = mapped.target(header) if mapped is not None else None
        if not target:
            return target  # None: Accord's aliases decide; "": a column the CRM ignores
        if target in OWNER_BY:
            return ("owner", "text")
        if target == "stage":
            return ("stage", "text")
        return (target, COLUMNS[kind][target][1])

    def supplied(self, kind: str) -> set[str]:
        mapped = self.mapping.kinds.get(kind)
        return {"currency"} if mapped is not None and mapped.currency else set()

    def start(self, out: CsvRecords, header: list[str]) -> None:
        self.kind = self.mapping.kinds.get(out.kind)
        if self.kind is None:
            return
        for position, title in enumerate(header):
            if not title.strip():
                continue
            resolved = self.resolve(out.kind, title)
            field = resolved[0] if resolved else None
            if resolved is None:
                field = ALIASES[out.kind].get(fold(title))
            if field is None or field in self.positions:
                continue
            self.positions[field] = position
            self.titles[field] = title.strip()
            if field == "owner":
                self.owner_by = OWNER_BY.get(self.kind.target(title) or "owner", "id")
        where = f"{out.name} row 1"
        about = f"the {self.mapping.name} mapping"
        if self.kind.stages is not None and "stage" not in self.positions:
            out.problems.append(
                Problem(
                    where,
                    f"missing required {out.kind} column 'stage': {about} imports only won "
                    "opportunities, so the export must carry the Stage column",
                )
            )
        if self.kind.types is not None and "type" not in self.positions:
            out.problems.append(
                Problem(
                    where,
                    f"missing required {out.kind} column 'type': {about} translates the "
                    "CRM's types into the ones plans test, so the export must carry them",
                )
            )

    # ------------------------------------------------------------------ rows
    def row(self, out: CsvRecords, row: int, cells: list[str]) -> bool:
        """Translate the row's cells in place; False for a row that is not a won deal."""
        self.row_currency = None
        mapped = self.kind
        if mapped is None:
            return True
        if mapped.stages is not None:
            stage = self._picklist(out, row, cells, "stage", mapped.stages)
            if stage is not None and stage != "won":
                out.skipped[stage] = out.skipped.get(stage, 0) + 1
                written = self._cell(cells, "stage")
                out.skipped_rows.append((row, self._cell(cells, "id"), written))
                return False
        if mapped.types is not None and "type" in self.positions:
            value = self._picklist(out, row, cells, "type", mapped.types)
            cells[self.positions["type"]] = value or ""
        for field in MONEY_FIELDS.get(out.kind, ()):
            self._convert(out, row, cells, field, "amount")
        if mapped.dates is not None:
            for field in DATE_FIELDS.get(out.kind, ()):
                self._convert(out, row, cells, field, "date")
        return True

    def record(self, out: CsvRecords, _index: int, record: dict[str, Any]) -> None:
        record.pop("stage", None)
        if self.kind is None:
            return
        if self.owner_by != "id" and isinstance(record.get("owner"), str):
            record["owner"] = OwnerRef(self.owner_by, record["owner"])
        if "currency" not in self.positions and out.kind == "deals":
            record["currency"] = self.row_currency or self.kind.currency

    # ------------------------------------------------------------------ cells
    def _cell(self, cells: list[str], field: str) -> str:
        position = self.positions.get(field)
        if position is None or position >= len(cells):
            return ""
        return cells[position].strip()

    def _where(self, out: CsvRecords, row: int, field: str) -> str:
        return f"{out.name} row {row}, column {self.titles[field]}"

    def _picklist(
        self, out: CsvRecords, row: int, cells: list[str], field: str, table: dict
    ) -> str | None:
        """The Accord value of a picklist cell, or None after reporting it."""
        cell = self._cell(cells, field)
        found = table.get(fold_value(cell))
        if found is not None:  # "" when the mapping says what an empty cell means
            return found[0]
        assert self.kind is not None
        known = self.kind.known(table)
        if not cell:
            message = f"expected a {field} value, got an empty cell (known: {known})"
        else:
            message = (
                f"{cell!r} is not a {field} the {self.mapping.name} mapping knows "
                f"(known: {known}); add it under {out.kind}.{field} in a mapping of your own"
            )
        out.problems.append(Problem(self._where(out, row, field), message))
        return None

    def _convert(self, out: CsvRecords, row: int, cells: list[str], field: str, how: str) -> None:
        cell = self._cell(cells, field)
        if not cell:
            return  # empty is null: rules.data says whether the field may be
        assert self.kind is not None
        try:
            if how == "date":
                assert self.kind.dates is not None
                value = self.kind.dates.parse(cell)
            else:
                value, code = self.kind.money.parse(cell)
                self._check_currency(out, row, cells, field, code)
        except CellError as exc:
            out.problems.append(Problem(self._where(out, row, field), str(exc)))
            value = _PLACEHOLDER[how]
        cells[self.positions[field]] = value

    def _check_currency(
        self, out: CsvRecords, row: int, cells: list[str], field: str, code: str | None
    ) -> None:
        if code is None:
            return
        self.row_currency = code
        column = self._cell(cells, "currency")
        if "currency" in self.positions and column and column != code:
            raise CellError(
                f"the amount is written in {code} but {self.titles['currency']} is {column}"
            )
