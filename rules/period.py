"""Compensation periods: `2026-07` (month), `2026-Q3` (quarter), `2026` (year)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

# ASCII digits only (`\d` would take "２０２６" for 2026), the whole text (no trailing "\n").
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
_QUARTER = re.compile(r"([0-9]{4})-Q([1-4])")
_YEAR = re.compile(r"([0-9]{4})")


class PeriodError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date  # inclusive
    kind: str
    name: str

    @classmethod
    def parse(cls, text: str) -> Period:
        if not isinstance(text, str):
            raise PeriodError(f"a period is a string such as 2026-Q3, not {text!r}")
        m = _MONTH.fullmatch(text) or _QUARTER.fullmatch(text) or _YEAR.fullmatch(text)
        if m and m[1] == "0000":  # date() knows years 1 to 9999: an error, not a traceback
            raise PeriodError(f"{text!r} is not a period: years run from 0001 to 9999")
        if m and m.re is _MONTH:
            return cls._make("month", int(m[1]), int(m[2]), int(m[2]))
        if m and m.re is _QUARTER:
            q = int(m[2])
            return cls._make("quarter", int(m[1]), 3 * q - 2, 3 * q)
        if m:
            return cls._make("year", int(m[1]), 1, 12)
        raise PeriodError(f"{text!r} is not a period (2026-07, 2026-Q3 or 2026)")

    @classmethod
    def containing(cls, day: date, kind: str) -> Period:
        if kind == "month":
            return cls._make("month", day.year, day.month, day.month)
        if kind == "quarter":
            q = (day.month - 1) // 3 + 1
            return cls._make("quarter", day.year, 3 * q - 2, 3 * q)
        if kind == "year":
            return cls._make("year", day.year, 1, 12)
        raise PeriodError(f"unknown period kind {kind!r}")

    @classmethod
    def _make(cls, kind: str, year: int, first_month: int, last_month: int) -> Period:
        start = date(year, first_month, 1)
        end = date(year, last_month, calendar.monthrange(year, last_month)[1])
        if kind == "month":
            name = f"{year:04d}-{first_month:02d}"
        elif kind == "quarter":
            name = f"{year:04d}-Q{(first_month - 1) // 3 + 1}"
        else:
            name = f"{year:04d}"
        return cls(start=start, end=end, kind=kind, name=name)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def next(self) -> Period:
        from datetime import timedelta

        return Period.containing(self.end + timedelta(days=1), self.kind)

    def previous(self) -> Period:
        from datetime import timedelta

        return Period.containing(self.start - timedelta(days=1), self.kind)

    def __str__(self) -> str:
        return self.name
