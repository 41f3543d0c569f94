"""Who works at Northwind Cloud, the demo company: 47 participants and their plans.

The roster is written out by hand (not drawn at random) so that docs/demo.md can name
people and the stories worth looking at stay put: a star AE on accelerators, recent
hires still in ramp, an SE promoted to AE on 1 July (a mid-year plan change), an AE who
left on 14 August and the AE hired to replace her. `perf` is how each person tends to
perform against quota (1 = on target); quotas are derived from it in the generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

# The demo's pinned "today": every date in the data is on or before it, and the demo's
# four quarters are the ones ending with the quarter that contains it (2026-Q1..2026-Q4).
DEMO_TODAY = date(2026, 11, 24)
YEAR_START = date(2026, 1, 1)

AE_PLAN = "ae-plan"
SE_PLAN = "se-overlay"
MARKETING_PLAN = "marketing-attribution"
CSM_PLAN = "csm-renewals"
MANAGER_PLAN = "manager-rollup"
PLANS = (AE_PLAN, SE_PLAN, MARKETING_PLAN, CSM_PLAN, MANAGER_PLAN)


@dataclass(frozen=True)
class Stint:
    """One assignment: on `plan` as `role` in `team` from `start` to `end` (inclusive)."""

    plan: str
    role: str
    team: str
    start: date
    end: date | None = None


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    title: str
    region: str
    city: str
    hire: date
    manager: str | None
    stints: tuple[Stint, ...]
    perf: Decimal = Decimal("1")
    currency: str = "USD"  # the currency most of their deals are booked in


def _person(
    pid: str,
    name: str,
    title: str,
    region: str,
    city: str,
    hire: str,
    manager: str | None,
    plan: str,
    role: str,
    team: str,
    perf: str = "1",
    currency: str = "USD",
    start: str | None = None,
    end: str | None = None,
) -> Person:
    """A person with one assignment starting on 1 January or on their hire date."""
    hired = date.fromisoformat(hire)
    first = date.fromisoformat(start) if start else max(hired, YEAR_START)
    last = date.fromisoformat(end) if end else None
    stint = Stint(plan, role, team, first, last)
    return Person(pid, name, title, region, city, hired, manager, (stint,), Decimal(perf), currency)


_VP = "victoria-hale"
_NAE, _NAW, _EMEA, _APAC = "jordan-reyes", "priya-natarajan", "lukas-becker", "aisha-rahman"
_SEM, _MKT, _CS = "nora-lindqvist", "rachel-owens", "carlos-mendes"

_M, _AE, _SE, _MK, _CSM = "Manager", "AE", "SE", "Marketing", "CSM"


def _ae(pid, name, region, city, hire, manager, team, perf, currency="USD", **kw) -> Person:
    title = "Account Executive"
    return _person(
        pid, name, title, region, city, hire, manager, AE_PLAN, _AE, team, perf, currency, **kw
    )


# fmt: off
ROSTER: tuple[Person, ...] = (
    # Leadership and first-line managers (manager-rollup). Managers come before their
    # reports, so the roster can be loaded in order.
    _person(_VP, "Victoria Hale", "VP Revenue", "NA", "New York", "2019-03-04", None,
            MANAGER_PLAN, "VP", "leadership", "0.97"),
    _person(_NAE, "Jordan Reyes", "Sales Manager, NA East", "NA", "Boston", "2021-02-08", _VP,
            MANAGER_PLAN, _M, "na-east", "1.04"),
    _person(_NAW, "Priya Natarajan", "Sales Manager, NA West", "NA", "San Francisco",
            "2020-06-15", _VP, MANAGER_PLAN, _M, "na-west", "0.93"),
    _person(_EMEA, "Lukas Becker", "Sales Manager, EMEA", "EMEA", "Berlin", "2022-01-10", _VP,
            MANAGER_PLAN, _M, "emea", "1.01", "EUR"),
    _person(_APAC, "Aisha Rahman", "Sales Manager, APAC", "APAC", "Singapore", "2023-04-03",
            _VP, MANAGER_PLAN, _M, "apac", "0.9"),
    _person(_SEM, "Nora Lindqvist", "Solutions Engineering Manager", "EMEA", "Stockholm",
            "2020-10-05", _VP, MANAGER_PLAN, _M, "se", "1"),
    _person(_CS, "Carlos Mendes", "Director, Customer Success", "NA", "Austin", "2021-07-19",
            _VP, MANAGER_PLAN, _M, "cs", "1"),
    _person(_MKT, "Rachel Owens", "Director, Demand Generation", "NA", "Chicago", "2020-01-13",
            _VP, MARKETING_PLAN, "Marketing Director", "marketing", "1"),
    # Account executives, NA East.
    _ae("ana-silva", "Ana Silva", "NA", "Boston", "2022-03-14", _NAE, "na-east", "1.38"),
    _ae("ben-carter", "Ben Carter", "NA", "New York", "2023-08-21", _NAE, "na-east", "0.96"),
    _ae("chloe-nguyen", "Chloe Nguyen", "NA", "Atlanta", "2024-01-08", _NAE, "na-east", "0.81"),
    _ae("david-okafor", "David Okafor", "NA", "Toronto", "2021-11-01", _NAE, "na-east", "1.12"),
    _ae("emily-brooks", "Emily Brooks", "NA", "Philadelphia", "2025-02-03", _NAE, "na-east",
        "0.74"),
    _ae("frank-moretti", "Frank Moretti", "NA", "New York", "2026-06-01", _NAE, "na-east",
        "0.62"),
    # Account executives, NA West: a leaver (Jamal, last day 14 August), her replacement
    # (Maya, from 14 September) and Luis, promoted from SE to AE on 1 July.
    _ae("grace-kim", "Grace Kim", "NA", "Seattle", "2022-09-12", _NAW, "na-west", "1.07"),
    _ae("hector-alvarez", "Hector Alvarez", "NA", "Los Angeles", "2020-04-20", _NAW, "na-west",
        "1.21"),
    _ae("isabel-wright", "Isabel Wright", "NA", "Denver", "2024-05-13", _NAW, "na-west", "0.88"),
    _ae("jamal-harris", "Jamal Harris", "NA", "San Diego", "2023-02-27", _NAW, "na-west", "0.92",
        end="2026-08-14"),
    _ae("kai-andersen", "Kai Andersen", "NA", "Portland", "2025-07-07", _NAW, "na-west", "0.85"),
    Person("luis-ortega", "Luis Ortega", "Account Executive", "NA", "San Jose",
           date(2023, 10, 2), _NAW, (
               Stint(SE_PLAN, _SE, "se-na", YEAR_START, date(2026, 6, 30)),
               Stint(AE_PLAN, _AE, "na-west", date(2026, 7, 1)),
           ), Decimal("0.9")),
    _ae("maya-patel", "Maya Patel", "NA", "San Francisco", "2026-09-14", _NAW, "na-west", "0.7"),
    # Account executives, EMEA (EUR and GBP deals).
    _ae("sophie-laurent", "Sophie Laurent", "EMEA", "Paris", "2021-05-17", _EMEA, "emea",
        "1.16", "EUR"),
    _ae("oliver-hughes", "Oliver Hughes", "EMEA", "London", "2022-11-07", _EMEA, "emea", "1.02",
        "GBP"),
    _ae("elena-rossi", "Elena Rossi", "EMEA", "Milan", "2023-06-05", _EMEA, "emea", "0.94",
        "EUR"),
    _ae("niklas-berg", "Niklas Berg", "EMEA", "Stockholm", "2024-03-18", _EMEA, "emea", "0.83",
        "EUR"),
    _ae("amira-haddad", "Amira Haddad", "EMEA", "Dubai", "2025-09-01", _EMEA, "emea", "0.9"),
    _ae("tom-fischer", "Tom Fischer", "EMEA", "Munich", "2026-04-13", _EMEA, "emea", "0.66",
        "EUR"),
    # Account executives, APAC.
    _ae("ryan-tan", "Ryan Tan", "APAC", "Singapore", "2022-07-25", _APAC, "apac", "1.05"),
    _ae("hiroshi-yamamoto", "Hiroshi Yamamoto", "APAC", "Tokyo", "2021-09-13", _APAC, "apac",
        "0.98"),
    _ae("charlotte-evans", "Charlotte Evans", "APAC", "Sydney", "2024-10-14", _APAC, "apac",
        "0.87"),
    _ae("arjun-mehta", "Arjun Mehta", "APAC", "Bangalore", "2025-11-03", _APAC, "apac", "0.76"),
    # Solutions engineers (se-overlay); Zoe backfills Luis's SE seat.
    _person("samuel-green", "Samuel Green", "Solutions Engineer", "NA", "Boston", "2020-08-03",
            _SEM, SE_PLAN, _SE, "se-na", "1.08"),
    _person("tara-mcdonald", "Tara McDonald", "Solutions Engineer", "NA", "Denver",
            "2023-01-16", _SEM, SE_PLAN, _SE, "se-na", "0.95"),
    _person("zoe-adams", "Zoe Adams", "Solutions Engineer", "NA", "San Jose", "2026-07-06",
            _SEM, SE_PLAN, _SE, "se-na", "0.8"),
    _person("pierre-dubois", "Pierre Dubois", "Solutions Engineer", "EMEA", "Paris",
            "2022-04-04", _SEM, SE_PLAN, _SE, "se-emea", "1.03"),
    _person("anna-kowalska", "Anna Kowalska", "Solutions Engineer", "EMEA", "Warsaw",
            "2024-09-09", _SEM, SE_PLAN, _SE, "se-emea", "0.9"),
    _person("vikram-singh", "Vikram Singh", "Solutions Engineer", "APAC", "Singapore",
            "2023-03-20", _SEM, SE_PLAN, _SE, "se-apac", "0.97"),
    # Marketing (marketing-attribution: credit from deal touchpoints).
    _person("liam-foster", "Liam Foster", "Demand Generation Manager", "NA", "Chicago",
            "2021-03-29", _MKT, MARKETING_PLAN, _MK, "demand-gen", "1.1"),
    _person("megan-clarke", "Megan Clarke", "Events Marketing Manager", "NA", "New York",
            "2022-06-06", _MKT, MARKETING_PLAN, _MK, "events", "0.95"),
    _person("chiara-bianchi", "Chiara Bianchi", "Field Marketing Manager, EMEA", "EMEA",
            "Milan", "2023-09-11", _MKT, MARKETING_PLAN, _MK, "field-emea", "1"),
    _person("omar-farouk", "Omar Farouk", "Digital Marketing Manager", "EMEA", "London",
            "2024-02-12", _MKT, MARKETING_PLAN, _MK, "digital", "0.9"),
    _person("daniel-wu", "Daniel Wu", "Field Marketing Manager, APAC", "APAC", "Sydney",
            "2026-02-16", _MKT, MARKETING_PLAN, _MK, "field-apac", "0.85"),
    # Customer success (csm-renewals: CSMs own the renewal deals).
    _person("james-oconnor", "James O'Connor", "Customer Success Manager", "NA", "Austin",
            "2021-10-04", _CS, CSM_PLAN, _CSM, "cs-na", "1.02"),
    _person("marcus-johnson", "Marcus Johnson", "Customer Success Manager", "NA", "Chicago",
            "2023-05-22", _CS, CSM_PLAN, _CSM, "cs-na", "0.96"),
    _person("hannah-schmidt", "Hannah Schmidt", "Customer Success Manager", "EMEA", "Hamburg",
            "2022-02-14", _CS, CSM_PLAN, _CSM, "cs-emea", "1.05", "EUR"),
    _person("eva-novak", "Eva Novak", "Customer Success Manager", "EMEA", "Prague",
            "2026-03-02", _CS, CSM_PLAN, _CSM, "cs-emea", "0.9", "EUR"),
    _person("lily-chen", "Lily Chen", "Customer Success Manager", "APAC", "Singapore",
            "2022-08-08", _CS, CSM_PLAN, _CSM, "cs-apac", "1"),
)
# fmt: on

BY_ID = {p.id: p for p in ROSTER}


def active(person: Person, plan: str, day: date) -> Stint | None:
    """The person's assignment to `plan` that covers `day`, if any."""
    for stint in person.stints:
        if stint.plan == plan and stint.start <= day and (stint.end is None or day <= stint.end):
            return stint
    return None


def on_plan(plan: str, role: str | None = None) -> tuple[Person, ...]:
    """Everyone with an assignment to `plan` this year (in roster order)."""
    return tuple(
        p
        for p in ROSTER
        if any(s.plan == plan and (role is None or s.role == role) for s in p.stints)
    )
