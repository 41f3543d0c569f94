"""`accord payouts run|list|show|tally|vote|lock|publish|discard|compact-journal`: payout
runs and their close.

    accord payouts run --period 2026-Q3 [--as admin@x.test] [--early]  # build or re-run
    accord payouts list [--period 2026-Q3] | show 7 [--lines] | tally 7
    accord payouts vote 7 --as fin@x.test --approve|--reject --hash sha256:... [--comment]
    accord payouts lock 7 --as admin@x.test
    accord payouts publish 7 --as admin@x.test   # a locked run's statements to its reps
    accord payouts discard 7 --as admin@x.test --reason "built before the import"
    accord payouts compact-journal   # what beat does daily: the change journal compacted

`run` writes a period's lines and statements in one transaction (docs/payout-runs.md),
with a progress bar on stderr when it is a terminal (or `--progress`); without `--as`
the system starts it; a period that has not begun needs `--early`. A vote, the lock, a
publication and a discard are a person's: `--as` is required. Refusals exit 2 with
every problem listed.
"""

from __future__ import annotations

import json
import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select
from tqdm import tqdm

from app.commands.common import actor, refusals, unit_of_work
from app.database import db_session
from governance import changes
from governance.payouts import close as payout_close
from governance.payouts import runs as payout_runs
from governance.payouts.staleness import latest_build
from models import InputChange


@click.group("payouts")
def command() -> None:
    """Payout runs and their close."""


def _summary(run) -> dict:
    return {
        "id": run.id,
        "period": run.period,
        "state": run.state,
        "version": run.version,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "participants": run.participant_count,
        "deals": run.deal_count,
        "statements": run.statement_count,
        "recomputed": run.recomputed_count,
        "lines": run.line_count,
        "input_data_hash": run.input_data_hash,
        "plan_versions": run.plan_versions,
        "exceptions_hash": run.exceptions_hash,
        "result_hash": run.result_hash,
    }


