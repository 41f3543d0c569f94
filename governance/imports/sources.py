"""What is being imported and where each record came from.

A `Batch` is the merge of one or more sources (a section-3 JSON document, CSV files of
one kind each): one list of records per section, plus a map from a record's position in
that list back to the place the user sees (`$.deals[3].amount` in a JSON document,
`deals.csv row 7, column amount` in a CSV file). Merging lets `accord import
participants.csv deals.csv` run as one validation and one transaction, whatever the
order of the files.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from governance.imports.crm import read_mapped_csv
from governance.imports.csv_formats import KINDS, CsvRecords, read_csv
from governance.imports.mapping import Mapping
from rules.data import check_data
from rules.problems import Problem
from rules.yamlload import LoadError, load_json

# Processing order: participants before what refers to them, deals before their events.
SECTIONS = ("participants", "assignments", "quotas", "deals", "events", "fx")
_INDEXED = re.compile(r"^\$\.(participants|assignments|quotas|deals|events)\[(\d+)\](.*)$")
_STEP = re.compile(r"^\.([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?(.*)$")


@dataclass
class Segment:
    """A run of records of one section that came from one source."""

    start: int  # index of the first record in the batch's section list
    source: str  # the name shown to the user ("deals.csv", "data.json", "" for a body)
    csv: CsvRecords | None = None  # None: a JSON document (paths stay JSON paths)
    fx_list: bool = False  # fx given as a list of dated rates ($.fx[i]), not a map


@dataclass
class Batch:
    # Records per section; fx (a mapping or a list in JSON) as {"pair", "rate", "from"?}.
    sections: dict[str, list[Any]] = field(default_factory=lambda: {s: [] for s in SECTIONS})
    segments: dict[str, list[Segment]] = field(default_factory=lambda: {s: [] for s in SECTIONS})
    problems: list[Problem] = field(default_factory=list)  # found while reading
    warnings: list[Problem] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    # Rows a CRM mapping left out, per kind and stage class ({"deals": {"lost": 2}}), and
    # where each was ("opps.csv row 7, column Stage", opportunity id, stage as written).
    skipped: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped_rows: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(len(records) for records in self.sections.values())

    # ------------------------------------------------------------------ adding
    def add_json(self, obj: Any, source: str = "") -> None:
        """A section-3 document (already parsed); its top level is checked here."""
        self.names.append(source or "request body")
        prefix = f"{source}: " if source else ""
        skeleton = obj
        if isinstance(obj, dict):
            # Top-level shape only (unknown sections, lists that are not lists, fx):
            # the records themselves are validated in chunks by the service.
            # fx pairs are checked one by one with the records, so only its type is here.
            skeleton = {
                k: ([] if isinstance(v, list) else {} if isinstance(v, dict) else v)
                for k, v in obj.items()
            }
            skeleton.pop("exceptions", None)
        _data, problems = check_data(skeleton)
        self.problems.extend(_prefixed(p, prefix) for p in problems)
        if not isinstance(obj, dict):
            return
        if obj.get("exceptions"):
            self.problems.append(
                Problem(
                    f"{prefix}$.exceptions",
                    "exceptions cannot be imported: they are filed and approved through "
                    "the deal-desk workflow (remove the key or leave it empty)",
                )
            )
        # Records of well-formed sections are checked even when the top level has
        # problems (an unknown section next to bad deals), so that all are listed.
        for section in ("participants", "quotas", "deals", "events"):
            records = obj.get(section)
            if isinstance(records, list):
                self._extend(section, records, Segment(0, source))
        fx = obj.get("fx")
        if isinstance(fx, dict):
            pairs = [{"pair": k, "rate": v} for k, v in fx.items()]
            self._extend("fx", pairs, Segment(0, source))
        elif isinstance(fx, list):
            self._extend("fx", fx, Segment(0, source, fx_list=True))

    def add_csv(self, parsed: CsvRecords) -> None:
        self.names.append(parsed.name)
        self.problems.extend(parsed.problems)
        self.warnings.extend(
            Problem(f"{parsed.name} row 1, column {title}", "unknown column ignored", None)
            for title in parsed.ignored
        )
        # Header problems leave no records; a malformed cell leaves its row's other
        # fields to be checked, so that one run lists every problem of the file.
        if not parsed.kind:
            return
        counts = self.skipped.setdefault(parsed.kind, {}) if parsed.skipped else {}
        for stage, number in parsed.skipped.items():
            counts[stage] = counts.get(stage, 0) + number
        stage_title = parsed.headers.get("stage", "stage")
        self.skipped_rows.extend(
            (f"{parsed.name} row {row}, column {stage_title}", deal, stage)
            for row, deal, stage in parsed.skipped_rows
        )
        self._extend(parsed.kind, parsed.records, Segment(0, parsed.name, parsed))

    def _extend(self, section: str, records: list, segment: Segment) -> None:
        if not records:
            return
        segment.start = len(self.sections[section])
        self.sections[section].extend(records)
        self.segments[section].append(segment)

    # ------------------------------------------------------------------ locating
    def locate(self, section: str, index: int, rest: str = "") -> str:
        """Where record `index` of `section` (and `rest`, a JSON path tail) is for the user."""
        segments = self.segments[section]
        starts = [s.start for s in segments]
        segment = segments[max(bisect.bisect_right(starts, index) - 1, 0)]
        local = index - segment.start
        if segment.csv is None:
            if section == "fx" and segment.fx_list:
                return _prefix(segment.source) + f"$.fx[{local}]{rest}"
            if section == "fx":
                pair = self.sections["fx"][index].get("pair")
                return _prefix(segment.source) + f'$.fx["{pair}"]'
            if section == "assignments":  # only CSV files carry a separate assignments list
                return _prefix(segment.source) + f"$.assignments[{local}]{rest}"
            return _prefix(segment.source) + f"$.{section}[{local}]{rest}"
        match = _STEP.match(rest)
        if not match:
            return segment.csv.where(local)
        name, entry, tail = match[1], match[2], match[3]
        if name == "attributes" and tail:
            return segment.csv.where(local) + f", column attr.{tail.lstrip('.')}"
        if name == "assignments":  # assignments.csv rows are checked as one-entry lists
            return self.locate(section, index, tail)
        return segment.csv.where(local, name, int(entry) if entry is not None else None)

    def relocate(self, problem: Problem, section: str, offset: int, size: int) -> Problem | None:
        """A problem `load_data` found in a chunk, moved to where the user sees it.

        Paths and any `$.section[i]` quoted in the message are shifted by the chunk's
        offset; problems on the reference stubs appended after the chunk are dropped
        (they can only echo a problem already reported on the referring record).
        """
        match = _INDEXED.match(problem.path)
        if match is None:
            return Problem(self.names_prefix() + problem.path, problem.message)
        local = int(match[2])
        if match[1] != section or local >= size:
            return None
        path = self.locate(section, offset + local, match[3])

        def quoted(m: re.Match) -> str:
            return self.locate(m[1], offset + int(m[2]) if m[1] == section else int(m[2]))

        message = re.sub(
            r"\$\.(participants|assignments|quotas|deals|events)\[(\d+)\]", quoted, problem.message
        )
        if self._is_csv(section, offset + local):
            message = message.replace("got null", "got an empty cell")
        return Problem(path, message)

    def _is_csv(self, section: str, index: int) -> bool:
        segments = self.segments[section]
        starts = [s.start for s in segments]
        return segments[max(bisect.bisect_right(starts, index) - 1, 0)].csv is not None

    def names_prefix(self) -> str:
        return f"{self.names[0]}: " if len(self.names) == 1 and self.names[0] else ""


def _prefix(source: str) -> str:
    return f"{source}: " if source else ""


def _prefixed(problem: Problem, prefix: str) -> Problem:
    return Problem(prefix + problem.path, problem.message) if prefix else problem


def read_source(
    batch: Batch,
    content: bytes | str,
    *,
    name: str,
    kind: str | None = None,
    ignore_unknown_columns: bool = False,
    mapping: Mapping | None = None,
) -> None:
    """Add one file (JSON or CSV, told apart by name or content) to `batch`.

    `mapping`: how to read a CRM export (CSV files only; JSON is section 3 already).
    """
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            batch.problems.append(Problem(name, f"not UTF-8 text: {exc.reason}"))
            return
    content = content.removeprefix("\ufeff")
    suffix = Path(name).suffix.lower()
    is_json = suffix == ".json" or (suffix != ".csv" and content.lstrip().startswith("{"))
    if is_json:
        if kind is not None:
            batch.problems.append(
                Problem(name, f"a kind ({kind}) is only for CSV files; JSON names its sections")
            )
            return
        try:
            obj = load_json(content)
        except LoadError as exc:
            batch.problems.extend(Problem(f"{name}: {p.path}", p.message) for p in exc.problems)
            return
        batch.add_json(obj, name)
        return
    if kind is not None and kind not in KINDS:
        batch.problems.append(Problem(name, f"unknown kind {kind!r} (one of {', '.join(KINDS)})"))
        return
    options = {"name": name, "kind": kind, "ignore_unknown_columns": ignore_unknown_columns}
    if mapping is not None:
        batch.add_csv(read_mapped_csv(content, mapping=mapping, **options))
    else:
        batch.add_csv(read_csv(content, **options))
