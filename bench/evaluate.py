"""Benchmark: durable-rules matching alone versus the full `evaluate` path.

    .venv/bin/python bench/evaluate.py [--deals 100000] [--engine durable] [--repeat 3]
                                       [--whole 50000,100000] [--whole-only]

Generates N deals over one year for a quarterly plan with conditions in every stage and
reports the matcher, asked as the evaluator asks it (batched, decisions remembered), against
the full `evaluate(...)` in deals/s, in CPU seconds
(`time.process_time`: on a shared machine wall clock measures the neighbours), and the
peak memory of `evaluate` for N and N/4 against the sizes of its input and output.

Then, for each size of `--whole`, the whole process as a user runs it: `accord evaluate
--policy P --data D --period 2026-Q3 > out.json` in a subprocess (start-up, reading and
checking the data file, evaluating, writing the JSON) against bare durable-rules matching
of the same plan on the same deals, one assert per deal (each deal's first credit line
against every condition of the plan), in the same run; with the peak RSS of each. The
measured checkout's modules are byte-compiled first, as an installed `accord` has them
(pip compiles on install; Python writes `__pycache__` on a checkout's first run unless
PYTHONDONTWRITEBYTECODE is set, as on some machines and images): without it every
start-up compiles the sources again (0.13 s of `accord evaluate`'s start-up, measured).

What it measures exactly: docs/conditions.md, the last paragraphs of "How conditions
reach durable-rules (maintainers)", and docs/decisions.md, "Evaluate speed (issue 14)".
"""

from __future__ import annotations

import argparse
import compileall
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path
from random import Random

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rules.data import load_data
from rules.document import load_plan
from rules.evaluate import evaluate
from rules.evaluation.context import DataIndex, PlanContext
from rules.evaluation.facts import deal_facts, line_facts
from rules.evaluation.lines import MATCH_DEALS
from rules.evaluation.numbers import ONE, exact
from rules.evaluation.output import to_json

PLAN = """
policy: bench-plan
title: Benchmark plan
currency: USD
period: quarter
eligibility:
  - {id: ramped, when: participant.tenure_days >= 30}
credit:
  - {id: owner, to: splits, share: 1}
rates:
  - {id: new-business, when: deal.type == "new", rate: 0.06}
  - {id: expansion, when: deal.type == "expansion" and participant.region == "EMEA", rate: 0.04}
  - {id: default, rate: 0.02}
tiers:
  basis: attainment
  bands:
    - {id: low, from: 0, to: 0.5, multiplier: 0.5}
    - {id: base, from: 0.5, to: 1, multiplier: 1}
    - {id: accel, from: 1, multiplier: 1.5}
gates:
  - {id: margin-floor, when: deal.gross_margin < 0.2, effect: block}
  - {id: deep-discount, when: deal.discount > 0.25, effect: {reduce: 0.5}}
  - {id: pay-on-cash, effect: {hold_until: deal.cash_collected_date}}
caps: {per_deal: 20000, per_period: 400000}
clawbacks:
  - {id: churn, triggers: [churn], within_days: 180, recover: prorated}
spifs:
  - {id: multi-year, when: deal.term_months >= 24 and credit.share >= 0.5, amount: 300}
"""

PEOPLE = 200


def random_deal(rnd: Random, i: int, close: date, people: list[str]) -> dict:
    """Deal number i closing on `close`, owned by one of `people`, split 60/40 with another
    three times in ten; also used by bench/payout_run.py (same random calls, same order)."""
    deal = {
        "id": f"D{i:07d}",
        "type": rnd.choice(["new", "new", "expansion", "renewal"]),
        "amount": f"{rnd.randrange(1000, 200000)}.{rnd.randrange(100):02d}",
        "currency": "USD",
        "close_date": close.isoformat(),
        "owner": rnd.choice(people),
        "gross_margin": f"0.{rnd.randrange(10, 90)}",
        "discount": f"0.{rnd.randrange(0, 40):02d}",
        "term_months": rnd.choice([12, 12, 24, 36]),
        "cash_collected_date": (close + timedelta(days=rnd.randrange(0, 60))).isoformat(),
    }
    if rnd.random() < 0.3:
        other = rnd.choice(people)
        if other != deal["owner"]:
            deal["splits"] = [
                {"participant": deal["owner"], "share": "0.6"},
                {"participant": other, "share": "0.4"},
            ]
    return deal