@command.command("run")
@click.option("--period", required=True, help="2026-Q3, 2026-07 or 2026")
@click.option("--as", "as_email", default=None, help="who starts it (default: the system)")
@click.option(
    "--progress/--no-progress",
    default=None,
    help="show a progress bar on stderr (default: when stderr is a terminal)",
)
@click.option(
    "--early", is_flag=True, help="run a period that has not begun (testing a close; audited)"
)
@with_appcontext
def run(period: str, as_email: str | None, progress: bool | None, early: bool) -> None:
    """Evaluate a period over the database and persist its lines and statements."""
    with unit_of_work() as session:
        starter = actor(session, as_email)
        show = sys.stderr.isatty() if progress is None else progress
        bar = tqdm(total=0, unit="people", file=sys.stderr, disable=not show, desc="evaluating")

        def advance(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        if show:
            click.echo(f"reading the plans and the organisation for {period}...", err=True)
        with bar:
            result = payout_runs.start_run(session, starter, period, progress=advance, early=early)
        build = latest_build(session, result)
        number, outcome = build.number, _outcome(build)
    click.echo(
        f"payout run {result.id} of {result.period}: {result.state}, build {number} "
        f"(version {result.version}); "
        f"{result.participant_count} participants, {result.deal_count} deals, "
        f"{result.statement_count} statements ({result.recomputed_count} written), "
        f"{result.line_count} lines"
    )
    click.echo(f"result hash {result.result_hash}")
    for line in outcome:
        click.echo(line)


def _outcome(build) -> list[str]:
    """What a re-run changed, and the votes it kept or voided."""
    if build.identical:
        return [f"nothing changed since build {build.number - 1}: {build.votes_kept} vote(s) kept"]
    if build.number == 1:
        return []
    changed = [f"  {change['text']}" for change in build.changes]
    return [f"{build.votes_voided} vote(s) voided; what changed:", *changed]


@command.command("list")
@click.option("--period", default=None)
@with_appcontext
def list_runs(period: str | None) -> None:
    """Runs, newest period first."""
    rows, _total = payout_runs.list_runs(db_session(), period=period, limit=1000)
    if not rows:
        click.echo("no payout runs")
    for r in rows:
        click.echo(
            f"{r.id:>5}  {r.period:<8} {r.state:<8} version {r.version:<3} "
            f"{r.statement_count:>6} statements {r.line_count:>8} lines  {r.result_hash}"
        )


@command.command("show")
@click.argument("run_id", type=int)
@click.option("--lines", "with_lines", is_flag=True, help="also print every line (JSON)")
@with_appcontext
def show(run_id: int, with_lines: bool) -> None:
    """One run: state, hashes and counts (JSON)."""
    session = db_session()
    with refusals():
        found = payout_runs.get_run(session, run_id)
    out = _summary(found)
    if with_lines:
        rows, _total = payout_runs.run_lines(session, found, limit=found.line_count or 1)
        out["lines"] = [
            {
                "line_key": ln.line_key,
                "participant": ln.participant_id,
                "deal": ln.deal_id,
                "plan": ln.plan_key,
                "kind": ln.kind,
                "status": ln.status,
                "amount": str(ln.amount.quantize(ln.amount.__class__("0.01"))),
                "trace": ln.trace,
            }
            for ln in rows
        ]
    click.echo(json.dumps(out, indent=2, sort_keys=True))


@command.command("tally")
@click.argument("run_id", type=int)
@with_appcontext
def tally(run_id: int) -> None:
    """Print a run's state, content hash, approval rule, tally and votes (JSON)."""
    session = db_session()
    with refusals():
        run = payout_runs.get_run(session, run_id)
    click.echo(json.dumps(payout_close.tally_dict(session, run), indent=2, sort_keys=True))


@command.command("vote")
@click.argument("run_id", type=int)
@click.option("--as", "as_email", required=True, help="the committee member voting")
@click.option("--approve/--reject", "approve", required=True)
@click.option("--hash", "content_hash", required=True, help="the run's content hash (tally)")
@click.option("--comment", default=None, help="required to reject")
@with_appcontext
def vote(run_id: int, as_email: str, approve: bool, content_hash: str, comment: str | None) -> None:
    """Approve or reject a draft run; the vote that meets the quorum approves it."""
    with unit_of_work() as session:
        _vote, result = payout_close.cast_run_vote(
            session,
            actor(session, as_email),
            run_id,
            decision="approve" if approve else "reject",
            content_hash=content_hash,
            comment=comment,
        )
    run = payout_runs.get_run(session, run_id)
    click.echo(f"{run.label}: {result.outcome} ({result.summary()}); state {run.state}")


@command.command("lock")
@click.argument("run_id", type=int)
@click.option("--as", "as_email", required=True, help="a holder of payouts.run")
@click.option("--note", default=None)
@with_appcontext
def lock(run_id: int, as_email: str, note: str | None) -> None:
    """Lock an approved run: its period never changes again."""
    with unit_of_work() as session:
        run = payout_close.lock_run(session, actor(session, as_email), run_id, note=note)
    click.echo(f"{run.label}: locked at {run.locked_at.isoformat()}")


@command.command("publish")
@click.argument("run_id", type=int)
@click.option("--as", "as_email", required=True, help="a holder of payouts.publish")
@click.option("--note", default=None)
@with_appcontext
def publish(run_id: int, as_email: str, note: str | None) -> None:
    """Publish a locked run's statements: its reps see them from now on."""
    with unit_of_work() as session:
        run = payout_close.publish_run(session, actor(session, as_email), run_id, note=note)
    click.echo(f"{run.label}: published at {run.published_at.isoformat()}")


@command.command("discard")
@click.argument("run_id", type=int)
@click.option("--as", "as_email", required=True, help="a holder of payouts.run")
@click.option("--reason", required=True, help="why the draft is set aside")
@with_appcontext
def discard(run_id: int, as_email: str, reason: str) -> None:
    """Discard a draft run: it never pays; the period can be run again."""
    with unit_of_work() as session:
        run = payout_close.discard_run(session, actor(session, as_email), run_id, reason=reason)
    click.echo(f"{run.label}: discarded")


@command.command("compact-journal")
@with_appcontext
def compact_journal() -> None:
    """Compact the change journal: drop the rows that repeat another for every run's
    revision (re-runs and re-checks read the same). Exit 1 when a build holds it now."""
    with unit_of_work() as session:
        before = session.scalar(select(func.count()).select_from(InputChange))
        deleted = changes.compact(session)
    if deleted is None:
        click.echo("busy: a payout run is taking its revision now; try again later", err=True)
        sys.exit(1)
    click.echo(f"change journal: {deleted:,} of {before:,} rows deleted")
