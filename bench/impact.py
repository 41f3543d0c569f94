"""Benchmark: filing a payout exception and submitting a plan change, through the API.

    .venv/bin/python bench/impact.py [--deals 50000] [--accord-root /work/main] [--repeat 2]

Imports N generated deals (bench/payout_run.py's generator: one quarter, up to 1,000
participants) into a SQLite database once, then, for this checkout and for the one at
`--accord-root` (the 'before'; skipped if not given), on a fresh copy of that database
and in a fresh process running that checkout's code: `POST /api/v1/plans` + `POST
.../submit` (a change request: its impact is queued for a worker) and `POST
/api/v1/exceptions` of a gate waiver, a split override and an adjustment, through the
Flask app (test client: no HTTP server, no worker). Reports the wall and CPU seconds of
each request (best of `--repeat` copies), and whether both checkouts filed each
exception with the same estimated impact, pay moved and route.

Figures: docs/exceptions.md "Estimated impact", docs/decisions.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-0123456789"


def requests(seed: dict) -> list[tuple[str, str, str, object]]:
    """(label, user, path, body) of the timed requests, in order."""
    deal, split_deal, rep = seed["gate_deal"], seed["split_deal"], seed["rep"]
    exception = {"plan": "bench-plan", "justification": "bench", "expires_on": "2099-12-31"}
    return [
        ("plan change: POST /plans", "author", "/api/v1/plans", seed["new_plan"]),
        (
            "plan change: POST .../submit",
            "author",
            "/api/v1/plans/bench-plan/versions/2/submit",
            {"effective_from": "2026-01-01"},
        ),
        (
            "exception: gate waiver",
            "desk",
            "/api/v1/exceptions",
            {**exception, "kind": "waive_gate", "deal": deal, "rule": "margin-floor"},
        ),
        (
            "exception: split override",
            "desk",
            "/api/v1/exceptions",
            {
                **exception,
                "kind": "override_split",
                "deal": split_deal,
                "credits": [
                    {"participant": rep, "share": "0.5"},
                    {"participant": seed["other"], "share": "0.5"},
                ],
            },
        ),
        (
            "exception: adjustment",
            "desk",
            "/api/v1/exceptions",
            {
                **exception,
                "kind": "adjustment",
                "participant": rep,
                "period": "2026-Q3",
                "amount": "750.00",
            },
        ),
    ]


# ----------------------------------------------------------------------------- children


def child_seed(url: str, data_file: str) -> dict:
    """Schema, bench-plan active, the data imported, an author and a deal desk with
    API tokens; what the requests need."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from bench.payout_run import child_import, plan_text
    from governance.accounts import create_user, issue_token
    from models import Deal
    from models.engine import make_engine

    child_import(url, data_file)  # schema, bench-plan active, the data
    engine = make_engine(url)
    with Session(engine) as session:
        tokens = {}
        for name, role in (("author", "comp_admin"), ("desk", "deal_desk")):
            user = create_user(
                session, email=f"{name}@bench.test", name=name, password=PASSWORD, roles=[role]
            )
            tokens[name] = issue_token(session, user, "bench")[1]
        session.commit()
        gate = session.scalar(
            select(Deal.id).where(Deal.gross_margin < 0.2).order_by(Deal.id).limit(1)
        )
        split, rep = session.execute(
            select(Deal.id, Deal.owner_id).where(Deal.gross_margin >= 0.2).order_by(Deal.id)
        ).first()
        other = session.scalar(
            select(Deal.owner_id).where(Deal.owner_id != rep).order_by(Deal.id).limit(1)
        )
    engine.dispose()
    new_plan = plan_text().replace("rate: 0.06", "rate: 0.065")
    return {
        "tokens": tokens,
        "gate_deal": gate,
        "split_deal": split,
        "rep": rep,
        "other": other,
        "new_plan": new_plan,
    }


