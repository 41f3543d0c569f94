"""The canonical form of a plan document: what its version hash is computed over.

    version = version_hash(plan.document)  # "sha256:" + sha256 of canonical_json(...)

Two documents that mean the same thing hash equal: numbers are normalised to one exact
plain text (`0.060`, `0.06` and `6E-2` are all `0.06`), keys are sorted, separators
compact, text UTF-8. In `Plan.document` a non-integer number is a `DecimalText`, a `str`
that `canonical_json` and `dump_yaml` still write as a number.

The decisions: docs/plan-validation.md, "Version hash and canonical form".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import yaml

from rules.text import characters
from rules.yamlload import check_decimal_range


class DecimalText(str):
    """A number kept as its normalised decimal text, e.g. DecimalText("0.06")."""

    __slots__ = ()

    @property
    def decimal(self) -> Decimal:
        return Decimal(str(self))


def normalise_decimal(value: Decimal | int) -> str:
    """The one text of a number: exact, plain notation, no trailing zeros, no `-0`."""
    value = Decimal(value)
    check_decimal_range(value)
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def number_from_float(value: float) -> Decimal:
    """A float that reached us from outside (e.g. a JSON parser not told to use Decimal).

    Its shortest repr is the literal that was written (`0.06` stays `0.06`), which is what
    the author meant; never `Decimal(value)`, which would give 0.0599999999999999977...
    """
    return Decimal(repr(value))


def out_of_range(value: Any, path: str = "$") -> list[str]:
    """JSON paths of numbers in a document that have no canonical form (see MAX_DIGITS)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, Decimal)):
        try:
            check_decimal_range(Decimal(value))
        except ValueError:
            return [path]
        return []
    if isinstance(value, Mapping):
        return [p for k, v in value.items() for p in out_of_range(v, f"{path}.{k}")]
    if isinstance(value, (list, tuple)):
        return [p for i, v in enumerate(value) for p in out_of_range(v, f"{path}[{i}]")]
    return []


def to_document(value: Any) -> Any:
    """Copy parsed YAML/JSON (or a caller's mapping) into the plain document form.

    Integers stay `int`; Decimals and floats become `DecimalText` (integral ones `int`);
    dates become ISO text; tuples become lists. Keys are kept as they are: the validators
    report keys that are not text.
    """
    if isinstance(value, bool) or value is None or isinstance(value, DecimalText):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        value = number_from_float(value)
    if isinstance(value, Decimal):
        try:
            text = normalise_decimal(value)
        except ValueError:
            return value  # out of range: left for the validators to report
        return int(text) if "." not in text else DecimalText(text)
    if isinstance(value, str):
        return characters(value) or value  # a lone surrogate: left for the validators
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {key: to_document(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_document(item) for item in value]
    return value


def _render(value: Any, out: list[str]) -> None:
    if value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif value is None:
        out.append("null")
    elif isinstance(value, DecimalText):
        out.append(normalise_decimal(Decimal(str(value))))
    elif isinstance(value, (int, Decimal)):
        out.append(normalise_decimal(value))
    elif isinstance(value, float):
        out.append(normalise_decimal(number_from_float(value)))
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, Mapping):
        out.append("{")
        for i, key in enumerate(sorted(value, key=str)):
            if i:
                out.append(",")
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(":")
            _render(value[key], out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _render(item, out)
        out.append("]")
    elif isinstance(value, date):
        out.append(json.dumps(value.isoformat()))
    else:
        raise TypeError(f"{type(value).__name__} has no canonical JSON form")


def canonical_json(document: Any) -> str:
    """Sorted keys, compact separators, exact normalised numbers, UTF-8 text kept as is."""
    out: list[str] = []
    _render(document, out)
    return "".join(out)


def version_hash(document: Any) -> str:
    """`sha256:<hex>` of the canonical JSON of a document, encoded as UTF-8."""
    digest = hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()
    return f"sha256:{digest}"


# --------------------------------------------------------------------------- YAML export

# The order a person reads a plan in; keys not listed follow in alphabetical order.
_KEY_ORDER = [
    "policy",
    "title",
    "currency",
    "period",
    "eligibility",
    "credit",
    "rates",
    "tiers",
    "gates",
    "caps",
    "clawbacks",
    "spifs",
    "draw",
    "tests",
    "id",
    "name",
    "basis",
    "mode",
    "bands",
    "from",
    "to",
    "when",
    "share",
    "rate",
    "multiplier",
    "effect",
    "triggers",
    "within_days",
    "within_months",
    "recover",
    "amount",
    "recoverable",
    "until",
    "per_deal",
    "per_period",
    "data",
    "expect",
    "participant",
]
_RANK = {key: i for i, key in enumerate(_KEY_ORDER)}


class _Dumper(yaml.SafeDumper):
    """Writes numbers plainly and quotes every string another YAML reader could misread."""

    def ignore_aliases(self, data: Any) -> bool:  # the loader refuses aliases
        return True


def _represent_number_text(dumper: _Dumper, data: DecimalText) -> yaml.ScalarNode:
    text = normalise_decimal(Decimal(str(data)))
    # Tag it as whatever a plain scalar of this text resolves to, so it is written unquoted.
    tag = dumper.resolve(yaml.ScalarNode, text, (True, False))
    return dumper.represent_scalar(tag, text)


def _represent_decimal(dumper: _Dumper, data: Decimal) -> yaml.ScalarNode:
    return _represent_number_text(dumper, DecimalText(normalise_decimal(data)))


def _represent_mapping(dumper: _Dumper, data: Mapping) -> yaml.MappingNode:
    keys = sorted(data, key=lambda k: (_RANK.get(k, len(_RANK)), str(k)))
    return dumper.represent_mapping("tag:yaml.org,2002:map", [(k, data[k]) for k in keys])


_Dumper.add_representer(DecimalText, _represent_number_text)
_Dumper.add_representer(Decimal, _represent_decimal)
_Dumper.add_representer(dict, _represent_mapping)


def dump_yaml(document: Any) -> str:
    """Deterministic YAML for a document; it loads back to the same canonical JSON."""
    return yaml.dump(
        to_document(document),
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1_000_000,
    )
