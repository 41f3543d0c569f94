"""The demo organisation's data in the section-3 JSON shape (plan-language.md).

`generate_demo_data(seed, deals)` returns a plain JSON-able dict: money, shares and
rates as decimal strings, dates as ISO strings. Only a seeded `random.Random` and its
integer methods are used, and "today" is pinned to `DEMO_TODAY`, so the same arguments
always give byte-identical JSON (`json.dumps(data, sort_keys=True)`).

What is in it, on purpose:
- deals of three types (new and expansion owned by AEs, renewals owned by CSMs), bunched
  towards quarter ends, with a long-tailed amount distribution; EUR and GBP deals;
- gross margins under 25% and discounts over 20% (for margin-floor and discount gates);
- multi-year terms (SPIFs), splits (shares summing to exactly 1), SE deal-team members,
  marketing touchpoints with lead/opportunity milestones;
- cash collected after the quarter end, or not at all yet (pay-on-cash holds);
- cancellations and churns inside a clawback window, one outside it, one partial churn
  (with an amount), and one cancellation of a deal whose commission is still on hold;
- quotas for every participant, plan and quarter they are assigned in, set so that
  attainment spreads from under 50% to well over 100%.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app.demo import catalog
from app.demo.catalog import CENT, FX_RATES, fx_rate, pick
from app.demo.roster import (
    AE_PLAN,
    BY_ID,
    CSM_PLAN,
    DEMO_TODAY,
    MANAGER_PLAN,
    MARKETING_PLAN,
    ROSTER,
    SE_PLAN,
    Person,
    Stint,
    active,
    on_plan,
)
from rules.period import Period

RENEWAL_SHARE = Decimal("0.18")  # of all deals
EXPANSION_PERCENT = 30  # of AE deals
QUOTA_STEP = Decimal("5000")
QUOTA_FLOOR = Decimal("25000")
MARKETING_DIRECTOR = "rachel-owens"
SPLIT_SHARES = (
    (30, ("0.5", "0.5")),
    (25, ("0.6", "0.4")),
    (20, ("0.7", "0.3")),
    (15, ("0.75", "0.25")),
    (10, ("0.5", "0.25", "0.25")),
)


def demo_quarters(today: date = DEMO_TODAY) -> tuple[Period, ...]:
    """The four quarters ending with the one that contains `today`."""
    last = Period.containing(today, "quarter")
    quarters = [last]
    for _ in range(3):
        quarters.insert(0, quarters[0].previous())
    return tuple(quarters)


def generate_demo_data(seed: int = 2026, deals: int = 2000) -> dict[str, Any]:
    """The demo organisation as section-3 JSON (see the module docstring)."""
    if deals < 1:
        raise ValueError("the demo needs at least one deal")
    rng = random.Random(seed)
    quarters = demo_quarters()
    builder = _DealBuilder(rng, quarters)
    renewals = int((Decimal(deals) * RENEWAL_SHARE).to_integral_value(ROUND_HALF_UP))
    rows = builder.build(_slots(quarters, AE_PLAN), deals - renewals)
    rows += builder.build(_slots(quarters, CSM_PLAN), renewals)
    rows.sort(key=lambda d: (d["close_date"], d["owner"], d["amount"]))
    for number, row in enumerate(rows, start=1):
        row["id"] = f"D-{number:05d}"
    events = _events(rng, rows)
    quotas = _quotas(rng, rows, quarters)
    return {
        "participants": [_participant_json(p) for p in ROSTER],
        "quotas": quotas,
        "deals": [_deal_json(row) for row in rows],
        "events": events,
        "exceptions": [],
        "fx": [{"pair": p, "rate": str(r), "from": d.isoformat()} for p, r, d in FX_RATES],
    }


# --------------------------------------------------------------------------- deals


def _window(stint: Stint, quarter: Period) -> tuple[date, date] | None:
    """The days of `quarter` up to today on which `stint` is active."""
    start = max(stint.start, quarter.start)
    end = min(stint.end or quarter.end, quarter.end, DEMO_TODAY)
    return (start, end) if start <= end else None


def _slots(quarters, plan: str) -> list[tuple[int, Person, date, date, bool]]:
    """(weight, person, first day, last day, ends at quarter end) per person and quarter."""
    slots = []
    for person in on_plan(plan):
        for stint in person.stints:
            if stint.plan != plan:
                continue
            for quarter in quarters:
                window = _window(stint, quarter)
                if window is None:
                    continue
                days = (window[1] - window[0]).days + 1
                ramping = (window[0] - person.hire).days < 90
                weight = int(person.perf * 100) * days // (2 if ramping else 1)
                slots.append((weight, person, window[0], window[1], window[1] == quarter.end))
    return slots


class _DealBuilder:
    def __init__(self, rng: random.Random, quarters):
        self.rng = rng
        self.quarters = quarters
        self.names = catalog.AccountNames(rng)
        # Customers from before 2026, per region: the base expansions and renewals sell to.
        self.base = {
            region: [self.names.next(region) for _ in range(size)]
            for region, size in (("NA", 160), ("EMEA", 110), ("APAC", 60))
        }

    def build(self, slots, count: int) -> list[dict[str, Any]]:
        return [self._deal(*pick(self.rng, slots)[1:]) for _ in range(count)]

    def _close_date(self, first: date, last: date, quarter_end: bool) -> date:
        span = (last - first).days
        if quarter_end and span > 20 and self.rng.randrange(100) < 35:
            return last - timedelta(days=self.rng.randint(0, 13))  # the quarter-end push
        return first + timedelta(days=self.rng.randint(0, span))

    def _deal(self, owner: Person, first: date, last: date, quarter_end: bool) -> dict:
        rng = self.rng
        close = self._close_date(first, last, quarter_end)
        renewal = active(owner, CSM_PLAN, close) is not None
        if renewal:
            kind = "renewal"
        else:
            kind = "expansion" if rng.randrange(100) < EXPANSION_PERCENT else "new"
        if kind == "new":
            account = self.names.next(owner.region)
            self.base[owner.region].append(account)
        else:
            account = rng.choice(self.base[owner.region])
        discount = catalog.hundredths(rng, catalog.DISCOUNT[kind])
        amount = (catalog.list_price(rng, kind) * (1 - discount)).quantize(CENT)
        currency = owner.currency if rng.randrange(100) < 80 else "USD"
        usd = amount * fx_rate(f"{currency}/USD", close) if currency != "USD" else amount
        terms = catalog.RENEWAL_TERM_MONTHS if renewal else catalog.TERM_MONTHS
        margin = catalog.GROSS_MARGIN if not renewal else ((1, 70, 92),)
        deal = {
            "account": account,
            "type": kind,
            "amount": amount,
            "currency": currency,
            "close_date": close,
            "gross_margin": catalog.hundredths(rng, margin),
            "discount": discount,
            "term_months": pick(rng, terms)[1],
            "region": owner.region,
            "products": self._products(kind),
            "owner": owner.id,
            "splits": None,
            "team": [],
            "touchpoints": [],
            "cash_collected_date": self._cash(close),
            "attributes": {},
            "usd": usd,  # dropped from the JSON; used to set quotas
        }
        if renewal:
            deal["attributes"] = {"csat": pick(rng, catalog.CSAT)[1]}
            return deal
        segment = "enterprise" if usd >= 75_000 else "mid-market" if usd >= 15_000 else "smb"
        deal["attributes"] = {
            "segment": segment,
            "lead_source": pick(rng, catalog.LEAD_SOURCE)[1],
        }
        if rng.randrange(100) < 8:
            deal["splits"] = self._splits(owner, close)
        if usd >= 10_000 and rng.randrange(100) < 70:
            deal["team"] = self._se_team(owner, close)
        if rng.randrange(100) < (55 if kind == "new" else 20):
            deal["touchpoints"] = self._touchpoints(owner, close)
        return deal

    def _products(self, kind: str) -> list[str]:
        count = self.rng.choice((0, 0, 1, 1, 2, 3))
        add_ons = sorted(self.rng.sample(catalog.ADD_ONS, count))
        if kind == "expansion":
            return add_ons or [self.rng.choice(catalog.ADD_ONS)]
        return [catalog.PRODUCTS_CORE, *add_ons]

    def _cash(self, close: date) -> date | None:
        _weight, low, high = pick(self.rng, catalog.CASH_LAG)
        if low is None:
            return None
        collected = close + timedelta(days=self.rng.randint(low, high))
        return collected if collected <= DEMO_TODAY else None

    def _splits(self, owner: Person, close: date) -> list[dict] | None:
        peers = [p for p in on_plan(AE_PLAN) if p.id != owner.id and active(p, AE_PLAN, close)]
        same_region = [p for p in peers if p.region == owner.region]
        shares = pick(self.rng, SPLIT_SHARES)[1]
        pool = same_region if self.rng.randrange(100) < 80 and same_region else peers
        if len(pool) < len(shares) - 1:
            return None
        others = self.rng.sample(pool, len(shares) - 1)
        people = [owner, *others]
        return [
            {"participant": p.id, "share": Decimal(s)} for p, s in zip(people, shares, strict=True)
        ]

    def _se_team(self, owner: Person, close: date) -> list[dict]:
        ses = [
            p
            for p in on_plan(SE_PLAN, "SE")
            if p.region == owner.region and active(p, SE_PLAN, close)
        ]
        if not ses:
            return []
        count = 2 if len(ses) > 1 and self.rng.randrange(100) < 10 else 1
        return [{"participant": p.id, "role": "SE"} for p in self.rng.sample(ses, count)]

    def _touchpoints(self, owner: Person, close: date) -> list[dict]:
        rng = self.rng
        marketers = [
            (pid, channels)
            for pid, (region, channels) in catalog.MARKETERS.items()
            if region in (None, owner.region) and active(BY_ID[pid], MARKETING_PLAN, close)
        ]
        count = pick(rng, catalog.TOUCH_COUNT)[1]
        offsets = sorted(rng.sample(range(3, 181), count), reverse=True)
        touches = []
        for offset in offsets:
            at = close - timedelta(days=offset)
            present = [m for m in marketers if BY_ID[m[0]].hire <= at] or marketers
            pid, channels = rng.choice(present)
            touches.append({"participant": pid, "at": at, "channel": rng.choice(channels)})
        if count == 1:
            if rng.randrange(100) < 50:
                touches[0]["milestone"] = "lead"
        elif rng.randrange(100) < 75:
            lead = 0 if count == 2 or rng.randrange(100) < 30 else 1
            touches[lead]["milestone"] = "lead"
            touches[rng.randint(lead + 1, count - 1)]["milestone"] = "opportunity"
        return touches


# --------------------------------------------------------------------------- events


def _events(rng: random.Random, rows: list[dict]) -> list[dict[str, Any]]:
    """Cancellations and churns (mostly inside a 180-day clawback window)."""
    used: set[str] = set()

    def take(candidates: list[dict], low: int, high: int, kind: str, amount=None):
        def first_day(deal: dict) -> int:
            # An invoice that was paid is cancelled or churned after it was paid.
            cash = deal["cash_collected_date"]
            return max(low, (cash - deal["close_date"]).days + 1) if cash else low

        def last_day(deal: dict) -> int:
            return min(high, (DEMO_TODAY - deal["close_date"]).days)

        candidates = [d for d in candidates if d["id"] not in used]
        candidates = [d for d in candidates if first_day(d) <= last_day(d)]
        if not candidates:
            return None
        deal = rng.choice(candidates)
        used.add(deal["id"])
        days = rng.randint(first_day(deal), last_day(deal))
        part = None if amount is None else (deal["amount"] * amount).quantize(CENT)
        return {
            "deal": deal["id"],
            "kind": kind,
            "date": deal["close_date"] + timedelta(days=days),
            "amount": part,
        }

    new = [d for d in rows if d["type"] == "new"]
    recurring = [d for d in rows if d["type"] in ("expansion", "renewal")]
    split = [d for d in new if d["splits"]]
    unpaid = [d for d in new if d["cash_collected_date"] is None and d["close_date"].month >= 7]
    early = [d for d in recurring if d["close_date"] < date(2026, 3, 15)]
    picks = [take(new, 10, 170, "cancellation") for _ in range(5)]
    picks += [take(recurring, 30, 175, "churn") for _ in range(4)]
    picks += [
        take(split, 20, 150, "cancellation"),  # clawed back from every split partner
        take(unpaid, 5, 60, "cancellation"),  # still held at the event: forfeited
        take(recurring, 40, 160, "churn", Decimal("0.35")),  # partial: 35% of the deal
        take(early, 200, 240, "churn"),  # outside a 180-day window: nothing recovered
    ]
    for rep in ("ana-silva", "sophie-laurent"):  # the demo reps see a clawback of their own
        own = [d for d in new if d["owner"] == rep and d["cash_collected_date"]]
        own = [d for d in own if d["currency"] == BY_ID[rep].currency]
        picks.append(take(own, 20, 150, "cancellation"))
    events = [
        {**e, "date": e["date"].isoformat(), "amount": _text(e["amount"])} for e in picks if e
    ]
    return sorted(events, key=lambda e: (e["date"], e["deal"]))


# --------------------------------------------------------------------------- quotas


def _quotas(rng: random.Random, rows: list[dict], quarters) -> list[dict[str, str]]:
    """Quotas that put each person's attainment near their `perf`, with some noise.

    A rough credit per team and plan over the days its people were assigned (up to the
    pinned today) gives a run rate per quarter (see below); managers carry 90% of their
    reports' prorated quotas, the VP 90% of her sales and CS managers', and the director
    of demand generation her team's.
    """
    credit: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for deal in rows:
        q = Period.containing(deal["close_date"], "quarter").name
        usd = deal["usd"]
        if deal["type"] == "renewal":
            credit[deal["owner"], CSM_PLAN, q] += usd
            continue
        for entry in deal["splits"] or [{"participant": deal["owner"], "share": 1}]:
            credit[entry["participant"], AE_PLAN, q] += usd * entry["share"]
        for member in deal["team"]:
            credit[member["participant"], SE_PLAN, q] += usd / len(deal["team"])
        for touch in deal["touchpoints"]:
            credit[touch["participant"], MARKETING_PLAN, q] += usd / len(deal["touchpoints"])

    # A quota per team: the team's credit per (ramped) person-day over the year so far,
    # times the days of a quarter; halved for a quarter that starts in someone's first 90
    # days (a ramp quota). Each person's `perf` then shows in their attainment.
    earned: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    person_days: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    windows = {}
    for person in ROSTER:
        for stint in person.stints:
            for quarter in quarters:
                if (window := _window(stint, quarter)) is None:
                    continue
                key = (person.id, stint.plan, quarter.name)
                windows[key] = (stint, quarter, window)
                team = (stint.plan, stint.team)
                earned[team] += credit[key]
                person_days[team] += _ramp(person, window[0]) * ((window[1] - window[0]).days + 1)
    amounts: dict[tuple[str, str, str], Decimal] = {}
    covered: dict[tuple[str, str, str], Decimal] = {}  # share of the quarter assigned
    for key, (stint, quarter, window) in windows.items():
        person = BY_ID[key[0]]
        end = min(stint.end or quarter.end, quarter.end)
        covered[key] = Decimal((end - window[0]).days + 1) / quarter.days
        rate = earned[stint.plan, stint.team] / person_days[stint.plan, stint.team]
        noise = Decimal(100 + rng.randint(-5, 5)) / 100
        amounts[key] = rate * quarter.days * _ramp(person, window[0]) * noise
    _roll_up(amounts, covered)
    quotas = []
    order = {p.id: n for n, p in enumerate(ROSTER)}
    for pid, plan, period in sorted(amounts, key=lambda k: (order[k[0]], k[1], k[2])):
        quota = _round(amounts[pid, plan, period])
        quotas.append({"participant": pid, "plan": plan, "period": period, "amount": str(quota)})
    return quotas


def _roll_up(amounts: dict, covered: dict) -> None:
    """Managers: 90% of their reports' (prorated) quotas; the VP's over her managers."""
    team_plan = {"se": SE_PLAN, "cs": CSM_PLAN, "marketing": MARKETING_PLAN}

    def carried(pid: str, plan: str, period: str, skip_team: str = "") -> Decimal:
        keys = [
            k
            for k in amounts
            if k[1:] == (plan, period)
            and BY_ID[k[0]].manager == pid
            and BY_ID[k[0]].stints[0].team != skip_team
        ]
        return sum((_round(amounts[k]) * covered[k] for k in keys), Decimal())

    leaders = [k for k in amounts if k[1] == MANAGER_PLAN or k[0] == MARKETING_DIRECTOR]
    for key in sorted(leaders, key=lambda k: BY_ID[k[0]].manager is None):
        pid, plan, period = key
        stint = BY_ID[pid].stints[0]
        if BY_ID[pid].manager is None:  # the VP
            managers = carried(pid, MANAGER_PLAN, period, skip_team="se")
            amounts[key] = Decimal("0.9") * managers
        elif plan == MARKETING_PLAN:
            amounts[key] = carried(pid, MARKETING_PLAN, period)
        else:
            reports_plan = team_plan.get(stint.team, AE_PLAN)
            amounts[key] = Decimal("0.9") * carried(pid, reports_plan, period)


def _ramp(person: Person, day: date) -> Decimal:
    return Decimal("0.5") if (day - person.hire).days < 90 else Decimal(1)


def _round(amount: Decimal) -> Decimal:
    steps = (amount / QUOTA_STEP).to_integral_value(ROUND_HALF_UP)
    return max(steps * QUOTA_STEP, QUOTA_FLOOR)


# --------------------------------------------------------------------------- JSON


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _participant_json(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "hire_date": person.hire.isoformat(),
        "region": person.region,
        "manager": person.manager,
        "attributes": {"title": person.title, "city": person.city},
        "assignments": [
            {
                "plan": s.plan,
                "role": s.role,
                "team": s.team,
                "start": s.start.isoformat(),
                "end": s.end.isoformat() if s.end else None,
            }
            for s in person.stints
        ],
    }


def _deal_json(row: dict[str, Any]) -> dict[str, Any]:
    cash = row["cash_collected_date"]
    return {
        "id": row["id"],
        "account": row["account"],
        "type": row["type"],
        "amount": str(row["amount"]),
        "currency": row["currency"],
        "close_date": row["close_date"].isoformat(),
        "gross_margin": str(row["gross_margin"]),
        "discount": str(row["discount"]),
        "term_months": row["term_months"],
        "region": row["region"],
        "products": row["products"],
        "owner": row["owner"],
        "splits": None
        if row["splits"] is None
        else [{"participant": s["participant"], "share": str(s["share"])} for s in row["splits"]],
        "team": row["team"],
        "touchpoints": [{**t, "at": t["at"].isoformat()} for t in row["touchpoints"]],
        "cash_collected_date": cash.isoformat() if cash else None,
        "attributes": row["attributes"],
    }
