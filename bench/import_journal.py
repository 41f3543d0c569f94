"""Benchmark: what the change journal's triggers cost an import (issue 14).

    .venv/bin/python bench/import_journal.py [--deals 100000] [--backends sqlite,postgresql]
                                             [--repeat 2]

The change journal (migration 0025, docs/decisions.md "Incremental re-runs: the change
journal") is written by triggers on every input table: per row on SQLite, per statement
with transition tables on PostgreSQL. This imports bench/payout_run.py's generated data
into fresh databases with the triggers and with them dropped, in the same run,
alternating, `--repeat` times each: the first import (inserts), then the same file again
with every deal's amount changed (updates). Each import is a child process, timed as a
user runs it (wall clock: on PostgreSQL the triggers' work is the server's, not the
child's); the load average is printed with each figure, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.payout_run import make_data  # noqa: E402

MIGRATION = ROOT / "migrations" / "versions" / "0025_input_change_journal.py"


def _journaled() -> dict:
    spec = importlib.util.spec_from_file_location("journal_migration", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def child_prepare(url: str, journal: str) -> dict:
    """Migrate, activate the bench plan; drop the journal's triggers unless `journal`."""
    from sqlalchemy import text

    from bench.payout_run import prepare
    from models.engine import make_engine

    prepare(url)
    if journal == "on":
        return {}
    migration = _journaled()
    engine = make_engine(url)
    with engine.begin() as connection:
        for table in migration.JOURNALED:
            for event, _referencing, _sources in migration.EVENTS:
                name = f"{table}_journal_{event.lower()}"
                on = f" ON {table}" if engine.dialect.name == "postgresql" else ""
                connection.execute(text(f"DROP TRIGGER IF EXISTS {name}{on}"))
    engine.dispose()
    return {}


def child_import(url: str, data_file: str) -> dict:
    from bench.payout_run import import_file

    return {"seconds": import_file(url, data_file)}


def _child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], stdout=subprocess.PIPE, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _database(backend: str, tmp: str, name: str, server) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp}/{name}.db"
    return server.create_database(name)


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        task, *rest = args.child
        print(json.dumps({"prepare": child_prepare, "import": child_import}[task](*rest)))
        return
    with tempfile.TemporaryDirectory(prefix="accord-journal-") as tmp:
        data = make_data(args.deals)
        first = Path(tmp) / "first.json"
        first.write_text(json.dumps(data))
        for deal in data["deals"]:
            deal["amount"] = str(round(float(deal["amount"]) + 1, 2))  # bench data, not money
        second = Path(tmp) / "second.json"
        second.write_text(json.dumps(data))
        for backend in args.backends.split(","):
            server = None
            if backend == "postgresql":
                from tests.support.postgres import TempPostgres

                server = TempPostgres()
                server.start()
            times: dict[str, dict[str, list[float]]] = {}
            try:
                for i in range(args.repeat):
                    for journal in ("on", "off"):
                        url = _database(backend, tmp, f"j{journal}{i}", server)
                        _child("prepare", url, journal)
                        got = times.setdefault(journal, {"insert": [], "update": []})
                        got["insert"].append(_child("import", url, str(first))["seconds"])
                        got["update"].append(_child("import", url, str(second))["seconds"])
                        print(
                            f"  {backend} journal {journal}, round {i + 1}: insert "
                            f"{got['insert'][-1]:.2f} s, update {got['update'][-1]:.2f} s  "
                            f"[load {_load()}]",
                            flush=True,
                        )
            finally:
                if server is not None:
                    server.stop()
            for step in ("insert", "update"):
                on = statistics.median(times["on"][step])
                off = statistics.median(times["off"][step])
                print(
                    f"{backend} {args.deals:,} deals, import ({step}s): with the journal "
                    f"{on:.2f} s, without {off:.2f} s: the triggers cost {on - off:+.2f} s "
                    f"({(on - off) / off:+.0%})  (median of {args.repeat})"
                )


if __name__ == "__main__":
    main()
