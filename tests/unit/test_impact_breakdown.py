"""The per-participant breakdown of an impact: movers each way, the rest, a histogram."""

from __future__ import annotations

from decimal import Decimal

from governance.plans.impact_breakdown import histogram, movers


def _row(who: str, delta: str) -> dict[str, str]:
    return {
        "participant": who,
        "before": "100.00",
        "after": str(100 + Decimal(delta)),
        "delta": delta,
    }


ROWS = [
    _row("a", "500.00"),
    _row("b", "-1000.00"),
    _row("c", "20.00"),
    _row("d", "0.00"),
    _row("e", "-5.50"),
    _row("f", "20.00"),
]


def test_the_biggest_winners_and_losers_each_way_and_the_rest_summarised():
    found = movers(ROWS, 2)
    assert [r["participant"] for r in found["winners"]] == ["a", "c"]  # ties by id
    assert [r["participant"] for r in found["losers"]] == ["b", "e"]
    assert found["rest"] == {"winners": 1, "losers": 0, "unchanged": 1, "delta": "20.00"}


def test_the_histogram_has_round_bins_spanning_every_delta():
    bins = histogram(ROWS)
    assert bins[0] == {"from": "-1000.00", "to": "-800.00", "count": 1}
    assert bins[-1] == {"from": "400.00", "to": "600.00", "count": 1}
    assert len(bins) == 8 and sum(b["count"] for b in bins) == len(ROWS)
    assert [b for b in bins if b["from"] == "0.00"] == [
        {"from": "0.00", "to": "200.00", "count": 3}
    ]
    assert histogram([]) == []
    assert histogram([_row("a", "0.00")]) == [{"from": "0.00", "to": "1.00", "count": 1}]
