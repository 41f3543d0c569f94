"""Benchmark: a payout run over the database against `accord evaluate` in memory.

    .venv/bin/python bench/payout_run.py [--deals 100000] [--backends sqlite,postgresql]
                                         [--repeat 3] [--memory-check] [--code-root ../main]

Imports N generated deals of one quarter (and up to 1,000 participants) into SQLite and a
throw-away PostgreSQL, then reports per backend the full run and an incremental re-run
(wall clock) and the peak RSS, against what `accord evaluate` does with the same data in
a fresh process. Target: the database run at 0.5x the in-memory rate or better. Each
figure is given as wall clock and as the CPU seconds of its process (user + system; the
PostgreSQL server's own CPU is not in it): on a shared machine the CPU rate is the
honest one, and the ratio is printed both ways. Each backend's full run is repeated
`--repeat` times (the run deleted in between) and the reference is run before and after
each backend: the fastest of each counts, as in bench/evaluate.py, so one slow moment of
a shared machine does not decide the ratio. `--code-root`: run the measured children
(import, run, reference) with another checkout's code (before/after figures in one run).

What it measures, and the figures: docs/payout-runs.md, "Performance".
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from random import Random

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# The checkout whose code the children measure (`--code-root`): first on their path.
CODE_ROOT = os.environ.get("ACCORD_BENCH_CODE_ROOT")
if CODE_ROOT:
    sys.path.insert(0, CODE_ROOT)

PERIOD = "2026-Q3"


def plan_text() -> str:
    from bench.evaluate import PLAN

    return PLAN


def activate_plan(session, effective_from: date) -> None:
    """The benchmark plan drafted, submitted, approved and activated by the system."""
    from governance.plans import lifecycle

    version = lifecycle.create_draft(session, None, plan_text())
    lifecycle.submit(session, None, "bench-plan", version.number, effective_from=effective_from)
    lifecycle.approve(session, None, "bench-plan", version.number)
    lifecycle.activate(session, None, "bench-plan", version.number)


def make_data(n: int, seed: int = 11) -> dict:
    """N deals closing in 2026-Q3 over min(1000, N/100) participants (at least 10)."""
    from bench.evaluate import random_deal

    rnd = Random(seed)
    count = max(10, min(1000, n // 100))
    people = [f"rep{i:04d}" for i in range(count)]
    participants = [
        {
            "id": p,
            "hire_date": (date(2025, 1, 1) + timedelta(days=rnd.randrange(500))).isoformat(),
            "region": rnd.choice(["EMEA", "AMER", "APAC"]),
            "assignments": [{"plan": "bench-plan", "start": "2026-01-01"}],
        }
        for p in people
    ]
    quotas = [
        {"participant": p, "plan": "bench-plan", "period": PERIOD, "amount": "4000000"}
        for p in people
    ]
    deals, events = [], []
    for i in range(n):
        close = date(2026, 7, 1) + timedelta(days=rnd.randrange(92))
        deal = random_deal(rnd, i, close, people)
        deals.append(deal)
        if rnd.random() < 0.02:
            day = close + timedelta(days=rnd.randrange(1, 40))
            if day <= date(2026, 9, 30):
                events.append({"deal": deal["id"], "kind": "churn", "date": day.isoformat()})
    return {"participants": participants, "quotas": quotas, "deals": deals, "events": events}


# ----------------------------------------------------------------------------- children


def prepare(url: str, effective_from: str = "2026-01-01") -> None:
    """Migrate and activate the bench plan from `effective_from`."""
    from sqlalchemy.orm import Session

    from models import schema
    from models.engine import make_engine

    schema.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        activate_plan(session, date.fromisoformat(effective_from))
        session.commit()
    engine.dispose()


def import_file(url: str, data_file: str) -> float:
    """Import the data file in one transaction: seconds (reading the file aside)."""
    from sqlalchemy.orm import Session

    from governance.imports.service import import_data
    from models.engine import make_engine

    engine = make_engine(url)
    with Session(engine) as session:
        raw = json.loads(Path(data_file).read_text())
        start = time.perf_counter()
        import_data(session, raw, source="bench")
        session.commit()
        seconds = time.perf_counter() - start
    engine.dispose()
    return seconds


def child_import(url: str, data_file: str, effective_from: str = "2026-01-01") -> dict:
    """Migrate, activate the bench plan from `effective_from`, import the data: seconds."""
    prepare(url, effective_from)
    return {"import_seconds": import_file(url, data_file)}


def child_run(url: str, repeat: str = "1") -> dict:
    """The period's full run `repeat` times (each committed, then forgotten), then a
    re-run after one deal changed: seconds and CPU seconds of each."""
    from decimal import Decimal

    from sqlalchemy import select, update
    from sqlalchemy.orm import Session

    from governance.payouts.runs import start_run
    from models import Deal
    from models.engine import make_engine

    engine = make_engine(url)
    fulls: list[tuple[float, float]] = []
    counts: dict = {}
    for attempt in range(int(repeat)):
        if attempt:
            _forget_runs(engine)
        with Session(engine) as session:
            start, cpu = time.perf_counter(), _cpu()
            run = start_run(session, None, PERIOD)
            session.commit()
            fulls.append((time.perf_counter() - start, _cpu() - cpu))
            if attempt and run.result_hash != counts["result_hash"]:
                raise SystemExit("a repeated full run gave another result hash")
            counts = {
                "statements": run.statement_count,
                "lines": run.line_count,
                "deals": run.deal_count,
                "result_hash": run.result_hash,
            }
    with Session(engine) as session:
        deal_id = session.scalar(select(Deal.id).order_by(Deal.id).limit(1))
        session.execute(update(Deal).where(Deal.id == deal_id).values(amount=Decimal("123456.78")))
        session.commit()
        start, cpu = time.perf_counter(), _cpu()
        run = start_run(session, None, PERIOD)
        session.commit()
        incremental, incremental_cpu = time.perf_counter() - start, _cpu() - cpu
        counts.update(recomputed=run.recomputed_count, version=run.version)
    engine.dispose()
    full, full_cpu = min(wall for wall, _ in fulls), min(cpu for _, cpu in fulls)
    return {
        "full_seconds": full,
        "full_cpu": full_cpu,
        "fulls": fulls,
        "incremental_seconds": incremental,
        "incremental_cpu": incremental_cpu,
        **counts,
    }


def _forget_runs(engine) -> None:
    """Delete every payout run with what refers to it, then VACUUM: the next run of the
    period is a first build again, on tables in the state the first one found (a bench
    repeat; the product never deletes a run that was a draft)."""
    from sqlalchemy import inspect, text

    from models import PayoutLine, PayoutRun

    schema = inspect(engine)
    referring = [
        name
        for name in schema.get_table_names()
        for fk in schema.get_foreign_keys(name)
        if fk["referred_table"] == PayoutRun.__tablename__
    ]
    lines = PayoutLine.__tablename__
    order = sorted(set(referring), key=lambda name: name != lines)  # lines first
    with engine.begin() as conn:
        for name in order:
            conn.execute(text(f"DELETE FROM {name}"))
        conn.execute(text(f"DELETE FROM {PayoutRun.__tablename__}"))
    raw = engine.raw_connection()  # VACUUM outside any transaction, on either database
    try:
        driver = raw.driver_connection
        if engine.dialect.name == "sqlite":
            driver.commit()
            driver.isolation_level = None
        else:
            driver.autocommit = True
        driver.execute("VACUUM")
    finally:
        raw.close()


def child_reference(plan_file: str, data_file: str) -> dict:
    """What `accord evaluate --policy P --data D --period Q3` does, timed in-process."""
    from rules.data import load_data
    from rules.document import load_plan
    from rules.evaluate import evaluate
    from rules.evaluation.output import write_json

    start, cpu = time.perf_counter(), _cpu()
    plan = load_plan(Path(plan_file).read_text())
    with open(data_file, "rb") as fh:
        data = load_data(json.load(fh))
    output = evaluate([plan], data, PERIOD)
    with open(os.devnull, "w") as sink:
        write_json(output, sink)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    lines = sum(len(s["lines"]) for s in output["statements"])
    return {"seconds": seconds, "cpu": cpu, "lines": lines}


def _child(*args: str) -> tuple[dict, float]:
    """Run one measurement in a fresh process; returns its JSON and its peak RSS in MiB."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", *args], stdout=subprocess.PIPE, text=True
    )
    out = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"child {args[0]} failed ({proc.returncode})")
    return json.loads(out), usage.ru_maxrss / 1024


