"""Benchmark: one payout run fanned out over 1 and 2 Celery worker processes (issue 13).

    .venv/bin/python bench/scale_out.py [--deals 100000] [--per-batch 5000] [--workers 1,2]

Imports N generated deals (bench/payout_run.py's data) into one throw-away PostgreSQL
database per worker count, starts a Redis server and that many `accord worker --pool
solo` processes, queues the period's run (app/tasks/payout_runs.py: planner, a task per
batch, finalizer) and polls its job to done. Reports per worker count: deals/s (queued to
done), the evaluation phase (planned to every batch written: a first build's batches write
the run's statements and lines themselves) and the finalizer (all written to done: the
run made visible in one transaction), the speed-up over one worker, the peak RSS
of each worker process (VmHWM), the CPU seconds the workers and the PostgreSQL server
spent (a loaded machine shows as wall time well above them; the load average is printed
before and after each measurement), and a projection of a 25-million-deal month on 4, 8
and 16 workers from the measured per-worker rate (evaluating and writing), the measured
PostgreSQL CPU per line written (`--pg-cores` of it at once) and the measured finalizer,
naming which of workers and PostgreSQL limits. Figures: docs/payout-runs.md, "Fanned out".
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.payout_run import PERIOD, _child, make_data  # noqa: E402

MONTH = 25_000_000
TARGET_MINUTES = 30


def _vm_hwm(pid: int) -> float:
    """Peak resident memory of a live process, MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _cpu(pid: int, children: bool = False) -> float:
    """CPU seconds of a live process (and of its reaped children: a PostgreSQL server's
    backends that have exited)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _one(
    url: str, redis_url: str, workers: int, per_batch: int, tmp: Path, postmaster: int
) -> dict:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from app import create_app
    from app.tasks.payout_runs import queue_run
    from config import Config
    from models import PayoutRun, PayoutRunJob
    from models.engine import make_engine
    from tests.support.services import Worker, environment

    extra = {"ACCORD_PAYOUT_DEALS_PER_BATCH": str(per_batch)}
    env = environment(url, redis_url, tmp / f"instance-{workers}", **extra)
    # Each a solo worker: one process, one task at a time.
    procs = [Worker(env, tmp / f"worker-{workers}-{i}.log") for i in range(workers)]
    engine = make_engine(url)
    app = create_app(
        Config, {"DATABASE_URL": url, "BROKER_URL": redis_url, "PAYOUT_DEALS_PER_BATCH": per_batch}
    )
    time.sleep(5)  # the workers connect to the broker
    pg_before, load_before = _cpu(postmaster, children=True), os.getloadavg()[0]
    started = [_cpu(p.pid) for p in procs]  # the workers' start-up is not the run's
    try:
        with app.app_context():
            start = time.perf_counter()
            job = queue_run(None, PERIOD)
        planned = staged = None
        while True:
            with Session(engine) as session:
                row = session.get(PayoutRunJob, job.id)
                now = time.perf_counter()
                if planned is None and row.plan is not None:
                    planned = now
                all_staged = row.progress_total and row.progress_done >= row.progress_total
                if staged is None and row.plan is not None and all_staged:
                    staged = now
                if row.state in ("done", "failed"):
                    done = now
                    break
            time.sleep(0.2)
        if row.state != "done":
            raise SystemExit(f"job failed: {row.message} {row.problems}")
        with Session(engine) as session:
            run = session.scalars(select(PayoutRun).where(PayoutRun.id == row.run_id)).one()
            lines, deals, result = run.line_count, run.deal_count, run.result_hash
        rss = [_vm_hwm(p.pid) for p in procs]
        cpu = [_cpu(p.pid) - before for p, before in zip(procs, started, strict=True)]
    finally:
        for proc in procs:
            proc.stop()
        engine.dispose()
    time.sleep(1)  # the workers' backends exit and are reaped
    pg_cpu = _cpu(postmaster, children=True) - pg_before
    staged = staged or done
    return {
        "workers": workers,
        "seconds": done - start,
        "evaluate_seconds": staged - (planned or start),
        "plan_seconds": (planned or start) - start,
        "finalize_seconds": done - staged,
        "batches": row.plan["batches"],
        "lines": lines,
        "deals": deals,
        "result_hash": result,
        "rss": rss,
        "cpu": cpu,
        "pg_cpu": pg_cpu,
        "load": (load_before, os.getloadavg()[0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--per-batch", type=int, default=5_000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument(
        "--pg-cores", type=int, default=8, help="the projection's PostgreSQL server cores"
    )
    args = parser.parse_args()
    from tests.support.postgres import TempPostgres
    from tests.support.services import TempRedis

    n = args.deals
    counts = [int(w) for w in args.workers.split(",")]
    with tempfile.TemporaryDirectory(prefix="accord-scale-") as tmp:
        tmp_path = Path(tmp)
        data_file = tmp_path / "data.json"
        data_file.write_text(json.dumps(make_data(n)))
        server, redis = TempPostgres(), TempRedis().start()
        server.start()
        results = []
        try:
            for workers in counts:
                url = server.create_database(f"accord_w{workers}")
                _child("import", url, str(data_file))
                postmaster = int((server.dir / "data" / "postmaster.pid").read_text().split()[0])
                results.append(_one(url, redis.url, workers, args.per_batch, tmp_path, postmaster))
        finally:
            server.stop()
            redis.close()
    _report(n, args.per_batch, results, args.pg_cores)


def _report(n: int, per_batch: int, results: list[dict], pg_cores: int) -> None:
    print(f"deals: {n:,}  deals per batch: {per_batch:,}  period: {PERIOD}  (PostgreSQL, Redis)")
    base = results[0]
    for r in results:
        print(
            f"{r['workers']} worker(s): {n / r['seconds']:>8,.0f} deals/s  ({r['seconds']:.1f} s: "
            f"plan {r['plan_seconds']:.1f}, evaluate {r['evaluate_seconds']:.1f}, finalize "
            f"{r['finalize_seconds']:.1f}; {r['batches']} batches, {r['lines']:,} lines)  "
            f"speed-up {base['seconds'] / r['seconds']:.2f}x  peak RSS per worker: "
            + ", ".join(f"{x:,.0f} MiB" for x in r["rss"])
        )
        print(
            f"    CPU: workers {sum(r['cpu']):.1f} s ("
            + ", ".join(f"{x:.1f}" for x in r["cpu"])
            + f"), PostgreSQL {r['pg_cpu']:.1f} s; wall x cores available "
            f"{r['seconds'] * (os.cpu_count() or 1):.0f} s; load average "
            f"{r['load'][0]:.2f} -> {r['load'][1]:.2f}"
        )
    same = len({r["result_hash"] for r in results}) == 1
    print(f"same result hash for every worker count: {same}")
    per_worker = n / base["evaluate_seconds"]  # deals/s of one worker, evaluating and writing
    lines_per_deal = base["lines"] / n
    finalize_rate = base["lines"] / max(base["finalize_seconds"], 1e-9)  # lines/s, scaled
    plan_rate = n / max(base["plan_seconds"], 1e-9)
    pg_per_line = base["pg_cpu"] / max(base["lines"], 1)  # PostgreSQL CPU s per line written
    print(
        f"measured: {per_worker:,.0f} deals/s per worker evaluating and writing its lines; "
        f"finalizer {base['finalize_seconds']:.1f} s for {base['lines']:,} lines "
        f"({lines_per_deal:.2f} lines a deal); planner {plan_rate:,.0f} deals/s; PostgreSQL "
        f"{pg_per_line * 1e6:.1f} CPU us a line (all of the run's statements)"
    )
    cpu_rate = n / max(sum(base["cpu"]), 1e-9)
    print(
        f"by CPU: {cpu_rate:,.0f} deals per worker CPU second (every task of the run); a "
        f"worker with a whole core evaluates 25M deals on 8 workers in "
        f"{MONTH / (cpu_rate * 8) / 60:.1f} min"
    )
    print(
        f"projection, {MONTH:,} deals (target < {TARGET_MINUTES} min on 8 workers), the "
        f"PostgreSQL server given {pg_cores} cores; the finalizer scaled with the lines "
        "(an upper bound: it hashes statements and counts lines):"
    )
    print("  workers | plan min | evaluate+write min | PostgreSQL min | finalize min | total min"
          " | limited by")  # fmt: skip
    for w in (4, 8, 16):
        plan = MONTH / plan_rate / 60
        evaluate = MONTH / (per_worker * w) / 60
        database = MONTH * lines_per_deal * pg_per_line / pg_cores / 60
        finalize = MONTH * lines_per_deal / finalize_rate / 60
        limit = "workers (evaluation)" if evaluate >= database else "PostgreSQL (writes)"
        total = plan + max(evaluate, database) + finalize
        print(
            f"  {w:>7} | {plan:>8.1f} | {evaluate:>18.1f} | {database:>14.1f} | "
            f"{finalize:>12.1f} | {total:>9.1f} | {limit}"
        )


if __name__ == "__main__":
    main()
