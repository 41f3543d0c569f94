"""Anchors of the audit chain: "it had N records, record N's hash was H", signed, kept outside.

The database's triggers stop a rewrite only while nobody drops them. An anchor taken
earlier and kept where Accord's operators cannot edit it (docs/security.md, "Audit chain
anchors") proves the chain today still extends it: each record's hash covers the one
before, so if record N still has hash H, records 1..N are the ones anchored.

The signature is an HMAC-SHA256 over the canonical text of every other field: it shows
the anchor came from an Accord holding the key and was not edited since. It does not
stop that Accord from anchoring a rewritten chain: the auditor's copy, and the time it
was stored, is the protection.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance import audit
from governance.errors import Conflict, Invalid
from models.audit import GENESIS_HASH, AuditRecord
from models.base import utcnow
from rules.problems import Problem

FORMAT = "accord-audit-anchor/1"
ALGORITHM = "sha256"  # how record hashes are computed: governance.audit.compute_hash
SIGNATURE_ALGORITHM = "hmac-sha256"
KEY_ENV = "ACCORD_AUDIT_ANCHOR_KEY"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
MAX_RECORD_COUNT = 2**31 - 1  # audit_records.id is an INTEGER


@dataclass(frozen=True)
class AnchorKey:
    """The HMAC key and where it came from (`ACCORD_AUDIT_ANCHOR_KEY` or `SECRET_KEY`)."""

    secret: bytes
    source: str

    @property
    def key_id(self) -> str:
        """Names the key without revealing it, so a mismatch can say "another key"."""
        return hmac.new(self.secret, b"accord audit anchor key id", hashlib.sha256).hexdigest()[:16]


def anchor_key(config: Mapping[str, Any]) -> AnchorKey:
    """The app config's `AUDIT_ANCHOR_KEY` (from `ACCORD_AUDIT_ANCHOR_KEY`) when set, else a
    key derived from `SECRET_KEY`: works with no setup, and a separate key lets the session
    key rotate without invalidating the signatures of anchors already kept."""
    if config.get("AUDIT_ANCHOR_KEY"):
        return AnchorKey(config["AUDIT_ANCHOR_KEY"].encode("utf-8"), KEY_ENV)
    secret = str(config["SECRET_KEY"]).encode("utf-8")
    derived = hmac.new(secret, b"accord audit anchor", hashlib.sha256)
    return AnchorKey(derived.digest(), "SECRET_KEY")


def _signature(body: dict[str, Any], key: AnchorKey) -> str:
    text = audit.canonical_text(body).encode("utf-8")
    return hmac.new(key.secret, text, hashlib.sha256).hexdigest()


def take(session: Session, key: AnchorKey) -> dict[str, Any]:
    """Verify the chain, then anchor its last record. A broken chain gets no anchor: it
    would vouch for records already known to be wrong."""
    result = audit.verify(session)
    if not result.ok:
        raise Conflict(
            f"the audit chain is broken at record {result.first_broken_id}: {result.reason};"
            " no anchor is taken of a broken chain"
        )
    body = {
        "format": FORMAT,
        "record_count": result.last_id,
        "head_digest": result.last_hash,
        "algorithm": ALGORITHM,
        "taken_at": audit.timestamp_text(utcnow()),
        "signature_algorithm": SIGNATURE_ALGORITHM,
        "key_id": key.key_id,
    }
    return {**body, "signature": _signature(body, key)}


@dataclass(frozen=True)
class Anchor:
    record_count: int
    head_digest: str
    taken_at: str
    name: str  # where it came from: a file name, a JSON path


def _field_problems(document: Any, path: str) -> list[Problem]:
    if not isinstance(document, dict):
        return [Problem(path, "an anchor is a JSON object")]
    expected = {
        "format": lambda v: v == FORMAT,
        "record_count": lambda v: type(v) is int and 0 <= v <= MAX_RECORD_COUNT,
        "head_digest": lambda v: isinstance(v, str) and _HEX64.fullmatch(v) is not None,
        "algorithm": lambda v: v == ALGORITHM,
        "taken_at": lambda v: isinstance(v, str) and _TIMESTAMP.fullmatch(v) is not None,
        "signature_algorithm": lambda v: v == SIGNATURE_ALGORITHM,
        "key_id": lambda v: isinstance(v, str) and 0 < len(v) <= 64,
        "signature": lambda v: isinstance(v, str) and _HEX64.fullmatch(v) is not None,
    }
    hints = {
        "format": f'"{FORMAT}"',
        "record_count": f"a whole number from 0 to {MAX_RECORD_COUNT}",
        "head_digest": "64 lowercase hex digits",
        "algorithm": f'"{ALGORITHM}"',
        "taken_at": "UTC, as 2026-07-01T09:30:00.000000Z",
        "signature_algorithm": f'"{SIGNATURE_ALGORITHM}"',
        "key_id": "1 to 64 characters",
        "signature": "64 lowercase hex digits",
    }
    problems = [
        Problem(f"{path}.{name}", "missing" if name not in document else f"expected {hint}")
        for name, hint in hints.items()
        if name not in document or not expected[name](document[name])
    ]
    problems += [
        Problem(f"{path}.{name}", "not a field of an anchor")
        for name in document
        if name not in expected
    ]
    return problems


def parse(document: Any, key: AnchorKey | None, name: str, path: str = "$") -> Anchor:
    """The anchor `document` states, checked field by field and (unless `key` is None) by
    its signature; Invalid, every problem located under `path`, otherwise."""
    problems = _field_problems(document, path)
    if not problems and key is not None:
        body = {k: v for k, v in document.items() if k != "signature"}
        if not hmac.compare_digest(_signature(body, key), document["signature"]):
            other = document["key_id"] != key.key_id
            why = (
                f"signed with another key (key id {document['key_id']}; this Accord's"
                f" {key.source} gives {key.key_id})"
                if other
                else "the anchor was edited after it was signed"
            )
            problems.append(Problem(f"{path}.signature", f"the signature does not match: {why}"))
    if problems:
        raise Invalid(f"{name}: not a valid audit chain anchor", problems)
    return Anchor(document["record_count"], document["head_digest"], document["taken_at"], name)


@dataclass(frozen=True)
class AnchorCheck:
    """One anchor against the chain now: `ok`, or `reason` naming the record that differs."""

    name: str
    record_count: int
    head_digest: str
    taken_at: str
    ok: bool
    reason: str | None


def _check_one(anchor: Anchor, stored: str | None, last_id: int, good_before: int) -> AnchorCheck:
    n = anchor.record_count
    if stored is None:
        reason = (
            f"the anchor counts {n} records but the chain now ends at record {last_id}:"
            " records were removed from the end"
        )
    elif stored == anchor.head_digest:
        reason = None
    else:
        since = f"record {n}" if good_before + 1 >= n else f"records {good_before + 1} to {n}"
        reason = (
            f"record {n} now has hash {stored}, the anchor (taken {anchor.taken_at}) says"
            f" {anchor.head_digest}: one of {since} was rewritten since"
        )
    return AnchorCheck(anchor.name, n, anchor.head_digest, anchor.taken_at, reason is None, reason)


def check(session: Session, anchors: list[Anchor]) -> tuple[audit.Verification, list[AnchorCheck]]:
    """The chain's own verification and, for each anchor (fewest records first), whether
    the chain still extends it. A failing anchor names the records that changed: those
    after the last anchor before it that still holds."""
    result = audit.verify(session)
    table = AuditRecord.__table__
    counts = sorted({a.record_count for a in anchors} - {0})
    rows = session.execute(select(table.c.id, table.c.record_hash).where(table.c.id.in_(counts)))
    stored = {row.id: row.record_hash for row in rows}
    stored[0] = GENESIS_HASH
    last_id = session.scalar(select(table.c.id).order_by(table.c.id.desc()).limit(1)) or 0
    checks: list[AnchorCheck] = []
    good_before = 0
    for anchor in sorted(anchors, key=lambda a: a.record_count):
        one = _check_one(anchor, stored.get(anchor.record_count), last_id, good_before)
        if one.ok:
            good_before = max(good_before, anchor.record_count)
        checks.append(one)
    return result, checks