def child_measure(root: str, url: str, seed_file: str) -> dict:
    """The requests through `root`'s app, each timed (wall, this process's CPU)."""
    sys.path.insert(0, root)
    from app import create_app
    from config import DevelopmentConfig

    seed = json.loads(Path(seed_file).read_text())
    app = create_app(
        DevelopmentConfig,
        {"DATABASE_URL": url, "BROKER_URL": "memory://", "TASKS_EAGER": False},
    )
    client = app.test_client()
    out = []
    for label, user, path, body in requests(seed):
        headers = {"Authorization": f"Bearer {seed['tokens'][user]}"}
        if isinstance(body, str):
            headers["Content-Type"] = "application/yaml"
            kwargs = {"data": body}
        else:
            kwargs = {"json": body}
        wall, cpu = time.perf_counter(), time.process_time()
        answer = client.post(path, headers=headers, **kwargs)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        got = answer.get_json(silent=True) or {}
        if answer.status_code >= 300:
            raise SystemExit(f"{label}: {answer.status_code} {got}")
        outcome = {k: got.get(k) for k in ("estimated_impact", "route")}
        if "impact" in got and isinstance(got["impact"], dict):
            outcome["moved"] = got["impact"].get("moved")
        out.append({"label": label, "wall": wall, "cpu": cpu, "outcome": outcome})
    return {"requests": out}


def _child(args: list[str], root: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], stdout=subprocess.PIPE, text=True, env=env
    )
    if done.returncode:
        raise SystemExit(f"child {args[0]} failed ({done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=50_000)
    parser.add_argument("--accord-root", help="the checkout to time as 'before'")
    parser.add_argument("--repeat", type=int, default=2, help="fresh copies per checkout")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        kind, *rest = args.child
        result = child_seed(*rest) if kind == "seed" else child_measure(*rest)
        print(json.dumps(result))
        return
    sys.path.insert(0, str(ROOT))
    from bench.payout_run import make_data

    with tempfile.TemporaryDirectory(prefix="bench-impact-") as tmp:
        data_file, seed_file = Path(tmp, "data.json"), Path(tmp, "seed.json")
        data_file.write_text(json.dumps(make_data(args.deals)))
        base = Path(tmp, "base.db")
        started = time.perf_counter()
        seed = _child(["seed", f"sqlite:///{base}", str(data_file)], ROOT)
        seed_file.write_text(json.dumps(seed))
        print(f"{args.deals:,} deals imported in {time.perf_counter() - started:.0f} s (SQLite)")
        roots = [("after", ROOT)]
        if args.accord_root:
            roots.insert(0, ("before", Path(args.accord_root).resolve()))
        best: dict[str, list[dict]] = {}
        for attempt in range(args.repeat):
            for name, root in roots:  # interleaved: both see the same machine load
                copy = Path(tmp, f"{name}-{attempt}.db")
                shutil.copy(base, copy)
                measured = _child(["measure", str(root), f"sqlite:///{copy}", str(seed_file)], root)
                copy.unlink()
                rows = best.setdefault(name, measured["requests"])
                for n, row in enumerate(measured["requests"]):
                    if row["cpu"] < rows[n]["cpu"]:
                        rows[n] = row
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"best of {args.repeat} per checkout, load average {load}; seconds wall / CPU")
    labels = [row["label"] for row in best["after"]]
    header = f"{'request':<32}" + "".join(f"{name:>20}" for name, _ in roots)
    print(header)
    for n, label in enumerate(labels):
        cells = "".join(
            f"{best[name][n]['wall']:>11.2f} / {best[name][n]['cpu']:>5.2f}" for name, _ in roots
        )
        print(f"{label:<32}{cells}")
    if "before" in best:
        for n, label in enumerate(labels):
            a, b = best["before"][n]["outcome"], best["after"][n]["outcome"]
            print(
                f"{label}: {'same' if a == b else 'DIFFERENT'} {b}"
                + ("" if a == b else f" (before {a})")
            )


if __name__ == "__main__":
    main()
