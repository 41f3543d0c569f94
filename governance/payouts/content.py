"""What a vote on a payout run approves: the run's inputs and results, by their hashes.

    content_hash = run_content_hash(run)

A run keeps its content (and the votes on it) across a re-run that changes nothing
(`payouts.build_diff`); any change is new content, so a fresh ballot.
"""

from __future__ import annotations

from typing import Any

from governance import audit
from models.payouts import PayoutRun


def run_content(run: PayoutRun) -> dict[str, Any]:
    """What a vote approves: the run's inputs and results, by their hashes."""
    return {
        "run": run.id,
        "period": run.period,
        "version": run.version,
        "input_data_hash": run.input_data_hash,
        "plan_versions": run.plan_versions,
        "exceptions_hash": run.exceptions_hash,
        "result_hash": run.result_hash,
    }


def run_content_hash(run: PayoutRun) -> str:
    return audit.sha256_json(run_content(run))