def make_data(n: int, seed: int = 7) -> dict:
    rnd = Random(seed)
    people = [f"rep{i:03d}" for i in range(PEOPLE)]
    participants = [
        {
            "id": p,
            "hire_date": (date(2025, 6, 1) + timedelta(days=rnd.randrange(400))).isoformat(),
            "region": rnd.choice(["EMEA", "AMER", "APAC"]),
            "assignments": [{"plan": "bench-plan", "start": "2026-01-01", "end": None}],
        }
        for p in people
    ]
    quotas = [
        {
            "participant": p,
            "plan": "bench-plan",
            "period": f"2026-Q{q}",
            "amount": str(n * 40000 // PEOPLE // 4 + 1000),
        }
        for p in people
        for q in (1, 2, 3, 4)
    ]
    deals, events = [], []
    for i in range(n):
        close = date(2026, 1, 1) + timedelta(days=rnd.randrange(365))
        deal = random_deal(rnd, i, close, people)
        deals.append(deal)
        if rnd.random() < 0.02:
            events.append(
                {
                    "deal": deal["id"],
                    "kind": "churn",
                    "date": (close + timedelta(days=rnd.randrange(1, 150))).isoformat(),
                }
            )
    return {"participants": participants, "quotas": quotas, "deals": deals, "events": events}


def bare_matching(plan, data, engine: str) -> tuple[float, int]:
    """Seconds spent in the matcher alone, for the facts the evaluator builds, asked as
    it asks (rules/evaluation/lines.py): the lines of MATCH_DEALS deals at a time."""
    context = PlanContext(plan, DataIndex(data), engine)
    prepared = []
    for deal in context.index.deals_in_order:
        dfacts = deal_facts(deal, exact(deal.amount))
        lines = []
        if deal.splits:
            targets = [(s.participant, exact(s.share)) for s in deal.splits]
        else:
            targets = [(deal.owner, ONE)]
        for pid, share in targets:
            person = context.index.participants[pid]
            lines.append(
                line_facts(dfacts, person, person.assignments[0], deal.close_date, "owner", share)
            )
        prepared.append((dfacts, lines))
    matcher = context.matcher
    start = time.process_time()
    facts = 0
    for first in range(0, len(prepared), MATCH_DEALS):
        chunk = prepared[first : first + MATCH_DEALS]
        if matcher.combined:  # each deal's first line against every condition
            matcher.many("all", [lines[0] for _, lines in chunk])
            matcher.many("line", [f for _, lines in chunk for f in lines[1:]])
            facts += sum(len(lines) for _, lines in chunk)
        else:
            matcher.many("deal", [dfacts for dfacts, _ in chunk])
            matcher.many("line", [f for _, lines in chunk for f in lines])
            facts += sum(1 + len(lines) for _, lines in chunk)
    return time.process_time() - start, facts


def bare_one_assert(plan, data, engine: str) -> tuple[float, int]:
    """Seconds for one matcher call per deal against every condition of the plan: each
    deal's first credit line (deal, participant and credit facts), built beforehand."""
    context = PlanContext(plan, DataIndex(data), engine)
    prepared = []
    for deal in context.index.deals_in_order:
        dfacts = deal_facts(deal, exact(deal.amount))  # Decimal, as the evaluator's facts
        if deal.splits:
            pid, share = deal.splits[0].participant, exact(deal.splits[0].share)
        else:
            pid, share = deal.owner, ONE
        person = context.index.participants[pid]
        prepared.append(
            line_facts(dfacts, person, person.assignments[0], deal.close_date, "owner", share)
        )
    match = context.matcher.for_all
    start = time.process_time()
    for facts in prepared:
        match(facts)
    return time.process_time() - start, len(prepared)


def measure_memory(n: int, engine: str) -> dict:
    """Run in a child process: peak traced memory of load + evaluate + render for N deals."""
    plan = load_plan(PLAN)
    raw = make_data(n)
    gc.collect()
    tracemalloc.start()
    data = load_data(raw)
    del raw
    gc.collect()
    input_bytes = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    out = evaluate([plan], data, "2026-Q4", engine=engine)
    with_output, evaluate_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    text = to_json(out)
    render_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "deals": n,
        "input_mb": input_bytes / 2**20,
        "with_output_mb": with_output / 2**20,
        "peak_mb": evaluate_peak / 2**20,
        "render_peak_mb": render_peak / 2**20,
        "output_json_mb": len(text) / 2**20,
    }


