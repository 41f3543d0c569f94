"""Benchmark: a re-run after one deal changed, and the close's re-check of locked periods.

    .venv/bin/python bench/rerun.py [--deals 100000] [--backends sqlite,postgresql]
        [--history 4,12] [--history-deals 2000] [--accord-root /work/main]

Per backend, in a fresh process each: import N deals of 2026-Q3 (bench/payout_run.py's
data), time the full run, change one deal with raw SQL, time the re-run (wall clock and
this process's CPU seconds; PostgreSQL's own CPU is not in them), and print the fraction;
then every deal of the period changed (every statement replaced, and kept for "what
changed since the previous build"), the re-run timed again with its replaced lines.
Then, for each history length K: K quarters before 2026-Q3 of `--history-deals` deals
each, built and locked in turn, 2026-Q3 run; one deal of the oldest locked quarter
changed (it is in every locked period's input: each re-evaluates its owner), after one
of the newest (in one period's input) and the splits of another of the newest (two
people swapped); the close's re-check
(`recheck.adjustments_for`) timed each time. `--accord-root` runs
the same against another checkout (main: the figures before). Target (issue 14): the
re-run < 2% of the full run at 100,000 deals; the re-check the same with 4 and 12 quarters.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
PERIOD = "2026-Q3"


def _root(root: str) -> None:
    sys.path.insert(0, root)


def _timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _quarters(k: int) -> list[str]:
    """The k quarters before 2026-Q3, oldest first."""
    out, year, q = [], 2026, 3
    for _ in range(k):
        q -= 1
        if q == 0:
            year, q = year - 1, 4
        out.append(f"{year}-Q{q}")
    return out[::-1]


def history_data(k: int, per_quarter: int) -> dict:
    """bench/payout_run.py's deals, moved into the k quarters before 2026-Q3 and 2026-Q3."""
    from bench.payout_run import make_data
    from rules.period import Period

    periods = [*_quarters(k), PERIOD]
    raw = make_data(per_quarter * len(periods))
    raw["events"] = []
    raw["quotas"] = [q | {"period": p} for q in raw["quotas"] for p in periods]
    for i, deal in enumerate(raw["deals"]):
        target = Period.parse(periods[i % len(periods)])
        delta = target.start - date(2026, 7, 1)
        for key in ("close_date", "cash_collected_date"):
            if deal.get(key):
                day = date.fromisoformat(deal[key]) + delta
                deal[key] = (
                    min(day, target.end).isoformat() if key == "close_date" else day.isoformat()
                )
    return raw


def child_import(url: str, data_file: str) -> dict:
    """bench/payout_run.py's import, with the plan effective early enough for the history."""
    from bench.payout_run import child_import as payout_run_import

    return payout_run_import(url, data_file, "2020-01-01")


def _change_one_deal(session, period: str) -> None:
    from decimal import Decimal

    from sqlalchemy import select, update

    from models import Deal
    from rules.period import Period

    p = Period.parse(period)
    deal_id = session.scalar(
        select(Deal.id).where(Deal.close_date.between(p.start, p.end)).order_by(Deal.id).limit(1)
    )
    session.execute(update(Deal).where(Deal.id == deal_id).values(amount=Decimal("123456.78")))
    session.commit()


def _change_one_split(session, period: str) -> None:
    """The two split participants of one split deal closed in `period` swapped (shares
    unchanged, so the data stays valid): a change of the deal's children only."""
    from sqlalchemy import select, update

    from models import Deal, DealSplit
    from rules.period import Period

    p = Period.parse(period)
    deal_id = session.scalar(
        select(Deal.id)
        .join(DealSplit, DealSplit.deal_id == Deal.id)
        .where(Deal.close_date.between(p.start, p.end))
        .order_by(Deal.id)
        .limit(1)
    )
    first, second = session.execute(
        select(DealSplit.id, DealSplit.participant_id)
        .where(DealSplit.deal_id == deal_id)
        .order_by(DealSplit.position)
    ).all()
    for row, person in ((second, first.participant_id), (first, second.participant_id)):
        moved = update(DealSplit).where(DealSplit.id == row.id).values(participant_id=person)
        session.execute(moved)
    session.commit()


def _change_every_deal(session, period: str) -> None:
    from sqlalchemy import update

    from models import Deal
    from rules.period import Period

    p = Period.parse(period)
    session.execute(
        update(Deal).where(Deal.close_date.between(p.start, p.end)).values(amount=Deal.amount + 1)
    )
    session.commit()


def _kept_lines(session) -> int | None:
    """The replaced lines the last re-run kept (None for a checkout that keeps none)."""
    try:
        from models import ReplacedLine
    except ImportError:
        return None
    from sqlalchemy import func, select

    return session.scalar(select(func.count()).select_from(ReplacedLine))


def child_rerun(url: str) -> dict:
    from sqlalchemy.orm import Session

    from governance.payouts.runs import start_run
    from models.engine import make_engine

    engine = make_engine(url)
    with Session(engine) as session:
        run, full, full_cpu = _timed(lambda: start_run(session, None, PERIOD))
        session.commit()
        _change_one_deal(session, PERIOD)
        run, again, again_cpu = _timed(lambda: start_run(session, None, PERIOD))
        session.commit()
        recomputed = run.recomputed_count
        _change_every_deal(session, PERIOD)
        run, every, every_cpu = _timed(lambda: start_run(session, None, PERIOD))
        session.commit()
        out = {
            "every": every,
            "every_cpu": every_cpu,
            "every_recomputed": run.recomputed_count,
            "kept_lines": _kept_lines(session),
            "full": full,
            "full_cpu": full_cpu,
            "rerun": again,
            "rerun_cpu": again_cpu,
            "recomputed": recomputed,
            "statements": run.statement_count,
        }
    engine.dispose()
    return out


