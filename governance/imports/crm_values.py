"""Cells as a CRM export writes them: money, dates in a declared format, picklist values.

    Money(thousands=",", decimal=".").parse("$120,000.00")   # ("120000.00", None)
    Money().parse("USD 1,500")                              # ("1500", "USD")
    DateFormat("MM/DD/YYYY").parse("11/14/2026")            # "2026-11-14"
    fold_value("  Closed   won ")                           # "closed won"
    OwnerRef("email", "ana@example.com")                    # an owner to resolve

Each parser returns the canonical text `rules.data` reads (numbers stay exact text, never
a float) or raises `CellError` with a message that quotes the cell; the caller adds where
it is. Nothing is guessed: `1,20,000` is not a grouping, `14/11/2026` is not MM/DD/YYYY.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

SYMBOLS = ("$", "€", "£", "¥")
DATE_TOKENS = ("YYYY", "MM", "DD")
DATE_SEPARATORS = "/-. "


class CellError(ValueError):
    """A cell the declared format does not read; the message quotes the cell."""


def fold_value(text: str) -> str:
    """How picklist values are compared: case and runs of spaces do not matter."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Money:
    """Amounts like `$120,000.00`, `USD 120,000.00`, `120.000,00 €` (separators declared)."""

    thousands: str = ","
    decimal: str = "."
    symbols: tuple[str, ...] = SYMBOLS
    _pattern: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        t, d = re.escape(self.thousands), re.escape(self.decimal)
        number = rf"(?P<int>[0-9]{{1,3}}(?:{t}[0-9]{{3}})+|[0-9]+)(?:{d}(?P<frac>[0-9]+))?"
        symbol = "|".join(re.escape(s) for s in self.symbols) or "(?!)"
        code = "[A-Z]{3}"
        pattern = (
            rf"^(?P<sign>-)?\s*(?:(?P<pre_code>{code})\s+|(?P<pre_sym>{symbol})\s*)?(?P<sign2>-)?"
            rf"{number}(?:\s*(?P<post_sym>{symbol})|\s+(?P<post_code>{code}))?$"
        )
        object.__setattr__(self, "_pattern", re.compile(pattern))

    def parse(self, cell: str) -> tuple[str, str | None]:
        """(the amount as plain decimal text, the currency code written in the cell or None)."""
        match = self._pattern.match(cell.strip())
        if match is None or (match["sign"] and match["sign2"]):
            raise CellError(f"expected an amount such as {self.example()}, got {cell!r}")
        if (match["pre_code"] or match["pre_sym"]) and (match["post_code"] or match["post_sym"]):
            raise CellError(f"expected an amount such as {self.example()}, got {cell!r}")
        whole = match["int"].replace(self.thousands, "")
        text = whole + (f".{match['frac']}" if match["frac"] is not None else "")
        if match["sign"] or match["sign2"]:
            text = "-" + text
        return text, match["pre_code"] or match["post_code"]

    def example(self) -> str:
        return f"$120{self.thousands}000{self.decimal}00"


@dataclass(frozen=True)
class DateFormat:
    """A declared date format made of YYYY, MM and DD and one separator (`MM/DD/YYYY`).

    MM and DD accept one or two digits (`1/5/2026`); ISO dates (`2026-11-14`) are always
    read too, since no declared format can confuse them.
    """

    text: str
    _pattern: re.Pattern = field(init=False, repr=False, compare=False)
    _order: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = re.split(r"(YYYY|MM|DD)", self.text)
        tokens = tuple(p for p in parts if p in DATE_TOKENS)
        separators = [p for p in parts if p and p not in DATE_TOKENS]
        if sorted(tokens) != sorted(DATE_TOKENS) or any(
            len(s) != 1 or s not in DATE_SEPARATORS for s in separators
        ):
            raise ValueError(
                f"{self.text!r} is not a date format made of YYYY, MM and DD separated by one "
                "of / - . or a space (MM/DD/YYYY, DD.MM.YYYY, YYYY-MM-DD)"
            )
        regex = "".join(
            {"YYYY": "([0-9]{4})", "MM": "([0-9]{1,2})", "DD": "([0-9]{1,2})"}.get(p, re.escape(p))
            for p in parts
            if p
        )
        object.__setattr__(self, "_pattern", re.compile(f"^{regex}$"))
        object.__setattr__(self, "_order", tokens)

    def parse(self, cell: str) -> str:
        """The date as `YYYY-MM-DD`; raises `CellError` for any other text or no such day."""
        text = cell.strip()
        match, order = self._pattern.match(text), self._order
        if match is None:
            match, order = _ISO.match(text), DATE_TOKENS
        if match is None:
            raise CellError(f"expected a date {self.text}, got {cell!r}")
        parts = dict(zip(order, (int(g) for g in match.groups()), strict=True))
        try:
            day = date(parts["YYYY"], parts["MM"], parts["DD"])
        except ValueError:
            raise CellError(f"{cell!r} is not a day that exists (read as {self.text})") from None
        return day.isoformat()

    def format(self, day: date, *, pad: bool = True) -> str:
        """`day` written in this format (the inverse of `parse`; used by tests and docs)."""
        width = 2 if pad else 1
        values = {
            "YYYY": f"{day.year:04d}",
            "MM": f"{day.month:0{width}d}",
            "DD": f"{day.day:0{width}d}",
        }
        return "".join(values.get(p, p) for p in re.split(r"(YYYY|MM|DD)", self.text) if p)


_ISO = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")


@dataclass(frozen=True)
class OwnerRef:
    """A deal's owner as a CRM names it (by `email` or `crm_user_id`), resolved to a
    participant id by the validator, which knows the import and the database."""

    by: str
    value: str

    def __str__(self) -> str:
        return self.value