def child(task: str, n: int, engine: str) -> dict:
    """One measurement in a fresh process (the machine may be shared: the parent repeats
    each measurement and keeps the fastest)."""
    if task == "memory":
        return measure_memory(n, engine)
    plan = load_plan(PLAN)
    if task == "bare":  # the whole-process baseline: the same data file as `accord evaluate`
        data = load_data(Path(os.environ["BENCH_DATA"]).read_bytes())
        gc.disable()
        seconds, asserts = bare_one_assert(plan, data, engine)
        return {"seconds": seconds, "asserts": asserts, "rss_mb": _peak_rss_mb()}
    data = load_data(make_data(n))
    if task == "match":
        # The same GC policy as `evaluate` (paused while it runs), for a fair comparison.
        gc.disable()
        seconds, facts = bare_matching(plan, data, engine)
        return {"seconds": seconds, "facts": facts}
    start = time.process_time()
    out = evaluate([plan], data, "2026-Q4", engine=engine)
    seconds = time.process_time() - start
    text = to_json(out)
    rendering = time.process_time() - start - seconds
    lines = sum(len(s["lines"]) for s in out["statements"])
    return {
        "seconds": seconds,
        "render_seconds": rendering,
        "lines": lines,
        "json_mb": len(text) / 2**20,
    }


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_child(task: str, n: int, engine: str, env: dict | None = None) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", task, "--deals", str(n), "--engine", engine],
        capture_output=True,
        text=True,
        check=True,
        env=None if env is None else {**os.environ, **env},
    )
    return json.loads(done.stdout)


ACCORD = Path(sys.executable).with_name("accord")


def _run_accord(plan: Path, data: Path, out: Path, engine: str, root: str | None) -> dict:
    """`accord evaluate ... > out`: wall and CPU seconds (user + system) and peak RSS.
    With `root`, the `accord` of another checkout (e.g. main, for before/after figures)."""
    argv = [str(ACCORD)]
    env = None
    if root:  # that checkout's executable: app/entry.py where it has one, else app/cli.py
        entry = "app.entry" if Path(root, "app", "entry.py").exists() else "app.cli"
        code = f"import sys; from {entry} import main; sys.exit(main())"
        argv = [sys.executable, "-c", code]
        env = {**os.environ, "PYTHONPATH": root}
    argv += ["evaluate", "--policy", str(plan), "--data", str(data)]
    argv += ["--period", "2026-Q3", "--engine", engine]
    with out.open("wb") as stdout:
        start = time.perf_counter()
        child = subprocess.Popen(
            argv, stdout=stdout, stderr=subprocess.DEVNULL, env=env, cwd=root or None
        )
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"accord evaluate exited {child.returncode}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
        "out_mb": out.stat().st_size / 2**20,
    }


CODE = ("app", "governance", "models", "rules")


def byte_compile(root: str | None) -> None:
    """Byte-compile the checkout's packages (what `pip install` does for an installed
    package), so that each measured start-up reads them as a user's does."""
    base = Path(root) if root else Path(__file__).resolve().parents[1]
    for package in CODE:
        compileall.compile_dir(base / package, quiet=1)