def child_history(url: str, k: str) -> dict:
    from sqlalchemy.orm import Session

    from governance.payouts.recheck import adjustments_for
    from governance.payouts.runs import start_run
    from models.base import utcnow
    from models.engine import make_engine
    from rules.period import Period

    engine = make_engine(url)
    quarters = _quarters(int(k))
    with Session(engine) as session:
        for quarter in quarters:
            run = start_run(session, None, quarter)
            session.commit()
            run.state = "approved"
            session.commit()
            run.state, run.locked_at = "locked", utcnow()
            session.commit()
        start_run(session, None, PERIOD)
        session.commit()
        target = Period.parse(PERIOD)
        _, quiet, quiet_cpu = _timed(lambda: adjustments_for(session, target))
        session.rollback()
        _change_one_deal(session, quarters[-1])  # in the input of one locked period
        _, newest, newest_cpu = _timed(lambda: adjustments_for(session, target))
        session.rollback()
        _change_one_split(session, quarters[-1])  # its children: one period's too
        _, split, split_cpu = _timed(lambda: adjustments_for(session, target))
        session.rollback()
        _change_one_deal(session, quarters[0])  # in the input of every locked period
        lines, changed, changed_cpu = _timed(lambda: adjustments_for(session, target))
        session.rollback()
    engine.dispose()
    return {
        "nothing_changed": quiet,
        "nothing_changed_cpu": quiet_cpu,
        "newest": newest,
        "newest_cpu": newest_cpu,
        "split": split,
        "split_cpu": split_cpu,
        "one_deal": changed,
        "one_deal_cpu": changed_cpu,
        "lines": len(lines),
    }


def _child(root: str, *args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--accord-root", root, "--child", *args],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout)


def _database(backend: str, tmp: str, name: str):
    if backend == "sqlite":
        return f"sqlite:///{tmp}/{name}.db", None
    from tests.support.postgres import TempPostgres

    server = TempPostgres()
    server.start()
    return server.create_database(f"accord_{name}"), server


def _load() -> str:
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--history", default="4,12")
    parser.add_argument("--history-deals", type=int, default=2000)
    parser.add_argument("--accord-root", default=str(HERE))
    parser.add_argument("--skip-rerun", action="store_true")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    root = str(Path(args.accord_root).resolve())
    _root(root)
    if args.child:
        task, *rest = args.child
        handler = {"import": child_import, "rerun": child_rerun, "history": child_history}[task]
        print(json.dumps(handler(*rest)))
        return
    print(f"accord root: {root}")
    with tempfile.TemporaryDirectory(prefix="accord-rerun-") as tmp:
        for backend in args.backends.split(","):
            if not args.skip_rerun:
                from bench.payout_run import make_data

                data_file = Path(tmp) / "data.json"
                data_file.write_text(json.dumps(make_data(args.deals)))
                url, server = _database(backend, tmp, "rerun")
                try:
                    _child(root, "import", url, str(data_file))
                    r = _child(root, "rerun", url)
                finally:
                    if server:
                        server.stop()
                print(
                    f"{backend} {args.deals:,} deals: full run {r['full']:.1f} s "
                    f"({r['full_cpu']:.1f} CPU s); re-run after one deal changed "
                    f"{r['rerun']:.2f} s ({r['rerun_cpu']:.2f} CPU s), {r['recomputed']} "
                    f"statement(s) rewritten = {r['rerun'] / r['full']:.3f}x the full run "
                    f"(target < 0.02)  [load {_load()}]"
                )
                print(
                    f"{backend} {args.deals:,} deals: re-run after every deal changed "
                    f"{r['every']:.1f} s ({r['every_cpu']:.1f} CPU s), {r['every_recomputed']} "
                    f"statements rewritten, {r['kept_lines']} replaced lines kept  "
                    f"[load {_load()}]"
                )
            for k in [int(x) for x in args.history.split(",") if x]:
                data_file = Path(tmp) / f"history{k}.json"
                data_file.write_text(json.dumps(history_data(k, args.history_deals)))
                url, server = _database(backend, tmp, f"history{k}")
                try:
                    _child(root, "import", url, str(data_file))
                    h = _child(root, "history", url, str(k))
                finally:
                    if server:
                        server.stop()
                print(
                    f"{backend} re-check of {k} locked quarters ({args.history_deals:,} deals "
                    f"each): nothing changed {h['nothing_changed']:.2f} s "
                    f"({h['nothing_changed_cpu']:.2f} CPU s); one deal of the newest changed "
                    f"{h.get('newest', float('nan')):.2f} s "
                    f"({h.get('newest_cpu', float('nan')):.2f} CPU s); then a split of "
                    f"the newest {h.get('split', float('nan')):.2f} s "
                    f"({h.get('split_cpu', float('nan')):.2f} CPU s); then one of the oldest "
                    f"{h['one_deal']:.2f} s ({h['one_deal_cpu']:.2f} CPU s, {h['lines']} "
                    f"adjustment lines)  [load {_load()}]"
                )


if __name__ == "__main__":
    main()
