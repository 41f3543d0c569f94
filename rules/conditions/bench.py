"""Bare matching throughput: durable-rules vs the Python oracle (a script, not a test).

    .venv/bin/python -m rules.conditions.bench [N]

Ten typical plan conditions over N (default 100,000) synthetic fact dicts; prints the
facts per second for each engine and checks that both found the same matches.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

from rules.conditions import parse_condition
from rules.matcher import compile_matcher

TYPICAL = {
    "rates/new-business": 'deal.type == "new"',
    "rates/expansion": 'deal.type == "expansion"',
    "eligibility/ramped": "participant.tenure_days >= 90",
    "gates/margin-floor": "deal.gross_margin < 0.25",
    "gates/deep-discount": "deal.discount > 0.20",
    "spifs/multi-year": "deal.term_months >= 24",
    "rates/regional": 'deal.region in ["EMEA", "APAC"]',
    "spifs/core": 'deal.products contains "core"',
    "spifs/h2-large": 'deal.close_date >= "2026-07-01" and deal.amount > 50000',
    "gates/csat": "not (deal.attributes.csat < 7)",
}


def synthetic_facts(n: int, seed: int = 7) -> list[dict[str, object]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        out.append(
            {
                "deal.id": f"D-{i}",
                "deal.type": rng.choice(["new", "expansion", "renewal"]),
                "deal.amount": Decimal(rng.randrange(100, 20_000_000)) / 100,
                "deal.gross_margin": Decimal(rng.randrange(0, 10_000)) / 10_000,
                "deal.discount": Decimal(rng.randrange(0, 4_000)) / 10_000,
                "deal.term_months": rng.choice([1, 12, 24, 36]),
                "deal.region": rng.choice(["EMEA", "APAC", "AMER", None]),
                "deal.products": tuple(rng.sample(["core", "addon", "support"], rng.randint(0, 2))),
                "deal.close_date": date(2026, 1, 1) + timedelta(days=rng.randrange(365)),
                "deal.attributes.csat": rng.choice([None, 3, 7, 9, "n/a"]),
                "participant.tenure_days": rng.randrange(0, 1000),
            }
        )
    return out


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv else 100_000
    conditions = {key: parse_condition(text) for key, text in TYPICAL.items()}
    facts = synthetic_facts(n)
    results = {}
    for engine in ("durable", "python"):
        matcher = compile_matcher(conditions, name="bench_typical", engine=engine)
        start = time.perf_counter()
        results[engine] = [matcher.matching(f) for f in facts]
        elapsed = time.perf_counter() - start
        print(f"{engine:8s} {n / elapsed:12,.0f} facts/s  ({elapsed:.2f} s for {n:,})")
    same = results["durable"] == results["python"]
    held = sum(len(r) for r in results["python"]) / n
    print(f"engines agree: {same}; conditions holding per fact: {held:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
