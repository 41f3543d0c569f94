"""`accord audit verify|anchor|export`: check the hash chain (and that it still extends
anchors taken earlier); anchor it; export the log, plan versions, every decision on them,
the diffs between consecutive versions and every committee vote with its subject's tally,
for auditors.

Exit codes: 0 sound; 1 the chain is broken or does not extend an anchor; 2 bad input (an
anchor file that is not an anchor, or whose signature does not match).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.commands.common import fail, refusals
from app.database import db_session
from governance.auditing import anchors
from governance.auditing.exports import EXPORTS
from governance.errors import Conflict


@click.group()
def audit() -> None:
    """The hash-chained audit log."""


def _read_anchor(path: Path, key: anchors.AnchorKey | None) -> anchors.Anchor:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{path}: cannot read the anchor: {exc}")
    except json.JSONDecodeError as exc:
        fail(f"{path}: not JSON: line {exc.lineno} column {exc.colno}: {exc.msg}")
    return anchors.parse(document, key, str(path))


@audit.command()
@click.option(
    "--anchor",
    "anchor_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="An anchor taken earlier (`accord audit anchor`); repeat for several.",
)
@click.option(
    "--skip-signature",
    is_flag=True,
    help="Do not check the anchors' signatures (e.g. the anchor key was rotated since).",
)
@with_appcontext
def verify(anchor_files: tuple[Path, ...], skip_signature: bool) -> None:
    """Check every record's hash and link, and that the chain still extends each anchor;
    exit 1 naming the first broken record or the anchored records that changed."""
    key = None if skip_signature else anchors.anchor_key(current_app.config)
    with refusals():
        given = [_read_anchor(path, key) for path in anchor_files]
    result, checks = anchors.check(db_session(), given)
    if result.ok:
        click.echo(f"audit chain ok: {result.checked} records")
    else:
        where = result.first_broken_id
        click.echo(f"audit chain broken at record {where}: {result.reason}", err=True)
    for one in checks:
        if one.ok:
            click.echo(f"anchor {one.name}: ok, the chain extends record {one.record_count}")
        else:
            click.echo(f"anchor {one.name}: does not hold: {one.reason}", err=True)
    if not result.ok or not all(one.ok for one in checks):
        sys.exit(1)


@audit.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def anchor(output: Path | None) -> None:
    """Verify the chain and print a signed anchor of its last record (JSON): keep it outside
    Accord, and check it later with `accord audit verify --anchor FILE`."""
    key = anchors.anchor_key(current_app.config)
    if key.source == "SECRET_KEY" and current_app.config.get("SECRET_KEY_EPHEMERAL"):
        click.echo(
            f"warning: neither {anchors.KEY_ENV} nor SECRET_KEY is set: this anchor is signed"
            " with a key of this process only, and no later check can confirm its signature",
            err=True,
        )
    session = db_session()
    try:
        document = anchors.take(session, key)
    except Conflict as broken:
        click.echo(f"error: {broken.message}", err=True)
        sys.exit(1)
    text = json.dumps(document, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}: record {document['record_count']}", err=True)


@audit.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="json")
@click.option("--what", type=click.Choice(sorted(EXPORTS)), default="log", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def export(fmt: str, what: str, output: Path | None) -> None:
    """Write the log (oldest first, every hashed field), the plan versions, their decisions,
    the diffs between consecutive versions (plan-diffs) or the votes (approvals)."""
    text = EXPORTS[what](db_session(), fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


command = audit