def whole_process(n: int, engine: str, repeat: int, root: str | None = None) -> None:
    """The whole-process ratio at N deals (best of `repeat`, the two kinds interleaved)."""
    byte_compile(root)
    with tempfile.TemporaryDirectory(prefix="bench-evaluate-") as tmp:
        plan, data, out = Path(tmp, "plan.yaml"), Path(tmp, "data.json"), Path(tmp, "out.json")
        plan.write_text(PLAN, encoding="utf-8")
        data.write_text(json.dumps(make_data(n)), encoding="utf-8")
        bares, wholes = [], []
        for _ in range(repeat):
            bares.append(_run_child("bare", n, engine, {"BENCH_DATA": str(data)}))
            wholes.append(_run_accord(plan, data, out, engine, root))
        bare = min(bares, key=lambda m: m["seconds"])
        whole = min(wholes, key=lambda m: m["cpu"])
        bare_rate = n / bare["seconds"]
        cpu_rate, wall_rate = n / whole["cpu"], n / min(w["wall"] for w in wholes)
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(
            f"whole process{f' of {root}' if root else ''}, {n:,} deals "
            f"(data file {data.stat().st_size / 2**20:.1f} MiB), "
            f"best of {repeat}, load average {load}:"
        )
        print(
            f"  (c) bare matching, 1 assert per deal: {bare_rate:>9,.0f} deals/s "
            f"({bare['seconds']:.2f} s CPU in the loop)"
        )
        print(
            f"  (d) accord evaluate > out.json:       {cpu_rate:>9,.0f} deals/s "
            f"({whole['cpu']:.2f} s CPU; wall {n / wall_rate:.2f} s = {wall_rate:,.0f} deals/s; "
            f"output {whole['out_mb']:.1f} MiB)"
        )
        print(
            f"  ratio (d)/(c): {cpu_rate / bare_rate:.2f} by CPU time, "
            f"{wall_rate / bare_rate:.2f} by wall clock  (target >= 0.50)"
        )
        print(
            f"  peak RSS: accord evaluate {whole['rss_mb']:.0f} MiB, "
            f"bare matching process {bare['rss_mb']:.0f} MiB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--engine", choices=["durable", "python"], default="durable")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best kept)")
    parser.add_argument(
        "--whole", default="50000,100000", help="deal counts for the whole-process ratio"
    )
    parser.add_argument("--whole-only", action="store_true", help="only the whole-process ratio")
    parser.add_argument(
        "--accord-root", help="time the `accord` of this checkout instead (before/after figures)"
    )
    parser.add_argument(
        "--child", choices=["match", "evaluate", "memory", "bare"], help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    n = args.deals
    if args.child:
        print(json.dumps(child(args.child, n, args.engine)))
        return
    if args.whole_only:
        for size in (int(x) for x in args.whole.split(",") if x):
            whole_process(size, args.engine, args.repeat, args.accord_root)
        return

    matches, evaluations = [], []
    for _ in range(args.repeat):  # interleaved, so both see the same machine load
        matches.append(_run_child("match", n, args.engine))
        evaluations.append(_run_child("evaluate", n, args.engine))
    match = min(matches, key=lambda m: m["seconds"])
    full = min(evaluations, key=lambda m: m["seconds"])
    matching_rate = n / match["seconds"]
    full_rate = n / full["seconds"]
    print(f"deals: {n:,}  engine: {args.engine}  best of {args.repeat}")
    print(
        f"(a) the matcher:    {matching_rate:>10,.0f} deals/s  ({match['facts']:,} facts, "
        f"{match['seconds']:.2f} s)"
    )
    print(
        f"(b) full evaluate:  {full_rate:>10,.0f} deals/s  ({full['seconds']:.2f} s; Q4 output "
        f"{full['lines']:,} lines)"
    )
    print(
        f"    rendering that output as JSON text (to_json, indent=2): "
        f"{full['render_seconds']:.2f} s, {full['json_mb']:.1f} MiB"
    )
    # (a) remembers decisions as the evaluator does (rules/decisions.py): the target
    # is the whole-process ratio, against one engine session per deal, (d)/(c) below.
    print(f"ratio (b)/(a): {full_rate / matching_rate:.2f}  (the target is (d)/(c) below)")
    for size in (n, n // 4):
        m = _run_child("memory", size, args.engine)
        print(
            f"memory N={m['deals']:>7,}: input {m['input_mb']:.1f} MiB, input+output "
            f"{m['with_output_mb']:.1f} MiB, peak during evaluate {m['peak_mb']:.1f} MiB, "
            f"during to_json {m['render_peak_mb']:.1f} MiB (JSON {m['output_json_mb']:.1f} MiB)"
        )
    for size in (int(x) for x in args.whole.split(",") if x):
        whole_process(size, args.engine, args.repeat, args.accord_root)


if __name__ == "__main__":
    main()