def _cpu() -> float:
    """CPU seconds (user + system) of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3, help="full runs per backend (best)")
    parser.add_argument("--memory-check", action="store_true")
    parser.add_argument("--code-root", help="measure this checkout's code (before/after)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.code_root:
        os.environ["ACCORD_BENCH_CODE_ROOT"] = str(Path(args.code_root).resolve())
    if args.child:
        task, *rest = args.child
        handler = {"import": child_import, "run": child_run, "reference": child_reference}[task]
        print(json.dumps(handler(*rest)))
        return

    n = args.deals
    with tempfile.TemporaryDirectory(prefix="accord-bench-") as tmp:
        data_file, plan_file = Path(tmp) / "data.json", Path(tmp) / "plan.yaml"
        raw = make_data(n)
        data_file.write_text(json.dumps(raw))
        plan_file.write_text(plan_text())
        people = len(raw["participants"])
        del raw
        code = os.environ.get("ACCORD_BENCH_CODE_ROOT") or str(ROOT)
        print(f"deals: {n:,}  participants: {people:,}  period: {PERIOD}  code: {code}")
        print(f"load average: {_load()}")
        refs = []

        def reference(when: str) -> float:
            ref, rss = _child("reference", str(plan_file), str(data_file))
            refs.append(ref)
            print(_reference_line(when, n, ref, rss))
            return rss

        ref_rss = reference("before the runs")
        results = []
        for backend in args.backends.split(","):
            imported, result, rss = _backend_run(backend, tmp, data_file, repeat=args.repeat)
            results.append((backend, imported, result, rss))
            reference(f"after the {backend} runs")
        ref_rate = n / min(r["seconds"] for r in refs)
        ref_cpu_rate = n / min(r["cpu"] for r in refs)
        print(
            f"reference rate (the fastest of {len(refs)}): {ref_rate:,.0f} deals/s by wall "
            f"clock, {ref_cpu_rate:,.0f} deals per CPU second"
        )
        for backend, imported, result, rss in results:
            _report(backend, n, imported, result, rss, (ref_rate, ref_cpu_rate))
        print(f"load average: {_load()}")
        if args.memory_check:
            small = n // 4
            small_file = Path(tmp) / "small.json"
            small_file.write_text(json.dumps(make_data(small)))
            _, _, small_rss = _backend_run("sqlite", tmp, small_file, name="small")
            _, small_ref_rss = _child("reference", str(plan_file), str(small_file))
            big_rss = next((r[3] for r in results if r[0] == "sqlite"), None)
            print("memory (peak RSS):")
            print(f"  sqlite run, {small:,} deals: {small_rss:,.0f} MiB")
            if big_rss is not None:
                print(f"  sqlite run, {n:,} deals: {big_rss:,.0f} MiB")
            print(
                f"  in-memory reference, {small:,} deals: {small_ref_rss:,.0f} MiB; "
                f"{n:,} deals: {ref_rss:,.0f} MiB"
            )


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _reference_line(when: str, n: int, ref: dict, rss: float) -> str:
    return (
        f"in-memory `accord evaluate`, {when}: {n / ref['seconds']:>9,.0f} deals/s  "
        f"({ref['seconds']:.1f} s, CPU {ref['cpu']:.1f} s = {n / ref['cpu']:,.0f} deals per "
        f"CPU second; {ref['lines']:,} lines, peak RSS {rss:,.0f} MiB)"
    )


def _backend_run(backend: str, tmp: str, data_file: Path, name: str = "bench", repeat: int = 1):
    server = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp}/{name}.db"
    else:
        from tests.support.postgres import TempPostgres

        server = TempPostgres()
        server.start()
        url = server.create_database(f"accord_{name}")
    try:
        imported, _ = _child("import", url, str(data_file))
        result, rss = _child("run", url, str(repeat))
    finally:
        if server is not None:
            server.stop()
    return imported, result, rss


def _report(backend: str, n: int, imported: dict, result: dict, rss: float, ref: tuple):
    ref_rate, ref_cpu_rate = ref
    rate, cpu_rate = n / result["full_seconds"], n / result["full_cpu"]
    print(f"{backend}:")
    print(f"  import (not in the rate): {imported['import_seconds']:.1f} s")
    print(
        f"  full run:        {rate:>9,.0f} deals/s  ({result['full_seconds']:.1f} s; "
        f"{result['statements']:,} statements, {result['lines']:,} lines)  "
        f"= {rate / ref_rate:.2f}x in-memory (target >= 0.50)"
    )
    if len(result["fulls"]) > 1:
        each = ", ".join(f"{wall:.1f} s ({cpu:.1f} CPU)" for wall, cpu in result["fulls"])
        print(f"  full runs (the fastest counts): {each}")
    print(
        f"  full run by CPU: {cpu_rate:>9,.0f} deals per CPU second ({result['full_cpu']:.1f} s "
        f"CPU of the run process) = {cpu_rate / ref_cpu_rate:.2f}x in-memory by CPU"
    )
    print(
        f"  incremental re-run after one deal changed: "
        f"{result['incremental_seconds']:.1f} s (CPU {result['incremental_cpu']:.1f} s), "
        f"{result['recomputed']} statement(s) "
        f"rewritten ({result['incremental_seconds'] / result['full_seconds']:.2f}x "
        "the full run)"
    )
    print(f"  peak RSS of the run process: {rss:,.0f} MiB")


if __name__ == "__main__":
    main()
