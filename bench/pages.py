"""Benchmark: server time of each role's main pages at enterprise size.

    .venv/bin/python bench/pages.py [--deals 100000] [--participants 1000] [--repeat 7]
                                    [--database-url URL | --postgresql | --db FILE]
                                    [--code-root ../main]

Loads the demo organisation (every role's user, change requests, exceptions, disputes,
the 2026-Q1..Q3 runs and the 2026-Q4 draft), then N more deals of 2026-Q4 over M more
participants (on the benchmark plan of bench/evaluate.py, reporting up through the demo
manager Jordan Reyes, so the manager's team holds all of them) and re-builds the Q4 draft
run over all of it. Then, per role, it signs in through the login page with Flask's test
client and requests the role's main pages `--repeat` times (after one warm-up request),
printing the median and the worst server time (wall clock and CPU seconds of this
process) against the target of 200 ms. `--code-root`: measure the same database with
another checkout's code too (before/after in one run; the load uses this checkout's).
SQLite by default (a file under the temporary directory, or `--db FILE`, kept and reused
when it exists); `--database-url` for a PostgreSQL database (loaded when empty), or
`--postgresql` to start a throw-away one (as tests/support/postgres.py does).

What it measures and the figures: docs/pages.md, "Performance".
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from random import Random

ROOT = Path(__file__).resolve().parents[1]
CODE_ROOT = os.environ.get("ACCORD_BENCH_CODE_ROOT")
sys.path.insert(0, CODE_ROOT or str(ROOT))
if CODE_ROOT:
    sys.path.insert(1, str(ROOT))  # bench helpers only; the app comes from CODE_ROOT

PERIOD = "2026-Q4"
MANAGER = "jordan-reyes"
TARGET_MS = 200
FIRST = ("Ava", "Ben", "Chloe", "Dev", "Elena", "Frank", "Grace", "Hugo", "Iris", "Jonas")
LAST = ("Moreau", "Okafor", "Schmidt", "Tanaka", "Silva", "Novak", "Byrne", "Haddad")


def bench_data(deals: int, people: int, seed: int = 15) -> dict:
    """`people` reps (10 per first-line manager, managers under Jordan Reyes) on the
    benchmark plan, `deals` deals closing in 2026-Q4 up to the demo's today."""
    from bench.evaluate import random_deal

    rnd = Random(seed)
    managers = [f"mgr{i:03d}" for i in range(max(1, people // 10))]
    reps = [f"rep{i:04d}" for i in range(people)]

    def person(pid: str, n: int, manager: str) -> dict:
        return {
            "id": pid,
            "name": f"{FIRST[n % len(FIRST)]} {LAST[n // len(FIRST) % len(LAST)]} {n:04d}",
            "hire_date": (date(2025, 1, 1) + timedelta(days=rnd.randrange(400))).isoformat(),
            "region": rnd.choice(["EMEA", "AMER", "APAC"]),
            "manager": manager,
            "assignments": [{"plan": "bench-plan", "start": "2026-01-01"}],
        }

    participants = [person(m, 5000 + i, MANAGER) for i, m in enumerate(managers)]
    participants += [person(r, i, managers[i // 10 % len(managers)]) for i, r in enumerate(reps)]
    quotas = [
        {"participant": p["id"], "plan": "bench-plan", "period": PERIOD, "amount": "4000000"}
        for p in participants
    ]
    rows = [
        random_deal(rnd, i, date(2026, 10, 1) + timedelta(days=rnd.randrange(54)), reps)
        for i in range(deals)
    ]
    return {"participants": participants, "quotas": quotas, "deals": rows}


# ----------------------------------------------------------------------------- children


def child_load(url: str, deals: int, people: int) -> dict:
    """Demo org + bench data + the Q4 draft re-built; skipped when already loaded."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from app.demo.loader import load_demo
    from bench.payout_run import activate_plan
    from governance.imports.service import import_data
    from governance.payouts.runs import start_run
    from models import Participant, schema
    from models.engine import make_engine

    schema.upgrade(url)
    engine = make_engine(url)
    timings = {}
    with Session(engine) as session:
        if session.scalar(select(Participant.id).where(Participant.id == "rep0000")):
            return {"loaded": "already"}
        start = time.perf_counter()
        if not session.scalar(select(Participant.id).limit(1)):
            load_demo(session)
            session.commit()
        timings["demo"] = time.perf_counter() - start
        activate_plan(session, date(2026, 10, 1))  # Q1..Q3 are locked
        session.commit()
        start = time.perf_counter()
        import_data(session, bench_data(deals, people), source="bench pages")
        session.commit()
        timings["import"] = time.perf_counter() - start
        start = time.perf_counter()
        run = start_run(session, None, PERIOD)
        session.commit()
        timings["run"] = time.perf_counter() - start
        timings["statements"] = run.statement_count
        timings["lines"] = run.line_count
    engine.dispose()
    return timings


def _targets(url: str) -> dict:
    """The ids the pages need: a rep's published statement and a line, the Q4 run, a
    deal it paid."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        statement = conn.execute(
            text(
                "SELECT s.id FROM payout_statements s JOIN payout_runs r ON r.id = s.run_id "
                "WHERE s.participant_id = 'ana-silva' AND r.published_at IS NOT NULL "
                "ORDER BY r.period_start DESC LIMIT 1"
            )
        ).scalar_one()
        line = conn.execute(
            text(
                "SELECT l.id FROM payout_lines l JOIN payout_statements s "
                "ON s.run_id = l.run_id AND s.participant_id = l.participant_id "
                "AND s.plan_key = l.plan_key WHERE s.id = :s ORDER BY l.position LIMIT 1"
            ),
            {"s": statement},
        ).scalar_one()
        run = conn.execute(
            text("SELECT id FROM payout_runs WHERE period = :p AND state = 'draft'"),
            {"p": PERIOD},
        ).scalar_one()
        deal = conn.execute(
            text(
                "SELECT deal_id FROM payout_lines WHERE run_id = :r AND deal_id IS NOT NULL "
                "ORDER BY id LIMIT 1"
            ),
            {"r": run},
        ).scalar_one()
    engine.dispose()
    return {"statement": statement, "line": line, "run": run, "deal": deal}


def pages(ids: dict) -> list[tuple[str, str, str]]:
    """(role, e-mail, URL) of each role's main pages."""
    rep, manager = "ana.silva@example.com", "jordan.reyes@example.com"
    desk = "rafael.costa@example.com"
    st = ids["statement"]
    return [
        ("rep", rep, "/statements"),
        ("rep", rep, f"/statements/{st}"),
        ("rep", rep, f"/statements/{st}/lines/{ids['line']}"),
        ("rep", rep, f"/statements/{st}/changes"),  # against the previous period
        ("manager", manager, f"/statements?period={PERIOD}"),
        ("manager", manager, f"/statements?period={PERIOD}&q=Frank"),
        ("manager", manager, f"/statements?period={PERIOD}&sort=payable&dir=desc&page=3"),
        ("manager", manager, "/"),  # the team's charts (app/pages/home_manager.py)
        ("committee", "olivia.grant@example.com", "/inbox"),
        ("committee", "olivia.grant@example.com", "/committee/changes"),
        ("committee", "olivia.grant@example.com", "/committee/changes/manager-rollup/2"),
        (
            "committee",
            "olivia.grant@example.com",
            f"/committee/changes/manager-rollup/2/why/{MANAGER}",
        ),
        ("rep", rep, "/my-plan"),
        ("rep", rep, "/"),
        ("rep", rep, "/?amount=150000&close_date=2026-12-10&gross_margin=0.5"),
        ("deal desk", desk, "/exceptions"),
        ("deal desk", desk, "/desk?q=Frank"),
        ("deal desk", desk, "/desk?what=participants&q=Frank"),
        ("deal desk", desk, f"/desk/deals/{ids['deal']}"),
        ("comp admin", "claire.donovan@example.com", "/imports"),
        ("comp admin", "claire.donovan@example.com", "/plans"),
        ("admin", "dana.whitfield@example.com", "/admin/users"),
        ("admin", "dana.whitfield@example.com", "/admin/webhooks"),
        ("comp admin", "claire.donovan@example.com", "/payout-runs"),
        ("comp admin", "claire.donovan@example.com", f"/payout-runs/{ids['run']}"),
        ("comp admin", "claire.donovan@example.com", "/finance"),
        ("comp admin", "claire.donovan@example.com", f"/statements?period={PERIOD}"),
        ("comp admin", "claire.donovan@example.com", "/disputes"),
        ("auditor", "ingrid.svensson@example.com", "/audit"),
    ]


def child_measure(url: str, ids_json: str, repeat: str) -> dict:
    """Each page `repeat` times after a warm-up: milliseconds of wall clock and CPU."""
    import re

    os.environ.update(DATABASE_URL=url, ACCORD_ENV="test", LOG_LEVEL="WARNING")
    from app import create_app
    from app.demo.users import DEMO_PASSWORD

    app = create_app()
    app.config.update(WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=False)
    clients: dict[str, object] = {}
    results = []
    for role, email, path in pages(json.loads(ids_json)):
        client = clients.get(email)
        if client is None:
            client = clients[email] = app.test_client()
            form = client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
            signed = client.post(
                "/login",
                data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
            )
            assert signed.status_code == 302, (email, signed.status_code)
        status = client.get(path).status_code  # warm-up
        walls, cpus = [], []
        for _ in range(int(repeat)):
            start, cpu = time.perf_counter(), _cpu()
            client.get(path).get_data()
            walls.append((time.perf_counter() - start) * 1000)
            cpus.append((_cpu() - cpu) * 1000)
        results.append(
            {
                "role": role,
                "path": path,
                "status": status,
                "median": statistics.median(walls),
                "max": max(walls),
                "cpu": statistics.median(cpus),
            }
        )
    return {"pages": results}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child(*args: str, code_root: str | None = None) -> dict:
    env = dict(os.environ)
    env.pop("ACCORD_BENCH_CODE_ROOT", None)
    if code_root:
        env["ACCORD_BENCH_CODE_ROOT"] = code_root
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _report(name: str, measured: dict, before: dict | None) -> None:
    print(f"{name}:")
    print(f"  {'role':<11}{'page':<58}{'median':>8}{'max':>8}{'CPU':>8}")
    old = {(p["role"], p["path"]): p for p in (before or {}).get("pages", [])}
    for p in measured["pages"]:
        flag = "" if p["max"] < TARGET_MS else "  over target"
        if p["status"] != 200:
            flag += f"  HTTP {p['status']}"
        was = old.get((p["role"], p["path"]))
        if was is not None:
            flag += f"  (baseline median {was['median']:.0f} ms)"
        print(
            f"  {p['role']:<11}{p['path']:<58}{p['median']:>6.0f}ms{p['max']:>6.0f}ms"
            f"{p['cpu']:>6.0f}ms{flag}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--database-url", help="a PostgreSQL (or SQLite) URL; default SQLite")
    parser.add_argument(
        "--postgresql", action="store_true", help="start a throw-away PostgreSQL and use it"
    )
    parser.add_argument("--db", help="SQLite file to keep and reuse between runs")
    parser.add_argument("--code-root", help="also measure this checkout's code (baseline)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        task, *rest = args.child
        handler = {"load": child_load, "measure": child_measure}[task]
        if task == "load":
            rest = [rest[0], int(rest[1]), int(rest[2])]
        print(json.dumps(handler(*rest)))
        return

    server = None
    if args.postgresql:
        from tests.support.postgres import TempPostgres

        server = TempPostgres()
        server.start()
        args.database_url = server.create_database("accord_pages")
    try:
        _measure(args)
    finally:
        if server is not None:
            server.stop()


def _measure(args) -> None:
    with tempfile.TemporaryDirectory(prefix="accord-pages-") as tmp:
        url = args.database_url or f"sqlite:///{args.db or Path(tmp) / 'pages.db'}"
        print(f"deals: {args.deals:,}  participants: {args.participants:,} (+ the demo org)")
        print(f"database: {url.split('@')[-1]}  load average: {_load()}")
        start = time.perf_counter()
        loaded = _child("load", url, str(args.deals), str(args.participants))
        print(f"loaded in {time.perf_counter() - start:.0f} s: {loaded}")
        ids = json.dumps(_targets(url))
        before = None
        if args.code_root:
            root = str(Path(args.code_root).resolve())
            print(f"load average: {_load()}")
            before = _child("measure", url, ids, str(args.repeat), code_root=root)
            _report(f"baseline ({root})", before, None)
        print(f"load average: {_load()}")
        after = _child("measure", url, ids, str(args.repeat))
        _report(f"this checkout ({ROOT})", after, before)
        slow = [p for p in after["pages"] if p["max"] >= TARGET_MS]
        print(f"pages over {TARGET_MS} ms (worst of {args.repeat}): {len(slow)}")
        print(f"load average: {_load()}")


if __name__ == "__main__":
    main()
