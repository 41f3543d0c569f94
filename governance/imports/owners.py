"""Participants' contact keys (e-mail, CRM user id) and deal owners named by them.

A CRM export names an opportunity's owner by the CRM user id or the e-mail, not by the
participant id plans use. Participants carry both (`email`, `crm_user_id`: import-only
fields, plans never see them); `Contacts` checks them on import (text, length, one
participant per value, in the import and in the database) and resolves an `OwnerRef` to
the one participant with that value, the import's records first (they may change it),
then the database. Two or no participants with the value is a located problem.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from governance.imports.crm_values import OwnerRef
from governance.imports.sources import Batch
from models import Participant
from rules.problems import Problem

KEYS = ("email", "crm_user_id")
WHAT = {"email": "e-mail", "crm_user_id": "CRM user id"}
LIMITS = {"email": 254, "crm_user_id": 64}
UNRESOLVED = "\x00unresolved-owner"  # owner of a deal whose OwnerRef matched no one
IN_CHUNK = 900


def normal(key: str, value: str) -> str:
    """E-mail compares case-insensitively; CRM ids exactly (Salesforce's are case-sensitive)."""
    return value.strip().lower() if key == "email" else value.strip()


def without_contacts(record: Any) -> Any:
    """The record as `rules.data` reads it (it knows no contact keys)."""
    if isinstance(record, dict) and any(k in record for k in KEYS):
        return {k: v for k, v in record.items() if k not in KEYS}
    return record


class Contacts:
    def __init__(self, session: Session, batch: Batch):
        self.session = session
        self.batch = batch
        # key -> normalised value -> index of the first participant record giving it
        self.first: dict[str, dict[str, int]] = {k: {} for k in KEYS}
        self.given: dict[str, set[str]] = {k: set() for k in KEYS}  # ids carrying the key
        for index, record in enumerate(batch.sections["participants"]):
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                continue
            for key in KEYS:
                if key in record:
                    self.given[key].add(record["id"])
                    if isinstance(record[key], str) and record[key].strip():
                        self.first[key].setdefault(normal(key, record[key]), index)

    # ------------------------------------------------------------------ participants
    def check(self, offset: int, records: list) -> list[Problem]:
        """Problems of the contact keys of a chunk of participant records."""
        problems: list[Problem] = []
        for key in KEYS:
            found: list[tuple[int, Problem]] = []  # (record in chunk, problem): by row
            values: dict[str, list[int]] = {}
            for i, record in enumerate(records):
                if not isinstance(record, dict) or record.get(key) is None:
                    continue
                where = self.batch.locate("participants", offset + i, f".{key}")
                value = record[key]
                message = _malformed(key, value)
                if message:
                    found.append((i, Problem(where, message)))
                    continue
                first = self.first[key].get(normal(key, value))
                if first is not None and first != offset + i:
                    located = self.batch.locate("participants", first)
                    message = f"duplicate {WHAT[key]} {value!r} (first at {located})"
                    found.append((i, Problem(where, message)))
                    continue
                values.setdefault(normal(key, value), []).append(i)
            holders = self._stored(key, set(values))
            for value, rows in values.items():
                for i in rows:
                    pid = records[i].get("id")
                    others = sorted(holders.get(value, set()) - {pid} - self.given[key])
                    if others:
                        where = self.batch.locate("participants", offset + i, f".{key}")
                        message = (
                            f"the {WHAT[key]} {records[i][key]!r} belongs to participant "
                            f"{others[0]!r}; clear it there first (an empty cell)"
                        )
                        found.append((i, Problem(where, message)))
            problems += [p for _i, p in sorted(found, key=lambda item: item[0])]
        return problems

    def _stored(self, key: str, values: set[str]) -> dict[str, set[str]]:
        """Normalised value -> ids of stored participants with it."""
        column = Participant.email if key == "email" else Participant.crm_user_id
        compared = func.lower(column) if key == "email" else column
        out: dict[str, set[str]] = {}
        ordered = sorted(values)
        for i in range(0, len(ordered), IN_CHUNK):
            part = ordered[i : i + IN_CHUNK]
            rows = self.session.execute(select(Participant.id, column).where(compared.in_(part)))
            for pid, value in rows:
                out.setdefault(normal(key, value), set()).add(pid)
        return out

    # ------------------------------------------------------------------ owners
    def resolve(self, offset: int, records: list) -> list[Problem]:
        """Replace each deal's `OwnerRef` by a participant id (UNRESOLVED after a problem)."""
        refs = [
            (i, r["owner"])
            for i, r in enumerate(records)
            if isinstance(r, dict) and isinstance(r.get("owner"), OwnerRef)
        ]
        found: dict[str, dict[str, set[str]]] = {}
        for key in KEYS:
            wanted = {normal(key, ref.value) for _i, ref in refs if ref.by == key}
            if not wanted:
                continue
            holders = {
                value: pids - self.given[key] for value, pids in self._stored(key, wanted).items()
            }
            for value in wanted:
                first = self.first[key].get(value)
                if first is not None:
                    pid = self.batch.sections["participants"][first]["id"]
                    holders.setdefault(value, set()).add(pid)
            found[key] = holders
        problems = []
        for i, ref in refs:
            pids = sorted(found[ref.by].get(normal(ref.by, ref.value), set()))
            if len(pids) == 1:
                records[i]["owner"] = pids[0]
                continue
            records[i]["owner"] = UNRESOLVED
            what = WHAT[ref.by]
            if pids:
                message = f"{len(pids)} participants have the {what} {ref.value!r}: {pids}"
            else:
                message = (
                    f"no participant has the {what} {ref.value!r} (import the participants "
                    f"with their {ref.by} column first, or in the same import)"
                )
            problems.append(Problem(self.batch.locate("deals", offset + i, ".owner"), message))
        return problems


def _malformed(key: str, value: Any) -> str | None:
    if not isinstance(value, str):
        return f"expected the {WHAT[key]} as text, got {value!r}"
    text = value.strip()
    if len(text) > LIMITS[key]:
        return f"is {len(text)} characters long; Accord keeps at most {LIMITS[key]}"
    if "\x00" in text:
        return "contains a NUL character"
    if key == "email":
        local, at, domain = text.partition("@")
        if not (local and at and domain) or "@" in domain or any(c.isspace() for c in text):
            return f"expected an e-mail address such as ana@example.com, got {value!r}"
    elif any(c.isspace() for c in text):
        return f"expected a CRM user id without spaces, got {value!r}"
    return None
