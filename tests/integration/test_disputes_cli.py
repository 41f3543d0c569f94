"""`accord disputes list|escalate` against a real, migrated database (both backends)."""

from __future__ import annotations

import json
from datetime import date

from governance.disputes import workflow as disputes
from models.engine import make_engine
from tests.support.cli import run
from tests.support.disputes import participants, run_with_lines


def test_list_and_escalate_daily(cli_env):
    from sqlalchemy.orm import Session

    engine = make_engine(cli_env)
    with Session(engine) as db:
        _mia, ana, bob = participants(db)
        lines = run_with_lines(db, ana, bob)
        late = disputes.file(db, None, lines.ana.id, reason="late", today=date(2026, 10, 26))
        fresh = disputes.file(db, None, lines.bob.id, reason="fresh", today=date(2026, 11, 9))
        late_id, fresh_id = late.id, fresh.id
        db.commit()
    engine.dispose()

    listed = run("disputes", "list", "--json", "--today", "2026-11-11")
    assert listed.exit_code == 0, listed.output
    rows = {r["id"]: r for r in json.loads(listed.stdout)}
    assert (rows[late_id]["overdue"], rows[fresh_id]["overdue"]) == (True, False)

    first = run("disputes", "escalate", "--today", "2026-11-11")
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines() == [f"escalated dispute {late_id} ({ana}, due 2026-11-09)"]
    again = run("disputes", "escalate", "--today", "2026-11-12")
    assert again.stdout == ""  # idempotent: each overdue dispute is escalated once
    text = run("disputes", "list", "--state", "open", "--today", "2026-11-12").stdout
    assert f"{late_id}  open" in text and text.splitlines()[-1].endswith("overdue escalated")

    bad = run("disputes", "escalate", "--today", "11/12/2026")
    assert bad.exit_code == 2
